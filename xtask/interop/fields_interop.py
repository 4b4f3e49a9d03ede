"""Application fields across Flask-Security 5.9.2 and Portcullis, on one
SQLite database whose fsqla_v3 `user` model the app extended with
`first_name` and `last_name` (Flask-Security's documents' example), a
registration form carrying them, and a `get_security_payload` showing them.

usage:
  python fields_interop.py fs-registers DB OUT.json
      Flask-Security creates DB and registers fs@example.com through its
      own /register with first_name/last_name; OUT.json has the settings.
  python fields_interop.py fs-reads DB
      After Portcullis registered pc@example.com (Grace Hopper) into DB and
      logged both users in: Flask-Security logs each in and its payload
      shows each one's names, Portcullis' writes having kept fs@'s.
"""
import json
import sys
import time

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Column, String
from wtforms import StringField
from wtforms.validators import DataRequired
from flask_security import Security, SQLAlchemyUserDatastore, RegisterFormV2
from flask_security.models import fsqla_v3 as fsqla

SECRET_KEY = "fields-interop-secret"
SALT = "fields-interop-salt"
PASSWORD = "Correct-Horse-Battery-9"


class ExtendedRegisterForm(RegisterFormV2):
    first_name = StringField("First Name", [DataRequired()])
    last_name = StringField("Last Name", [DataRequired()])


def make_app(db_path):
    db = SQLAlchemy()
    fsqla.FsModels.set_db_info(db)

    class Role(db.Model, fsqla.FsRoleMixin):
        pass

    class User(db.Model, fsqla.FsUserMixin):
        first_name = Column(String(255))
        last_name = Column(String(255))

        def get_security_payload(self):
            return {"email": self.email, "first_name": self.first_name,
                    "last_name": self.last_name}

    class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):
        pass

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        SECURITY_PASSWORD_SALT=SALT,
        SECURITY_PASSWORD_HASH="argon2",
        SQLALCHEMY_DATABASE_URI="sqlite:///" + db_path,
        WTF_CSRF_ENABLED=False,
        SECURITY_REGISTERABLE=True,
        SECURITY_SEND_REGISTER_EMAIL=False,
        SECURITY_TRACKABLE=True,
        SECURITY_EMAIL_VALIDATOR_ARGS={"check_deliverability": False},
    )
    db.init_app(app)
    ds = SQLAlchemyUserDatastore(db, User, Role, WebAuthn)
    Security(app, ds, register_form=ExtendedRegisterForm)
    return app, db, ds


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        sys.exit(1)


def login(app, email):
    r = app.test_client().post("/login", json={"email": email, "password": PASSWORD})
    return r.status_code, (r.json or {}).get("response", {}).get("user")


def fs_registers(db_path, out):
    app, db, _ = make_app(db_path)
    with app.app_context():
        db.create_all()
    r = app.test_client().post("/register", json={
        "email": "fs@example.com", "password": PASSWORD, "password_confirm": PASSWORD,
        "first_name": "Ada", "last_name": "Lovelace"})
    check(r.status_code == 200, f"Flask-Security registered fs@ with names ({r.status_code} {r.json})")
    status, user = login(app, "fs@example.com")
    check(status == 200 and user.get("first_name") == "Ada",
          f"and its payload shows them ({status} {user})")
    with open(out, "w") as f:
        json.dump({"secret_key": SECRET_KEY, "password_salt": SALT, "password": PASSWORD,
                   "made_at": time.time()}, f, indent=2)


def fs_reads(db_path):
    app, _, ds = make_app(db_path)
    with app.app_context():
        pc = ds.find_user(email="pc@example.com")
        check(pc is not None and (pc.first_name, pc.last_name) == ("Grace", "Hopper"),
              "Flask-Security reads the names Portcullis' registration stored")
        fs = ds.find_user(email="fs@example.com")
        check((fs.first_name, fs.last_name) == ("Ada", "Lovelace") and fs.login_count >= 3,
              f"and fs@'s names survived Portcullis' writes (logins: {fs.login_count})")
    for email, first in (("pc@example.com", "Grace"), ("fs@example.com", "Ada")):
        status, user = login(app, email)
        check(status == 200 and user.get("first_name") == first,
              f"Flask-Security logs {email} in, payload {user}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "fs-registers":
        fs_registers(sys.argv[2], sys.argv[3])
    else:
        fs_reads(sys.argv[2])
