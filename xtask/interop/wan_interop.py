"""WebAuthn keys across Flask-Security 5.9.2 and Portcullis, with a software
authenticator (PyPI soft-webauthn) on http://localhost.

usage:
  python wan_interop.py fs-registers DB OUT.json
      Flask-Security creates DB (fsqla_v3), two users and, through its own
      /wan-register endpoints, a security key (usage "secondary") for
      kim@example.com and a passkey (usage "first") for lee@example.com.
      OUT.json has the settings, the passwords and each key's private half,
      for Portcullis to sign in with.
  python wan_interop.py fs-signs-in DB KEYS.json
      Flask-Security signs in, through /login + /wan-signin (second factor)
      and /wan-signin alone (passkey), with keys Portcullis registered into
      DB; KEYS.json as fs-registers writes it.
"""
import base64
import json
import sys

from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_security import Security, SQLAlchemyUserDatastore, hash_password
from flask_security.models import fsqla_v3 as fsqla
from soft_webauthn import SoftWebauthnDevice

ORIGIN = "http://localhost"
SECRET_KEY = "webauthn-interop-secret"
SALT = "webauthn-interop-salt"
PASSWORD = "Correct-Horse-Battery-9"


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")


def make_app(db_path):
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
        SECRET_KEY=SECRET_KEY,
        SECURITY_PASSWORD_SALT=SALT,
        SECURITY_PASSWORD_HASH="argon2",
        SQLALCHEMY_DATABASE_URI="sqlite:///" + db_path,
        WTF_CSRF_ENABLED=False,
        SECURITY_WEBAUTHN=True,
        SECURITY_WAN_RP_NAME="interop",
        SECURITY_EMAIL_VALIDATOR_ARGS={"check_deliverability": False},
    )
    db.init_app(app)
    ds = SQLAlchemyUserDatastore(db, User, Role, WebAuthn)
    Security(app, ds)
    return app, db, ds


def post(client, path, body):
    r = client.post(path, json=body, headers={"Accept": "application/json"})
    return r.status_code, r.get_json()


def browser_options(options):
    """py_webauthn's JSON options as soft-webauthn's (binary) arguments."""
    pk = dict(options)
    pk["challenge"] = b64d(options["challenge"])
    if "user" in pk:
        pk["user"] = dict(pk["user"], id=b64d(pk["user"]["id"]))
    return {"publicKey": pk}


def credential_json(cred):
    """soft-webauthn's answer as the JSON text a browser posts."""
    out = {
        "id": b64e(cred["rawId"]),
        "rawId": b64e(cred["rawId"]),
        "type": "public-key",
        "response": {k: b64e(v) for k, v in cred["response"].items() if v is not None},
    }
    if "attestationObject" in cred["response"]:
        out["response"]["transports"] = ["usb"]
        out["extensions"] = json.dumps({"credProps": {"rk": True}})
    return json.dumps(out)


def fs_registers(db_path, out_path):
    app, db, ds = make_app(db_path)
    keys = []
    with app.app_context():
        db.create_all()
        for email in ["kim@example.com", "lee@example.com"]:
            ds.create_user(email=email, password=hash_password(PASSWORD), active=True)
        db.session.commit()
    for email, usage in [("kim@example.com", "secondary"), ("lee@example.com", "first")]:
        client = app.test_client()
        status, _ = post(client, "/login", {"email": email, "password": PASSWORD})
        assert status == 200, status
        status, body = post(client, "/wan-register", {"name": "key-" + usage, "usage": usage})
        assert status == 200, body
        resp = body["response"]
        device = SoftWebauthnDevice()
        cred = device.create(browser_options(resp["credential_options"]), ORIGIN)
        status, body = post(
            client, "/wan-register/" + resp["wan_state"], {"credential": credential_json(cred)}
        )
        assert status == 200, body
        pem = device.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        keys.append(
            {
                "email": email,
                "usage": usage,
                "credential_id": b64e(device.credential_id),
                "user_handle": b64e(device.user_handle),
                "rp_id": device.rp_id,
                "sign_count": device.sign_count,
                "private_key_pem": pem,
            }
        )
    out = {
        "secret_key": SECRET_KEY,
        "password_salt": SALT,
        "password": PASSWORD,
        "origin": ORIGIN,
        "keys": keys,
    }
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"Flask-Security registered {len(keys)} keys into {db_path}")


def device_from(key):
    device = SoftWebauthnDevice()
    device.credential_id = b64d(key["credential_id"])
    device.private_key = serialization.load_pem_private_key(
        key["private_key_pem"].encode("ascii"), password=None
    )
    device.rp_id = key["rp_id"]
    device.user_handle = b64d(key["user_handle"])
    device.sign_count = key["sign_count"]
    return device


def fs_signs_in(db_path, keys_path):
    meta = json.load(open(keys_path))
    app, db, ds = make_app(db_path)
    app.config.update(SECRET_KEY=meta["secret_key"], SECURITY_PASSWORD_SALT=meta["password_salt"])
    failures = []
    for key in meta["keys"]:
        client = app.test_client()
        device = device_from(key)
        if key["usage"] == "secondary":
            status, body = post(
                client, "/login", {"email": key["email"], "password": meta["password"]}
            )
            resp = body["response"]
            if status != 200 or resp.get("tf_method") != "webauthn":
                failures.append(f"{key['email']}: login did not ask for the key: {body}")
                continue
        status, body = post(client, "/wan-signin", {})
        if status != 200:
            failures.append(f"{key['email']}: /wan-signin {status} {body}")
            continue
        resp = body["response"]
        options = browser_options(resp["credential_options"])
        assertion = device.get(options, ORIGIN)
        status, body = post(
            client,
            "/wan-signin/" + resp["wan_state"],
            {"credential": credential_json(assertion)},
        )
        if status != 200:
            failures.append(f"{key['email']}: /wan-signin/<state> {status} {body}")
            continue
        r = client.get("/verify", headers={"Accept": "application/json"})
        if r.status_code != 200:
            failures.append(f"{key['email']}: not logged in after the key ({r.status_code})")
            continue
        print(f"Flask-Security signed {key['email']} in with a {key['usage']} key Portcullis registered")
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    cmd, db_path, other = sys.argv[1], sys.argv[2], sys.argv[3]
    {"fs-registers": fs_registers, "fs-signs-in": fs_signs_in}[cmd](db_path, other)
