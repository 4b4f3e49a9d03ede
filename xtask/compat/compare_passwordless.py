"""Passwordless login (SECURITY_PASSWORDLESS) side by side: the reference
app and the todo example, both with passwordless on and both mailing to the
SMTP sink this script runs, so the mailed /login/<token> links can be
followed.

usage: python compare_passwordless.py http://127.0.0.1:5002 http://127.0.0.1:8013 2526 [report.md]
(start both servers with MAIL_SERVER=127.0.0.1 MAIL_PORT=2526 after this
script's sink is up, or start this script first: it waits for them.)
Prints a Markdown table; exits 1 if an unexpected difference is found.
"""
import email
import re
import sys
import time

from aiosmtpd.controller import Controller

REF, OURS, SMTP_PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
REPORT = sys.argv[4] if len(sys.argv) > 4 else None
# compare.py's client and shape, without running its scenarios.
sys.argv = [sys.argv[0], REF, OURS]

ADMIN = "admin@example.com"
KNOWN = {
    "GET /login/<token> replayed": "Portcullis accepts a passwordless link once; Flask-Security until it expires",
}


class Sink:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content)
        parts = [p.get_payload(decode=True) or b"" for p in msg.walk() if not p.is_multipart()]
        self.mails.append((envelope.rcpt_tos, b"\n".join(parts).decode(errors="replace")))
        return "250 OK"


from side_by_side import Client, report, shape, wait_for  # noqa: E402


def link_to(sink, to, since):
    for _ in range(50):
        for rcpts, body in sink.mails[since:]:
            if to in rcpts:
                m = re.search(r"https?://[^\s\"'<>]*/login/[A-Za-z0-9_.\-]+", body)
                if m:
                    path = m.group(0).split("//", 1)[1]
                    return path[path.find("/"):]
        time.sleep(0.1)
    raise SystemExit(f"no login link mailed to {to}")


def scenarios(base, sink):
    anon = Client(base)
    yield "GET /login (passwordless)", shape(*anon.call("GET", "/login"))
    yield "POST /login empty", shape(*anon.call("POST", "/login", {}))
    yield "POST /login invalid email", shape(*anon.call("POST", "/login", {"email": "not-an-email"}))
    yield "POST /login unknown user", shape(*anon.call("POST", "/login", {"email": "nobody@example.com"}))
    yield "POST /login wrong type", shape(*anon.call("POST", "/login", {"email": 5}))
    since = len(sink.mails)
    yield "POST /login ok", shape(*anon.call("POST", "/login", {"email": ADMIN}))
    link = link_to(sink, ADMIN, since)
    yield "GET /login/<garbage>", shape(*anon.call("GET", "/login/garbage"))
    user = Client(base)
    yield "GET /login/<token>", shape(*user.call("GET", link))
    yield "GET /api/me after the link", {"status": user.call("GET", "/api/me")[0]}
    yield "GET /login/<token> logged in", shape(*user.call("GET", link))
    yield "GET /login/<token> replayed", shape(*Client(base).call("GET", link))


def main():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        wait_for(REF, OURS)
        ref = list(scenarios(REF, sink))
        ours = list(scenarios(OURS, sink))
    finally:
        controller.stop()
    report(ref, ours, KNOWN, REPORT)


main()
