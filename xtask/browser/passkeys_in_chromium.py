"""Passkeys and security keys in a real browser: Debian's Chromium, driven by
Playwright, with Chromium's virtual authenticator (CDP WebAuthn domain),
against the todo example's own HTML pages on http://localhost.

usage: python passkeys_in_chromium.py TODO_BINARY [CHROMIUM]

Register (HTML form) -> register a passkey on /wan-register -> log out ->
sign in with the passkey alone -> register a security key as second factor
-> log out -> log in with password + key -> re-authenticate with the key
-> delete the key. Exits non-zero, saying which step failed, otherwise.
"""
import os
import shutil
import sys
import tempfile

from playwright.sync_api import sync_playwright

from todo_app import free_port, start_todo

EMAIL = "passkey-user@example.com"
PASSWORD = "Correct-Horse-Battery-9"


def main():
    binary = os.path.abspath(sys.argv[1])
    chromium = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/chromium"
    workdir = tempfile.mkdtemp(prefix="portcullis-browser-")
    port = free_port()
    base = f"http://localhost:{port}"
    todo = start_todo(binary, port, workdir, {"SECURITY_CONFIRMABLE": "false"})
    step = "start"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(15000)
            cdp = context.new_cdp_session(page)
            cdp.send("WebAuthn.enable")

            def authenticator(resident, uv):
                return cdp.send(
                    "WebAuthn.addVirtualAuthenticator",
                    {
                        "options": {
                            "protocol": "ctap2",
                            "transport": "usb",
                            "hasResidentKey": resident,
                            "hasUserVerification": uv,
                            "isUserVerified": uv,
                            "automaticPresenceSimulation": True,
                        }
                    },
                )["authenticatorId"]

            def me():
                r = context.request.get(base + "/api/me", headers={"Accept": "application/json"})
                return r.status, (r.json() if r.status == 200 else None)

            def expect(cond, what):
                if not cond:
                    raise AssertionError(f"{step}: {what}\n--- page at {page.url} ---\n{page.content()[:3000]}")

            def logout():
                r = context.request.post(base + "/logout", headers={"Accept": "application/json"})
                expect(r.status == 200, f"logout answered {r.status}")

            def submit():
                page.click("#security-form button[type=submit]")

            step = "register an account on the HTML form"
            page.goto(base + "/register")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            if page.locator("input[name=password_confirm]").count():
                page.fill("input[name=password_confirm]", PASSWORD)
            submit()
            page.wait_for_load_state()
            status, who = me()
            expect(status == 200 and who["email"] == EMAIL, f"not logged in after registering ({status})")

            step = "register a passkey on /wan-register"
            passkey_authenticator = authenticator(resident=True, uv=True)
            page.goto(base + "/wan-register")
            page.fill("#security-form input[name=name]", "my passkey")
            page.select_option("select[name=usage]", "first")
            with page.expect_navigation(url=f"{base}/wan-register"):
                submit()
            page.wait_for_selector("#wan-credentials")
            expect("my passkey" in page.inner_text("#wan-credentials"), "the passkey is not listed")
            creds = cdp.send("WebAuthn.getCredentials", {"authenticatorId": passkey_authenticator})
            expect(len(creds["credentials"]) == 1, "the authenticator holds no credential")
            expect(creds["credentials"][0]["isResidentCredential"], "the passkey is not discoverable")

            step = "log out"
            logout()
            status, _ = me()
            expect(status == 401, f"still logged in after logout ({status})")

            step = "sign in with the passkey alone"
            page.goto(base + "/wan-signin")
            with page.expect_navigation(url=f"{base}/"):
                submit()
            status, who = me()
            expect(status == 200 and who["email"] == EMAIL, f"the passkey did not sign in ({status})")

            step = "register a security key as second factor"
            cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": passkey_authenticator})
            key_authenticator = authenticator(resident=False, uv=False)
            page.goto(base + "/wan-register")
            page.fill("#security-form input[name=name]", "my key")
            page.select_option("select[name=usage]", "secondary")
            with page.expect_navigation(url=f"{base}/wan-register"):
                submit()
            page.wait_for_selector("#wan-credentials")
            expect("my key" in page.inner_text("#wan-credentials"), "the security key is not listed")

            step = "log in with password + security key"
            logout()
            page.goto(base + "/login")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation(url=f"{base}/wan-signin**"):
                submit()
            status, _ = me()
            expect(status == 401, "the password alone logged in")
            with page.expect_navigation(url=f"{base}/"):
                submit()
            status, who = me()
            expect(status == 200 and who["email"] == EMAIL, f"password + key did not log in ({status})")

            step = "re-authenticate with the key on /wan-verify"
            page.goto(base + "/wan-verify")
            with page.expect_navigation(url=lambda u: "/wan-verify" not in u):
                submit()
            creds = cdp.send("WebAuthn.getCredentials", {"authenticatorId": key_authenticator})
            expect(creds["credentials"][0]["signCount"] >= 2, "the key was not used")

            step = "delete the key"
            page.goto(base + "/wan-register")
            row = page.locator("#wan-credentials tr", has_text="my key")
            with page.expect_navigation(url=f"{base}/wan-register"):
                row.locator("button.wan-delete").click()
            listed = page.inner_text("#wan-credentials") if page.locator("#wan-credentials").count() else ""
            expect("my key" not in listed, "the key is still listed")
            expect("my passkey" in listed, "the passkey went too")
            browser.close()
        print("browser: passkey registered, signed in with, security key as second factor, re-authenticated, deleted — in Chromium")
    finally:
        todo.terminate()
        todo.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
