"""Translations: Flask-Security 5.9.2 with Flask-Babel (locale from
Accept-Language, `request.accept_languages.best_match`) and the todo
example with SECURITY_I18N_DIRNAME pointing at the `.mo` files that same
Flask-Security installed, asked the same things in de_DE and ja_JP:

  - a login with a wrong password (JSON): `response.errors`, and the
    body byte for byte (Flask's jsonify: sorted keys, non-ASCII escaped,
    a final newline);
  - a successful password reset by form: the message flashed on the page
    the browser is sent to;
  - the reset mail's "This link will expire in %(within)s.": the duration
    (26 hours) in the locale's words, from Babel's CLDR data there and
    ICU4X's here.

usage: python i18n_interop.py TODO_BINARY

The texts must be the same, and translated (not Flask-Security's English).
Exits non-zero saying which differ.
"""
import http.cookiejar
import json
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import gettext
import flask_security
from flask import Flask, request
from flask_babel import Babel
from flask_mail import Mail
from flask_security import Security, SQLAlchemyUserDatastore, hash_password
from flask_security.models import fsqla_v3 as fsqla
from flask_security.signals import reset_password_instructions_sent
from flask_sqlalchemy import SQLAlchemy

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from todo_app import free_port, start_todo  # noqa: E402

TRANSLATIONS = os.path.join(os.path.dirname(flask_security.__file__), "translations")
LOCALES = sorted(d for d in os.listdir(TRANSLATIONS) if os.path.isdir(os.path.join(TRANSLATIONS, d)))
ASKS = {"de_DE": "de-DE,de;q=0.9,en;q=0.8", "ja_JP": "ja-JP,ja;q=0.9"}
PASSWORD = "Correct-Horse-Battery-9"
NEW_PASSWORD = "Another-Horse-Battery-7"
FLASH = re.compile(r'<li class="[^"]*fs-error-msg">(.*?)</li>', re.S)
RESET_WITHIN = "26 hours"
EXPIRES = "This link will expire in %(within)s."


def within_in(locale, mail_text):
    """The duration in the reset mail's expiry sentence, as the locale's catalogue words it."""
    sentence = gettext.translation("flask_security", TRANSLATIONS, languages=[locale]).gettext(EXPIRES)
    pattern = re.escape(sentence).replace(re.escape("%(within)s"), "(.+?)")
    found = re.findall(pattern, mail_text)
    return found[-1] if found else None


def flashed(html):
    return [m.strip() for m in FLASH.findall(html)]


def flask_security_answers():
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
        SECRET_KEY="i18n-interop-secret",
        SECURITY_PASSWORD_SALT="i18n-interop-salt",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SECURITY_RECOVERABLE=True,
        SECURITY_RESET_PASSWORD_WITHIN=RESET_WITHIN,
        SECURITY_EMAIL_VALIDATOR_ARGS={"check_deliverability": False},
        WTF_CSRF_ENABLED=False,
        MAIL_SUPPRESS_SEND=True,
    )
    db.init_app(app)
    Mail(app)
    from flask_mail import email_dispatched

    outbox = []
    email_dispatched.connect(lambda sender, message, **kw: outbox.append(message.body), weak=False)
    Babel(app, locale_selector=lambda: request.accept_languages.best_match(LOCALES))
    security = Security(app, SQLAlchemyUserDatastore(db, User, Role))
    tokens = []
    reset_password_instructions_sent.connect(lambda app, **kw: tokens.append(kw["token"]), app, weak=False)
    emails = {locale: f"fs{i}@example.com" for i, locale in enumerate(ASKS)}
    with app.app_context():
        db.create_all()
        for email in emails.values():
            security.datastore.create_user(email=email, password=hash_password(PASSWORD))
        db.session.commit()
    # Each request in its own app context: Flask-Babel keeps the
    # translations it loaded for a context.
    answers = {}
    for locale, email in emails.items():
        lang = {"Accept-Language": ASKS[locale]}
        c = app.test_client()
        r = c.post("/login", json={"email": email, "password": "wrong-password"}, headers=lang)
        bad = r.get_json()["response"]["errors"]
        raw = r.get_data()
        r = c.post("/reset", json={"email": email}, headers=lang)
        assert r.status_code == 200, r.get_data(as_text=True)
        token = tokens[-1]
        within = within_in(locale, outbox[-1])
        r = c.post(f"/reset/{token}", data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                   headers={**lang, "Accept": "text/html"}, follow_redirects=True)
        answers[locale] = {"bad_login": bad, "bad_login_bytes": raw, "reset": flashed(r.get_data(as_text=True)),
                           "within": within}
    return answers


def portcullis_answers(binary):
    workdir = tempfile.mkdtemp(prefix="portcullis-i18n-")
    port = free_port()
    base = f"http://localhost:{port}"
    todo = start_todo(binary, port, workdir, {
        "SECURITY_CONFIRMABLE": "false",
        "SECURITY_I18N_DIRNAME": TRANSLATIONS,
        "SECURITY_RESET_PASSWORD_WITHIN": RESET_WITHIN,
    })
    log = os.path.join(workdir, "todo.log")

    def call(opener, method, path, lang, body=None, form=None):
        headers = {"Accept-Language": lang}
        data = None
        if body is not None:
            headers.update({"Content-Type": "application/json", "Accept": "application/json"})
            data = json.dumps(body).encode()
        if form is not None:
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
            data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
        try:
            with opener.open(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    try:
        answers = {}
        for i, locale in enumerate(ASKS):
            email = f"pc{i}@example.com"
            lang = ASKS[locale]
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            status, _ = call(opener, "POST", "/register", lang,
                             body={"email": email, "password": PASSWORD, "password_confirm": PASSWORD})
            assert status == 200, f"register {email}: {status}"
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            status, raw = call(opener, "POST", "/login", lang, body={"email": email, "password": "wrong-password"})
            bad = json.loads(raw)["response"]["errors"]
            call(opener, "POST", "/reset", lang, body={"email": email})
            with open(log) as f:
                logged = f.read()
            links = re.findall(r"https?://\S*/reset/([A-Za-z0-9_.\-]+)", logged)
            assert links, "no reset mail in the todo example's log"
            within = within_in(locale, logged)
            status, html = call(opener, "POST", f"/reset/{links[-1]}", lang,
                                form={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
            answers[locale] = {"bad_login": bad, "bad_login_bytes": raw, "reset": flashed(html.decode()),
                               "within": within}
        return answers
    finally:
        todo.terminate()
        todo.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    binary = os.path.abspath(sys.argv[1])
    fs = flask_security_answers()
    pc = portcullis_answers(binary)
    english = {"bad_login": ["Invalid password"],
               "reset": ["You successfully reset your password. Please authenticate using your new password."],
               "within": "1 day and 2 hours"}
    failed = False
    for locale in ASKS:
        for what in ["bad_login", "bad_login_bytes", "reset", "within"]:
            want, got = fs[locale][what], pc[locale][what]
            ok = bool(want) and want == got
            failed |= not ok
            note = "" if want != english.get(what) else "  (untranslated in this catalogue, by both)"
            print(f"{'ok  ' if ok else 'DIFF'} {locale} {what}: Flask-Security {want!r} / Portcullis {got!r}{note}")
        # The catalogue was read: the wrong password's message is translated;
        # Babel wrote the duration in the locale's words.
        for what in ["bad_login", "within"]:
            if fs[locale][what] == english[what]:
                failed = True
                print(f"DIFF {locale} {what}: Flask-Security itself answered in English; the comparison proves nothing")
    if failed:
        sys.exit("i18n interop: Portcullis' texts differ from Flask-Security's")
    print("i18n interop: the same texts as Flask-Security, from its own de_DE and ja_JP catalogues")


if __name__ == "__main__":
    main()
