"""Refresh tokens across Flask-Security 5.9.2 and Portcullis, on one
SQLite database (fsqla_v4, whose fs_refresh_tracker both use).

usage:
  python refresh_interop.py fs-issues DB OUT.json
      Flask-Security creates DB, a user, logs it in with include_auth_token
      (refresh tokens in JSON) and exchanges the token once, so the family
      is at generation 2. OUT.json has the settings and the tokens: the
      current one and the spent one (a replay).
  python refresh_interop.py fs-accepts DB TOKENS.json
      Flask-Security exchanges the refresh tokens Portcullis issued into DB
      ("rotated": Flask-Security's family moved on by Portcullis; "issued":
      a family Portcullis started) and refuses the one Portcullis spent.
"""
import json
import sys
import time

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_security import Security, SQLAlchemyUserDatastore, hash_password
from flask_security.models import fsqla_v4 as fsqla

SECRET_KEY = "refresh-interop-secret"
SALT = "refresh-interop-salt"
PASSWORD = "Correct-Horse-Battery-9"
EMAIL = "ria@example.com"


def make_app(db_path):
    db = SQLAlchemy()
    fsqla.FsModels.set_db_info(db)

    class Role(db.Model, fsqla.FsRoleMixin):
        pass

    class User(db.Model, fsqla.FsUserMixin):
        pass

    class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):
        pass

    class FsRefreshTracker(db.Model, fsqla.FsRefreshTrackerMixin):
        pass

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        SECURITY_PASSWORD_SALT=SALT,
        SECURITY_PASSWORD_HASH="argon2",
        SQLALCHEMY_DATABASE_URI="sqlite:///" + db_path,
        WTF_CSRF_ENABLED=False,
        SECURITY_REFRESH_TOKEN=True,
        SECURITY_REFRESH_TOKEN_COOKIE_NAME="",
    )
    db.init_app(app)
    ds = SQLAlchemyUserDatastore(db, User, Role, WebAuthn, refresh_tracker_model=FsRefreshTracker)
    Security(app, ds)
    return app, db, ds


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        sys.exit(1)


def refresh(client, token):
    r = client.post("/refresh-token", json={"refresh_token": token})
    return r.status_code, r.json


def fs_issues(db_path, out):
    app, db, ds = make_app(db_path)
    with app.app_context():
        db.create_all()
        ds.create_user(email=EMAIL, password=hash_password(PASSWORD), confirmed_at=None)
        db.session.commit()
    c = app.test_client()
    r = c.post("/login?include_auth_token", json={"email": EMAIL, "password": PASSWORD})
    check(r.status_code == 200 and "refresh_token" in r.json["response"]["user"],
          f"Flask-Security issued a refresh token ({r.status_code})")
    spent = r.json["response"]["user"]["refresh_token"]
    status, body = refresh(app.test_client(), spent)
    check(status == 200, f"Flask-Security exchanged it ({status})")
    current = body["response"]["user"]["refresh_token"]
    with open(out, "w") as f:
        json.dump({
            "secret_key": SECRET_KEY,
            "password_salt": SALT,
            "email": EMAIL,
            "password": PASSWORD,
            "refresh_token": current,
            "spent_refresh_token": spent,
            "issued_at": time.time(),
        }, f, indent=2)


def fs_accepts(db_path, tokens_path):
    with open(tokens_path) as f:
        tokens = json.load(f)
    app, _, _ = make_app(db_path)
    for which in ("rotated", "issued"):
        status, body = refresh(app.test_client(), tokens[which])
        check(status == 200 and "authentication_token" in body["response"]["user"],
              f"Flask-Security exchanges the {which} token Portcullis made ({status} {body})")
        new = body["response"]["user"]["refresh_token"]
        status, body = refresh(app.test_client(), new)
        check(status == 200, f"and the {which} family goes on ({status})")
    status, body = refresh(app.test_client(), tokens["spent"])
    errors = body["response"].get("field_errors", {}).get("refresh_token", [])
    check(status == 400 and errors == ["Refresh token is invalid (GEN_MISMATCH)"],
          f"Flask-Security refuses the token Portcullis spent ({status} {errors})")


if __name__ == "__main__":
    cmd, db_path, path = sys.argv[1:4]
    {"fs-issues": fs_issues, "fs-accepts": fs_accepts}[cmd](db_path, path)
