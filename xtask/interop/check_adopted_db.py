"""After Portcullis has migrated the database a Flask-Security app left
behind, Flask-Security must still run on it: users log in, a new user can
be registered, and roles still work.

usage: python check_adopted_db.py migrated.sqlite fixture.json
"""
import datetime
import json
import sys

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_security import Security, SQLAlchemyUserDatastore, hash_password
from flask_security.models import fsqla_v3 as fsqla

db_path, meta_path = sys.argv[1], sys.argv[2]
meta = json.load(open(meta_path))
db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):
    pass


class User(db.Model, fsqla.FsUserMixin):
    pass


class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):
    pass


app = Flask(__name__)
app.config.update(
    SECRET_KEY=meta["secret_key"],
    SECURITY_PASSWORD_SALT=meta["password_salt"],
    SECURITY_TOTP_SECRETS=meta["totp_secrets"],
    SQLALCHEMY_DATABASE_URI="sqlite:///" + db_path,
    WTF_CSRF_ENABLED=False,
    SECURITY_EMAIL_VALIDATOR_ARGS={"check_deliverability": False},
)
db.init_app(app)
ds = SQLAlchemyUserDatastore(db, User, Role, WebAuthn)
Security(app, ds)
failures, passed = [], 0


def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)


client = app.test_client()
for u in meta["users"]:
    if not (u["active"] and u["confirmed"]) or u.get("tf_primary_method"):
        continue
    r = client.post("/login", json={"email": u["email"], "password": u["password"]})
    check(r.status_code == 200, f"{u['email']} logs in to Flask-Security after the migration ({r.status_code})")
    client.post("/logout", json={})
with app.app_context():
    ds.create_user(email="after@example.com", password=hash_password("After-Passw0rd-2026"),
                   roles=["user"], confirmed_at=datetime.datetime.now())
    db.session.commit()
    check(ds.find_user(email="after@example.com").has_role("user"), "Flask-Security creates a user with a role")
r = client.post("/login", json={"email": "after@example.com", "password": "After-Passw0rd-2026"})
check(r.status_code == 200, f"that user logs in ({r.status_code})")
print(f"adoption: {passed} passed, {len(failures)} failed")
for f in failures:
    print("  FAILED:", f)
sys.exit(1 if failures else 0)
