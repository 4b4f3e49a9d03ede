"""Social login in a real browser: Debian's Chromium, driven by Playwright,
clicks the login page's provider button ("Continue with local") of the todo
example, which goes to a real OpenID provider (npm's oidc-provider,
xtask/oidc/provider.mjs, on loopback) and comes back signed in.

usage: python oauth_in_chromium.py TODO_BINARY [CHROMIUM] [SCREENSHOT_DIR]

1. jo@example.com registers and confirms through the pages.
2. In a fresh browser: / -> the login page -> "Continue with local" -> the
   provider (which signs jo in) -> back on the todo list as jo -> log out.
3. A provider account nobody registered: the button ends on the app's
   login-error view saying so, and / still asks to log in.

Screenshots go to SCREENSHOT_DIR/oauth/. Exits non-zero, saying which
step failed.
"""
import json
import os
import subprocess
import shutil
import sys
import tempfile
import urllib.request
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import sync_playwright

from todo_app import free_port, start_todo
from tutorial_in_chromium import Tutorial

OIDC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oidc")


def start_provider(port):
    proc = subprocess.Popen(["node", "provider.mjs", str(port)], cwd=OIDC_DIR,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit("the OpenID provider did not start: " + line)
    return proc


def sign_in_as(issuer, sub):
    req = urllib.request.Request(issuer + "/_test/account", data=json.dumps({"sub": sub}).encode(),
                                 method="POST")
    urllib.request.urlopen(req, timeout=5)


def main():
    binary = os.path.abspath(sys.argv[1])
    chromium = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/chromium"
    shots = os.path.join(os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "target/browser-screenshots"), "oauth")
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    workdir = tempfile.mkdtemp(prefix="portcullis-oauth-")
    idp_port, port = free_port(), free_port()
    issuer = f"http://127.0.0.1:{idp_port}"
    base = f"http://localhost:{port}"
    idp = start_provider(idp_port)
    todo = start_todo(binary, port, workdir, {
        "SECURITY_OAUTH_ENABLE": "true",
        "SECURITY_OAUTH_BUILTIN_PROVIDERS": "[]",
        "SECURITY_OAUTH_OIDC_PROVIDERS": '["local"]',
        "LOCAL_SERVER_METADATA_URL": issuer + "/.well-known/openid-configuration",
        "LOCAL_CLIENT_ID": "portcullis",
        "LOCAL_CLIENT_SECRET": "portcullis-test-secret",
    })
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync"],
            )
            t = Tutorial(browser, base, os.path.join(workdir, "todo.log"), shots)
            jo = "jo@example.com"
            t.register(jo)

            t.new_session()
            t.step = "sign in with the provider's button"
            sign_in_as(issuer, "jo")
            t.page.goto(base + "/")
            t.expect(t.path() == "/login", "/ did not send the browser to the login page")
            t.expect(t.page.locator("#local_form").count() == 1, "the login page offers no provider")
            t.expect(t.page.get_attribute("#local", "value") == "Continue with local",
                     "the provider button is not labelled as Flask-Security labels it")
            t.shot("oauth-login-page")
            with t.page.expect_navigation(url=lambda u: urlparse(u).port == port and urlparse(u).path == "/"):
                t.page.click("#local")
            t.see_todos(jo)
            t.shot("oauth-signed-in")
            t.log_out()

            t.new_session()
            t.step = "a provider account nobody registered"
            sign_in_as(issuer, "stranger")
            t.page.goto(base + "/login")
            with t.page.expect_navigation(url=lambda u: urlparse(u).path == "/login-error"):
                t.page.click("#local")
            error = parse_qs(urlparse(t.page.url).query).get("error", [""])[0]
            t.expect("stranger@example.com" in error and "not registered" in error.lower(),
                     f"the error view says {error!r}")
            t.shot("oauth-not-registered")
            t.page.goto(base + "/")
            t.expect(t.path() == "/login", "a refused provider login left the browser signed in")
            browser.close()
        print(f"browser: signed in with the provider's button against a real OpenID provider, and refused a stranger, in Chromium (screenshots in {shots})")
    finally:
        todo.terminate()
        todo.wait(timeout=10)
        idp.terminate()
        idp.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
