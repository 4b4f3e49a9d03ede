"""Runs the same HTTP scenarios against the Flask-Security reference app and
against Portcullis' todo example, and compares status codes, JSON keys and
messages. Both must run with the reference app's settings and its seeded
admin (admin@example.com / Admin-Passw0rd-123, role admin).

usage: python compare.py http://127.0.0.1:5001 http://127.0.0.1:8000 [report.md]
Prints a Markdown table; exits 1 if an unexpected difference is found.
"""
import base64
import hashlib
import hmac
import http.cookiejar
import json
import struct
import time
import sys
import urllib.error
import urllib.request
import uuid

REF, OURS = sys.argv[1], sys.argv[2]
ADMIN = {"email": "admin@example.com", "password": "Admin-Passw0rd-123"}
PW = "Long-Enough-Pw-1"
# Differences we chose, with the reason (see docs/compat/http.md).
KNOWN = {
    "malformed JSON": "Flask answers an HTML 400 page; Portcullis keeps to the JSON envelope",
}


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def xsrf(self):
        for c in self.jar:
            if c.name == "XSRF-TOKEN":
                return c.value
        return ""

    def call(self, method, path, body=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = {"Accept": "application/json"}
        if data is not None:
            h["Content-Type"] = "application/json"
        if self.xsrf():
            h["X-XSRF-Token"] = self.xsrf()
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            resp = self.opener.open(req, timeout=30)
            status, text, hdrs = resp.status, resp.read().decode(), resp.headers
        except urllib.error.HTTPError as e:
            status, text, hdrs = e.code, e.read().decode(), e.headers
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        return status, payload, hdrs


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def shape(status, payload, hdrs):
    """What must match: status, top-level response keys, field_errors keys,
    error texts (auth tokens and CSRF values differ by nature)."""
    if status in (301, 302, 303):
        loc = hdrs.get("Location", "")
        path = loc.split("//", 1)[-1]
        path = path[path.find("/"):] if "/" in path else path
        return {"status": status, "location": path.split("?")[0], "query": sorted(k.split("=")[0] for k in (path.split("?", 1)[1].split("&") if "?" in path else []))}
    if not isinstance(payload, dict):
        return {"status": status, "json": False}
    resp = payload.get("response", payload)
    out = {"status": status, "json": True, "keys": sorted(resp.keys()) if isinstance(resp, dict) else None}
    if isinstance(resp, dict):
        if "field_errors" in resp:
            out["field_errors"] = {k: v for k, v in sorted(resp["field_errors"].items())}
        if "errors" in resp:
            out["errors"] = resp["errors"]
        if isinstance(resp.get("user"), dict):
            out["user_keys"] = sorted(resp["user"].keys())
    return out


def totp(b32, offset=0):
    """The current six-digit code of a base32 key (RFC 6238, SHA-1, 30 s)."""
    key = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    counter = int(time.time()) // 30 + offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


USED_STEPS = {}


def fresh(b32):
    """A code the server will accept: the current one, unless this key's
    current time step was already used, then the next step's (waiting for
    it). Portcullis takes each TOTP step once per user and method (a replayed
    code is refused, see docs/security.md); Flask-Security takes it again,
    so a fresh code is what both must accept."""
    step = int(time.time()) // 30
    if USED_STEPS.get(b32, -1) >= step:
        time.sleep(30 - time.time() % 30 + 0.5)
        step = int(time.time()) // 30
    USED_STEPS[b32] = step
    return totp(b32)


def wrong(b32):
    valid = {totp(b32, i) for i in range(-10, 11)}
    return next("%06d" % n for n in range(1000000) if "%06d" % n not in valid)


def mfa_scenarios(base):
    """Two-factor, recovery codes and unified sign-in, with the seeded admin
    (left as it was found: both factors are removed at the end)."""
    anon = Client(base)
    for path in ("/tf-setup", "/tf-validate", "/tf-rescue", "/tf-select", "/mf-recovery"):
        yield f"GET {path} anonymous", shape(*anon.call("GET", path))
    yield "POST /tf-validate anonymous", shape(*anon.call("POST", "/tf-validate", {"code": "123456"}))
    yield "POST /mf-recovery anonymous", shape(*anon.call("POST", "/mf-recovery", {"code": "x"}))
    for path in ("/mf-recovery-codes", "/us-setup", "/us-verify"):
        yield f"GET {path} anonymous", shape(*anon.call("GET", path))
    yield "POST /tf-setup/<garbage> anonymous", shape(*anon.call("POST", "/tf-setup/garbage", {"code": "1"}))
    yield "GET /us-signin", shape(*anon.call("GET", "/us-signin"))
    yield "POST /us-signin empty", shape(*anon.call("POST", "/us-signin", {}))
    yield "POST /us-signin unknown", shape(*anon.call("POST", "/us-signin", {"identity": "nobody@example.com", "passcode": "x"}))
    yield "POST /us-signin wrong passcode", shape(*anon.call("POST", "/us-signin", {"identity": ADMIN["email"], "passcode": "wrong"}))
    yield "POST /us-signin wrong types", shape(*anon.call("POST", "/us-signin", {"identity": 5, "passcode": "x"}))
    yield "POST /us-signin/send-code authenticator", shape(*anon.call("POST", "/us-signin/send-code", {"identity": ADMIN["email"], "chosen_method": "authenticator"}))
    yield "POST /us-signin/send-code no method", shape(*anon.call("POST", "/us-signin/send-code", {"identity": ADMIN["email"]}))
    yield "POST /us-signin/send-code email not set up", shape(*anon.call("POST", "/us-signin/send-code", {"identity": ADMIN["email"], "chosen_method": "email"}))
    yield "GET /us-verify-link no args", shape(*anon.call("GET", "/us-verify-link"))
    yield "GET /us-verify-link unknown user", shape(*anon.call("GET", "/us-verify-link?id=nobody&code=123456"))

    s = Client(base)
    s.call("GET", "/login")
    s.call("POST", "/login", ADMIN)
    yield "GET /tf-setup", shape(*s.call("GET", "/tf-setup"))
    yield "POST /tf-setup empty", shape(*s.call("POST", "/tf-setup", {}))
    yield "POST /tf-setup bogus", shape(*s.call("POST", "/tf-setup", {"setup": "bogus"}))
    yield "POST /tf-setup sms (not enabled)", shape(*s.call("POST", "/tf-setup", {"setup": "sms"}))
    st, p, h = s.call("POST", "/tf-setup", {"setup": "authenticator"})
    yield "POST /tf-setup authenticator", shape(st, p, h)
    b32 = p["response"]["tf_authr_b32key"]
    token = p["response"]["tf_state_token"]
    yield "POST /tf-setup/<token> no code", shape(*s.call("POST", f"/tf-setup/{token}", {}))
    yield "POST /tf-setup/<token> wrong code", shape(*s.call("POST", f"/tf-setup/{token}", {"code": wrong(b32)}))
    yield "POST /tf-setup/<garbage>", shape(*s.call("POST", "/tf-setup/garbage", {"code": totp(b32)}))
    yield "POST /tf-setup/<token> right code", shape(*s.call("POST", f"/tf-setup/{token}", {"code": fresh(b32)}))
    yield "GET /tf-setup after setup", shape(*s.call("GET", "/tf-setup"))
    yield "GET /mf-recovery-codes", shape(*s.call("GET", "/mf-recovery-codes"))
    st, p, h = s.call("POST", "/mf-recovery-codes", {})
    yield "POST /mf-recovery-codes", shape(st, p, h)
    codes = p["response"]["recovery_codes"]
    yield "GET /us-setup", shape(*s.call("GET", "/us-setup"))
    yield "POST /us-setup empty", shape(*s.call("POST", "/us-setup", {}))
    yield "POST /us-setup delete not active", shape(*s.call("POST", "/us-setup", {"delete_method": ["authenticator"]}))
    st, p, h = s.call("POST", "/us-setup", {"chosen_method": "authenticator"})
    yield "POST /us-setup authenticator", shape(st, p, h)
    ub32, state = p["response"]["authr_b32key"], p["response"]["state"]
    yield "POST /us-setup/<state> wrong", shape(*s.call("POST", f"/us-setup/{state}", {"passcode": wrong(ub32)}))
    yield "POST /us-setup/<garbage>", shape(*s.call("POST", "/us-setup/garbage", {"passcode": totp(ub32)}))
    yield "POST /us-setup/<state> right", shape(*s.call("POST", f"/us-setup/{state}", {"passcode": fresh(ub32)}))
    yield "GET /us-verify", shape(*s.call("GET", "/us-verify"))
    yield "POST /us-verify wrong", shape(*s.call("POST", "/us-verify", {"passcode": "wrong"}))
    yield "POST /us-verify password", shape(*s.call("POST", "/us-verify", {"passcode": ADMIN["password"]}))
    yield "POST /us-verify/send-code email not set up", shape(*s.call("POST", "/us-verify/send-code", {"chosen_method": "email"}))
    s.call("POST", "/logout", {})

    t = Client(base)
    t.call("GET", "/login")
    yield "POST /login with two-factor", shape(*t.call("POST", "/login", ADMIN))
    yield "GET /api/me half logged in", {"status": t.call("GET", "/api/me")[0]}
    yield "GET /tf-validate", shape(*t.call("GET", "/tf-validate"))
    yield "GET /tf-rescue", shape(*t.call("GET", "/tf-rescue"))
    yield "POST /tf-rescue bogus", shape(*t.call("POST", "/tf-rescue", {"help_setup": "bogus"}))
    yield "POST /tf-rescue recovery_code", shape(*t.call("POST", "/tf-rescue", {"help_setup": "recovery_code"}))
    yield "POST /tf-validate wrong", shape(*t.call("POST", "/tf-validate", {"code": wrong(b32)}))
    yield "POST /tf-validate no code", shape(*t.call("POST", "/tf-validate", {}))
    yield "POST /mf-recovery wrong", shape(*t.call("POST", "/mf-recovery", {"code": "0000-0000-0000"}))
    yield "POST /mf-recovery right", shape(*t.call("POST", "/mf-recovery", {"code": codes[0]}))
    yield "GET /api/me after recovery code", {"status": t.call("GET", "/api/me")[0]}
    t.call("POST", "/logout", {})
    t.call("POST", "/login", ADMIN)
    yield "POST /mf-recovery same code again", shape(*t.call("POST", "/mf-recovery", {"code": codes[0]}))
    yield "POST /tf-validate right + token", shape(*t.call("POST", "/tf-validate?include_auth_token", {"code": fresh(b32)}))
    yield "GET /api/me after two-factor", {"status": t.call("GET", "/api/me")[0]}
    t.call("POST", "/logout", {})

    u = Client(base)
    u.call("GET", "/us-signin")
    yield "POST /us-signin authenticator code", shape(*u.call("POST", "/us-signin", {"identity": ADMIN["email"], "passcode": fresh(ub32)}))
    yield "POST /tf-setup disable", shape(*u.call("POST", "/tf-setup", {"setup": "disable"}))
    yield "POST /us-setup delete authenticator", shape(*u.call("POST", "/us-setup", {"delete_method": ["authenticator"]}))
    u.call("POST", "/logout", {})
    v = Client(base)
    v.call("GET", "/us-signin")
    yield "POST /us-signin password", shape(*v.call("POST", "/us-signin", {"identity": ADMIN["email"], "passcode": ADMIN["password"]}))


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")


def soft_options(options):
    """py_webauthn's JSON options as soft-webauthn's (binary) arguments."""
    pk = dict(options)
    pk["challenge"] = b64d(options["challenge"])
    if "user" in pk:
        pk["user"] = dict(pk["user"], id=b64d(pk["user"]["id"]))
    return {"publicKey": pk}


def soft_credential(cred):
    """soft-webauthn's answer as the JSON text a browser posts."""
    out = {"id": b64e(cred["rawId"]), "rawId": b64e(cred["rawId"]), "type": "public-key",
           "response": {k: b64e(v) for k, v in cred["response"].items() if v is not None}}
    if "attestationObject" in cred["response"]:
        out["response"]["transports"] = ["usb"]
        out["extensions"] = json.dumps({"credProps": {"rk": True}})
    return json.dumps(out)


def wan_scenarios(base):
    """WebAuthn (/wan-*) with a software authenticator (PyPI soft-webauthn):
    a passkey and a security key for the seeded admin, removed at the end."""
    from soft_webauthn import SoftWebauthnDevice

    anon = Client(base)
    for path in ("/wan-register", "/wan-delete", "/wan-verify"):
        yield f"GET {path} anonymous", shape(*anon.call("GET", path))
    yield "GET /wan-signin anonymous", shape(*anon.call("GET", "/wan-signin"))
    yield "POST /wan-signin anonymous", shape(*anon.call("POST", "/wan-signin", {}))
    yield "POST /wan-signin/<garbage>", shape(*anon.call("POST", "/wan-signin/garbage", {"credential": "x"}))
    s = Client(base)
    s.call("GET", "/login")
    s.call("POST", "/login", ADMIN)
    yield "GET /wan-register", shape(*s.call("GET", "/wan-register"))
    yield "POST /wan-register no name", shape(*s.call("POST", "/wan-register", {}))
    yield "POST /wan-register bad usage", shape(*s.call("POST", "/wan-register", {"name": "k1", "usage": "third"}))
    st, payload, h = s.call("POST", "/wan-register", {"name": "k1", "usage": "first"})
    yield "POST /wan-register first", shape(st, payload, h)
    state = payload["response"]["wan_state"]
    options = payload["response"]["credential_options"]
    yield "POST /wan-register/<state> garbage", shape(*s.call("POST", f"/wan-register/{state}", {"credential": "{}"}))
    yield "POST /wan-register/<garbage>", shape(*s.call("POST", "/wan-register/garbage", {"credential": "{}"}))
    passkey = SoftWebauthnDevice()
    cred = passkey.create(soft_options(options), base)
    yield "POST /wan-register/<state> ok", shape(*s.call("POST", f"/wan-register/{state}", {"credential": soft_credential(cred)}))
    yield "GET /wan-register listed", shape(*s.call("GET", "/wan-register"))
    yield "POST /wan-register name in use", shape(*s.call("POST", "/wan-register", {"name": "k1", "usage": "first"}))
    yield "GET /verify with a key", shape(*s.call("GET", "/verify"))
    yield "GET /wan-verify", shape(*s.call("GET", "/wan-verify"))
    st, payload, h = s.call("POST", "/wan-verify", {})
    yield "POST /wan-verify", shape(st, payload, h)
    state, options = payload["response"]["wan_state"], payload["response"]["credential_options"]
    assertion = passkey.get(soft_options(options), base)
    yield "POST /wan-verify/<state> ok", shape(*s.call("POST", f"/wan-verify/{state}", {"credential": soft_credential(assertion)}))
    yield "POST /wan-signin while logged in", shape(*s.call("POST", "/wan-signin", {}))
    s.call("POST", "/logout", {})
    p = Client(base)
    st, payload, h = p.call("POST", "/wan-signin", {"identity": ADMIN["email"]})
    yield "POST /wan-signin identity", shape(st, payload, h)
    state, options = payload["response"]["wan_state"], payload["response"]["credential_options"]
    assertion = passkey.get(soft_options(options), base)
    yield "POST /wan-signin/<state> passkey", shape(*p.call("POST", f"/wan-signin/{state}?include_auth_token", {"credential": soft_credential(assertion)}))
    yield "GET /api/me after passkey", {"status": p.call("GET", "/api/me")[0]}
    st, payload, h = p.call("POST", "/wan-register", {"name": "k2", "usage": "secondary"})
    state, options = payload["response"]["wan_state"], payload["response"]["credential_options"]
    key = SoftWebauthnDevice()
    cred = key.create(soft_options(options), base)
    yield "POST /wan-register/<state> secondary", shape(*p.call("POST", f"/wan-register/{state}", {"credential": soft_credential(cred)}))
    p.call("POST", "/logout", {})
    t = Client(base)
    t.call("GET", "/login")
    yield "POST /login with a security key", shape(*t.call("POST", "/login", ADMIN))
    yield "GET /api/me before the key", {"status": t.call("GET", "/api/me")[0]}
    yield "GET /wan-signin second factor", shape(*t.call("GET", "/wan-signin"))
    st, payload, h = t.call("POST", "/wan-signin", {})
    yield "POST /wan-signin second factor", shape(st, payload, h)
    state, options = payload["response"]["wan_state"], payload["response"]["credential_options"]
    yield "POST /wan-signin/<state> wrong key", shape(*t.call("POST", f"/wan-signin/{state}", {"credential": soft_credential(passkey.get(soft_options(options), base))}))
    assertion = key.get(soft_options(options), base)
    yield "POST /wan-signin/<state> security key", shape(*t.call("POST", f"/wan-signin/{state}", {"credential": soft_credential(assertion)}))
    yield "GET /api/me after the key", {"status": t.call("GET", "/api/me")[0]}
    yield "POST /wan-delete unknown", shape(*t.call("POST", "/wan-delete", {"name": "nope"}))
    yield "POST /wan-delete k1", shape(*t.call("POST", "/wan-delete", {"name": "k1"}))
    yield "POST /wan-delete k2", shape(*t.call("POST", "/wan-delete", {"name": "k2"}))
    yield "GET /wan-register empty", shape(*t.call("GET", "/wan-register"))


def scenarios(base):
    """Yields (name, shape) for one server, in order."""
    n = uuid.uuid4().hex[:8]
    anon = Client(base)
    yield "GET /login", shape(*anon.call("GET", "/login"))
    yield "POST /login unknown user", shape(*anon.call("POST", "/login", {"email": "nobody@example.com", "password": "x"}))
    yield "POST /login wrong password", shape(*anon.call("POST", "/login", {"email": ADMIN["email"], "password": "wrong"}))
    yield "POST /login no password", shape(*anon.call("POST", "/login", {"email": ADMIN["email"]}))
    yield "POST /login no email", shape(*anon.call("POST", "/login", {"password": "x"}))
    yield "POST /login invalid email", shape(*anon.call("POST", "/login", {"email": "not-an-email", "password": "x"}))
    yield "POST /login wrong types", shape(*anon.call("POST", "/login", {"email": 5, "password": "x"}))
    yield "malformed JSON", shape(*anon.call("POST", "/login", raw=b"{bad"))
    yield "GET /api/me anonymous", shape(*anon.call("GET", "/api/me"))
    yield "GET /api/admin anonymous", shape(*anon.call("GET", "/api/admin"))
    yield "GET /register", shape(*anon.call("GET", "/register"))
    yield "POST /register empty", shape(*anon.call("POST", "/register", {}))
    yield "POST /register short password", shape(*anon.call("POST", "/register", {"email": f"s{n}@example.com", "password": "short", "password_confirm": "short"}))
    yield "POST /register mismatch", shape(*anon.call("POST", "/register", {"email": f"m{n}@example.com", "password": PW, "password_confirm": PW + "x"}))
    yield "POST /register existing", shape(*anon.call("POST", "/register", {"email": ADMIN["email"], "password": PW, "password_confirm": PW}))
    yield "POST /register ok", shape(*anon.call("POST", "/register", {"email": f"new{n}@example.com", "password": PW, "password_confirm": PW}))
    yield "POST /login unconfirmed", shape(*anon.call("POST", "/login", {"email": f"new{n}@example.com", "password": PW}))
    yield "GET /confirm", shape(*anon.call("GET", "/confirm"))
    yield "POST /confirm unknown", shape(*anon.call("POST", "/confirm", {"email": "nobody@example.com"}))
    yield "POST /confirm resend", shape(*anon.call("POST", "/confirm", {"email": f"new{n}@example.com"}))
    yield "POST /confirm already confirmed", shape(*anon.call("POST", "/confirm", {"email": ADMIN["email"]}))
    yield "GET /confirm/<garbage>", shape(*anon.call("GET", "/confirm/garbage"))
    yield "GET /reset", shape(*anon.call("GET", "/reset"))
    yield "POST /reset unknown", shape(*anon.call("POST", "/reset", {"email": "nobody@example.com"}))
    yield "POST /reset unconfirmed", shape(*anon.call("POST", "/reset", {"email": f"new{n}@example.com"}))
    yield "POST /reset ok", shape(*anon.call("POST", "/reset", {"email": ADMIN["email"]}))
    yield "GET /reset/<garbage>", shape(*anon.call("GET", "/reset/garbage"))
    yield "POST /reset/<garbage>", shape(*anon.call("POST", "/reset/garbage", {"password": PW, "password_confirm": PW}))
    yield "GET /change anonymous", shape(*anon.call("GET", "/change"))
    yield "GET /change-username (feature off)", shape(*anon.call("GET", "/change-username"))
    s = Client(base)
    s.call("GET", "/login")
    status, payload, hdrs = s.call("POST", "/login?include_auth_token", ADMIN)
    yield "POST /login ok + token", shape(status, payload, hdrs)
    token = payload["response"]["user"]["authentication_token"]
    yield "POST /login again while logged in", shape(*s.call("POST", "/login", ADMIN))
    yield "GET /api/me session", {"status": s.call("GET", "/api/me")[0]}
    yield "GET /api/me token", {"status": Client(base).call("GET", "/api/me", headers={"Authentication-Token": token})[0]}
    yield "GET /api/admin admin", shape(*s.call("GET", "/api/admin"))
    yield "GET /api/write admin", shape(*s.call("GET", "/api/write"))
    yield "GET /change", shape(*s.call("GET", "/change"))
    yield "GET /verify", shape(*s.call("GET", "/verify"))
    yield "POST /verify wrong", shape(*s.call("POST", "/verify", {"password": "wrong"}))
    yield "POST /verify ok", shape(*s.call("POST", "/verify", {"password": ADMIN["password"]}))
    yield "GET /change-email", shape(*s.call("GET", "/change-email"))
    yield "POST /change-email taken", shape(*s.call("POST", "/change-email", {"email": ADMIN["email"]}))
    yield "POST /change-email invalid", shape(*s.call("POST", "/change-email", {"email": "nope"}))
    yield "POST /change wrong current", shape(*s.call("POST", "/change", {"password": "wrong", "new_password": PW, "new_password_confirm": PW}))
    yield "POST /change same", shape(*s.call("POST", "/change", {"password": ADMIN["password"], "new_password": ADMIN["password"], "new_password_confirm": ADMIN["password"]}))
    nocsrf = Client(base)
    nocsrf.jar = s.jar
    nocsrf.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(s.jar), NoRedirect())
    yield "POST /change without CSRF", shape(*nocsrf.call("POST", "/change", {"password": "x"}, headers={"X-XSRF-Token": ""}))
    yield "POST /logout", shape(*s.call("POST", "/logout", {}))
    yield "GET /api/me after logout", {"status": s.call("GET", "/api/me")[0]}


ref = list(scenarios(REF)) + list(mfa_scenarios(REF)) + list(wan_scenarios(REF))
ours = list(scenarios(OURS)) + list(mfa_scenarios(OURS)) + list(wan_scenarios(OURS))
rows, unexpected = [], 0
for (name, a), (_, b) in zip(ref, ours):
    same = a == b
    note = "" if same else KNOWN.get(name, "")
    if not same and not note:
        unexpected += 1
    mark = "same" if same else ("known difference" if note else "**DIFFERENT**")
    rows.append((name, a.get("status"), b.get("status"), mark, note or ("" if same else f"ref {a} / ours {b}")))
out = ["| scenario | reference | Portcullis | verdict | note |", "|---|---|---|---|---|"]
out += [f"| {n} | {a} | {b} | {m} | {note} |" for n, a, b, m, note in rows]
out.append("")
out.append(f"{len(rows)} scenarios: {sum(1 for r in rows if r[3] == 'same')} same, {sum(1 for r in rows if r[3] == 'known difference')} known differences, {unexpected} unexpected.")
text = "\n".join(out)
print(text)
if len(sys.argv) > 3:
    open(sys.argv[3], "w").write(text + "\n")
sys.exit(1 if unexpected else 0)
