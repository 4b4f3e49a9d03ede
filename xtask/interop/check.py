"""Checks what Portcullis made (JSON from the interop_emit example) with
Flask-Security 5.9.2 itself: passwords log in through a real Flask-Security
app, signed tokens load with itsdangerous and Flask-Security's serializers,
the auth token authenticates a request, TOTP blobs decrypt with passlib.

Then Flask-Security makes what Portcullis must accept (a remember cookie
from a real login) and writes it to flask.json for the interop_verify
example.

usage: python check.py rust.json flask.json
"""
import json
import sys
import tempfile
import unicodedata

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from flask_security import Security, SQLAlchemyUserDatastore, auth_required, current_user
from flask_security.models import fsqla_v3 as fsqla
from flask_security.utils import verify_password
import itsdangerous
from itsdangerous import URLSafeTimedSerializer

data = json.load(open(sys.argv[1]))


def fixed_serializer(salt, at):
    """itsdangerous' serializer, stamping a fixed time."""

    class Signer(itsdangerous.TimestampSigner):
        def get_timestamp(self):
            return at

    return URLSafeTimedSerializer(data["secret_key"], salt=salt, signer=Signer)

failures = []
passed = 0


def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)


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
    SECRET_KEY=data["secret_key"],
    SECURITY_PASSWORD_SALT=data["password_salt"],
    SECURITY_TOTP_SECRETS=data["totp_secrets"],
    SECURITY_TOTP_ISSUER="interop",
    SECURITY_TWO_FACTOR=True,
    SECURITY_MULTI_FACTOR_RECOVERY_CODES=True,
    SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS=data["recovery_codes_encrypted"]["keys"],
    SQLALCHEMY_DATABASE_URI="sqlite:///" + tempfile.mktemp(suffix=".db"),
    WTF_CSRF_ENABLED=False,
    SECURITY_EMAIL_VALIDATOR_ARGS={"check_deliverability": False},
)
db.init_app(app)
ds = SQLAlchemyUserDatastore(db, User, Role, WebAuthn)
security = Security(app, ds)


@app.route("/api/me")
@auth_required("token")
def me():
    return jsonify(uid=current_user.fs_uniquifier)


@app.route("/api/me-session")
@auth_required("session")
def me_session():
    return jsonify(uid=current_user.fs_uniquifier)


with app.app_context():
    db.create_all()
    # 1. passwords: Flask-Security verifies our hashes, and users log in with them
    for i, h in enumerate(data["password_hashes"]):
        what = f"{h['scheme']} hash of {h['password'][:12]!r}"
        # Flask-Security's forms normalise before verify_password does its work.
        check(verify_password(unicodedata.normalize("NFKD", h["password"]), h["hash"]), what + " verifies")
        check(not verify_password(h["password"] + "x", h["hash"]), what + " rejects a wrong password")
        ds.create_user(email=f"user{i}@example.com", password=h["hash"],
                       confirmed_at=__import__("datetime").datetime.now())
    ds.create_user(email="token@example.com", password=None,
                   fs_uniquifier=data["auth_token"]["fs_uniquifier"])
    db.session.commit()

    # 2. signed tokens, with itsdangerous and with Flask-Security's own serializers
    fs_serializers = {
        "confirm-salt": security.confirm_serializer, "reset-salt": security.reset_serializer,
        "login-salt": security.login_serializer, "remember-salt": security.remember_token_serializer,
        "change-email-salt": security.change_email_serializer, "us-setup-salt": security.us_setup_serializer,
        "tf-setup-salt": security.tf_setup_serializer, "tf-validity-salt": security.tf_validity_serializer,
        "wan-salt": security.wan_serializer,
    }
    for t in data["signed_tokens"]:
        s = URLSafeTimedSerializer(data["secret_key"], salt=t["salt"])
        payload, ts = s.loads(t["token"], return_timestamp=True)
        check(payload == t["payload"] and int(ts.timestamp()) == t["signed_at"], f"token {t['salt']} loads")
        check(fixed_serializer(t["salt"], t["signed_at"]).dumps(t["payload"]) == t["token"],
              f"token {t['salt']} identical to itsdangerous' own (compressed: {t['token'].startswith('.')})")
        check(fs_serializers[t["salt"]].loads(t["token"]) == t["payload"], f"token {t['salt']} loads in Flask-Security")

    # 3. TOTP secrets
    fs_totp = security._totp_factory  # Flask-Security's Totp helper around passlib
    passlib_factory = fs_totp._totp
    for t in data["totp"]:
        check(fs_totp.get_totp_b32_key(t["stored_json"]) == t["b32_key"], "TOTP blob decrypts to its key (Flask-Security)")
        key = passlib_factory.from_source(t["stored_json"])
        for c in t["codes"]:
            check(key.generate(c["unix_time"]).token == c["code"], f"TOTP code at {c['unix_time']}")
        check(passlib_factory.from_uri(t["uri"]).base32_key == t["b32_key"], "TOTP provisioning URI parses")

    # 4. recovery codes have Flask-Security's shape
    import re
    check(all(re.fullmatch(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}", c) for c in data["recovery_codes"]),
          "recovery codes shape")

client = app.test_client()
# 5. every user logs in to Flask-Security with the password we hashed
for i, h in enumerate(data["password_hashes"]):
    r = client.post("/login", json={"email": f"user{i}@example.com", "password": h["password"]})
    check(r.status_code == 200, f"login as {h['scheme']} user ({r.status_code})")
    client.post("/logout", json={})
# 6. our auth token authenticates a Flask-Security request
r = client.get("/api/me", headers={"Authentication-Token": data["auth_token"]["token"]})
check(r.status_code == 200 and r.json["uid"] == data["auth_token"]["fs_uniquifier"], f"auth token accepted ({r.status_code})")
r = client.get("/api/me", headers={"Authentication-Token": data["auth_token"]["token"] + "x", "Accept": "application/json"})
check(r.status_code == 401, f"tampered auth token refused ({r.status_code} {r.data[:80]})")

# 7. our remember cookie logs its user in to Flask-Security (Flask-Login)
remembered = app.test_client()
remembered.set_cookie("remember_token", data["remember_cookie"]["cookie"])
r = remembered.get("/api/me-session", headers={"Accept": "application/json"})
check(r.status_code == 200 and r.json["uid"] == data["remember_cookie"]["fs_uniquifier"],
      f"remember cookie accepted ({r.status_code})")
forged = app.test_client()
forged.set_cookie("remember_token", data["remember_cookie"]["cookie"][:-1] + "0")
r = forged.get("/api/me-session", headers={"Accept": "application/json"})
check(r.status_code == 401, f"tampered remember cookie refused ({r.status_code})")

# 7b. a Flask session cookie Portcullis signed is a Flask session to Flask
flask_made = app.test_client()
flask_made.set_cookie("session", data["flask_session"]["cookie"])
r = flask_made.get("/api/me-session", headers={"Accept": "application/json"})
check(r.status_code == 200 and r.json["uid"] == data["flask_session"]["fs_uniquifier"],
      f"Flask session cookie made by Portcullis accepted by Flask ({r.status_code})")

# 8. recovery codes Portcullis encrypted at rest open with Flask-Security's util
rc = data["recovery_codes_encrypted"]
with app.app_context():
    util = security._mf_recovery_codes_util
    check(util._decrypt_codes(rc["stored"]) == rc["codes"], "encrypted recovery codes decrypt in Flask-Security")
    fs_codes = ["1a2b-3c4d-5e6f", "0f0f-a1a1-b2b2"]
    fs_stored = util._encrypt_codes(fs_codes)

# 9. Flask-Security issues a remember cookie, for Portcullis to accept
issuer = app.test_client()
h = data["password_hashes"][0]
r = issuer.post("/login", json={"email": "user0@example.com", "password": h["password"], "remember": True})
cookie = issuer.get_cookie("remember_token")
session_cookie = issuer.get_cookie("session")
check(r.status_code == 200 and cookie is not None, f"Flask-Security set a remember cookie ({r.status_code})")
with app.app_context():
    uid = ds.find_user(email="user0@example.com").fs_uniquifier
json.dump({
    "secret_key": data["secret_key"],
    "remember_cookie": {"fs_uniquifier": uid, "cookie": cookie.value if cookie else ""},
    "flask_session": {"fs_uniquifier": uid, "cookie": session_cookie.value if session_cookie else ""},
    "recovery_codes_encrypted": {"keys": rc["keys"], "codes": fs_codes, "stored": fs_stored},
}, open(sys.argv[2], "w"), indent=1)

print(f"interop: {passed} passed, {len(failures)} failed")
for f in failures:
    print("  FAILED:", f)
sys.exit(1 if failures else 0)
