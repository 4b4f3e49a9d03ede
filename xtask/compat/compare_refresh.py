"""Refresh tokens (SECURITY_REFRESH_TOKEN, tokens in JSON) side by side:
the reference app and the todo example, both started with
SECURITY_REFRESH_TOKEN=true and SECURITY_REFRESH_TOKEN_COOKIE_NAME="".

usage: python compare_refresh.py http://127.0.0.1:5003 http://127.0.0.1:8014 [report.md]
Prints a Markdown table; exits 1 if an unexpected difference is found.
"""
import sys

REF, OURS = sys.argv[1], sys.argv[2]
REPORT = sys.argv[3] if len(sys.argv) > 3 else None
sys.argv = [sys.argv[0], REF, OURS]

ADMIN = {"email": "admin@example.com", "password": "Admin-Passw0rd-123"}
KNOWN = {
    "POST /refresh-token form-encoded": "Flask-Security aborts with its HTML 400 page; Portcullis answers the 400 JSON envelope",
}


from side_by_side import Client, report, shape, wait_for  # noqa: E402


def token_of(r):
    return (r[1] or {}).get("response", {}).get("user", {}).get("refresh_token", "")


def scenarios(base):
    anon = Client(base)
    login = Client(base).call("POST", "/login?include_auth_token", ADMIN)
    yield "POST /login?include_auth_token", shape(*login)
    first = token_of(login)
    yield "POST /refresh-token empty", shape(*anon.call("POST", "/refresh-token", {}))
    yield "POST /refresh-token wrong type", shape(*anon.call("POST", "/refresh-token", {"refresh_token": 5}))
    yield "POST /refresh-token garbage", shape(*anon.call("POST", "/refresh-token", {"refresh_token": "garbage"}))
    yield "POST /refresh-token form-encoded", shape(*anon.call(
        "POST", "/refresh-token", raw=f"refresh_token={first}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"}))
    yield "GET /refresh-token", {"status": anon.call("GET", "/refresh-token")[0]}
    r = anon.call("POST", "/refresh-token", {"refresh_token": first})
    yield "POST /refresh-token ok", shape(*r)
    second = token_of(r)
    r = anon.call("POST", "/refresh-token", {"refresh_token": second})
    yield "POST /refresh-token next generation", shape(*r)
    third = token_of(r)
    yield "POST /refresh-token replayed", shape(*anon.call("POST", "/refresh-token", {"refresh_token": first}))
    yield "POST /refresh-token after a replay", shape(*anon.call("POST", "/refresh-token", {"refresh_token": third}))
    user = Client(base)
    login = user.call("POST", "/login?include_auth_token", ADMIN)
    token = token_of(login)
    yield "POST /logout with refresh_token", shape(*user.call("POST", "/logout", {"refresh_token": token}))
    yield "POST /refresh-token after logout", shape(*anon.call("POST", "/refresh-token", {"refresh_token": token}))


def main():
    wait_for(REF, OURS)
    report(list(scenarios(REF)), list(scenarios(OURS)), KNOWN, REPORT)


main()
