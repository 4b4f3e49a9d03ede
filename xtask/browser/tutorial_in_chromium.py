"""The tutorial in a real browser: Debian's Chromium, driven by Playwright,
against the todo example with its own defaults (confirmation on, SPA views,
mail on the console), every step through the HTML pages only.

usage: python tutorial_in_chromium.py TODO_BINARY [CHROMIUM] [SCREENSHOT_DIR]

1. Open / -> sent to the login page -> register -> follow the confirmation
   mail -> log in -> add, complete and delete todos -> log out -> back on
   the login page.
2. Two-factor by emailed code: set it up on /tf-setup with the mailed code,
   log out, log in with the password and the mailed code.
3. Unified sign-in by emailed code: a second account sets up the email
   method on /us-setup, logs out, and signs in on /us-signin with "Send
   Code" and the mailed code.

A screenshot of each page goes to SCREENSHOT_DIR (default
target/browser-screenshots). Exits non-zero, saying which step failed.
"""
import os
import re
import shutil
import sys
import tempfile
import time
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import sync_playwright

from todo_app import free_port, start_todo

PASSWORD = "Correct-Horse-Battery-9"
MAIL = re.compile(r"----- mail \((?P<kind>[^)]*)\) -----\n(?P<text>.*?)\n----- end of mail -----", re.S)


class Tutorial:
    def __init__(self, browser, base, log_path, shots):
        self.browser = browser
        self.base = base
        self.log_path = log_path
        self.shots = shots
        self.step = "start"
        self.shot_no = 0
        self.new_session()

    def new_session(self):
        """A fresh browser profile: no cookies, as a user coming back later."""
        self.context = self.browser.new_context()
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        # Every page a browser is shown is HTML, never a JSON envelope.
        self.page.on("response", self.check_html)

    def check_html(self, response):
        if response.request.resource_type != "document":
            return
        kind = response.headers.get("content-type", "")
        if response.status < 300 and not kind.startswith("text/html"):
            self.fail(f"{response.url} answered the browser {kind}")

    def fail(self, what):
        try:
            html = self.page.content()[:3000]
        except Exception:
            html = "(no page)"
        raise AssertionError(f"{self.step}: {what}\n--- page at {self.page.url} ---\n{html}")

    def expect(self, cond, what):
        if not cond:
            self.fail(what)

    def shot(self, name):
        self.shot_no += 1
        self.page.screenshot(path=os.path.join(self.shots, f"{self.shot_no:02d}-{name}.png"), full_page=True)

    def path(self):
        return urlparse(self.page.url).path

    def mails(self, to):
        with open(self.log_path) as f:
            text = f.read()
        return [m.group("text") for m in MAIL.finditer(text) if to in m.group("text")]

    def next_mail(self, to, seen):
        """The first mail to `to` after the `seen` earlier ones."""
        for _ in range(100):
            got = self.mails(to)
            if len(got) > seen:
                return got[seen]
            time.sleep(0.1)
        self.fail(f"no mail to {to} (had {seen})")

    def link_in(self, mail, path):
        hit = re.search(r"https?://[^\s\"'<>]*" + re.escape(path) + r"[^\s\"'<>]*", mail)
        self.expect(hit, f"no {path} link in the mail:\n{mail}")
        return hit.group(0)

    def code_in(self, mail):
        hit = re.search(r"\b(\d{6})\b", mail)
        self.expect(hit, f"no code in the mail:\n{mail}")
        return hit.group(1)

    def flashed(self):
        """The flashed message on the page (Flask-Security's markup)."""
        hit = self.page.locator("ul.flashes li")
        return hit.first.inner_text() if hit.count() else None

    def click_submit(self, selector="#submit"):
        with self.page.expect_navigation():
            self.page.click(selector)

    def register(self, email):
        self.step = f"register {email} from the login page"
        self.page.goto(self.base + "/login")
        with self.page.expect_navigation():
            self.page.click("nav a[href='/register']")
        self.expect(self.path() == "/register", "the login page's link did not open /register")
        self.page.fill("#email", email)
        self.page.fill("#password", PASSWORD)
        if self.page.locator("#password_confirm").count():
            self.page.fill("#password_confirm", PASSWORD)
        seen = len(self.mails(email))
        self.click_submit()
        self.expect("please click on the link in the email we have just sent" in self.page.inner_text("body"),
                    "no word that confirmation instructions were sent")
        self.shot("registered")

        self.step = f"follow {email}'s confirmation mail"
        link = self.link_in(self.next_mail(email, seen), "/confirm/")
        self.page.goto(link)
        self.expect("Thank you. Your email has been confirmed." in self.page.inner_text("body"),
                    "the confirmation page does not say so")
        self.shot("confirmed")

    def log_in(self, email, land="/"):
        self.step = f"log in as {email}"
        self.page.goto(self.base + "/")
        url = urlparse(self.page.url)
        self.expect(url.path == "/login" and parse_qs(url.query).get("next") == ["/"],
                    "/ did not send the browser to /login?next=/")
        self.page.fill("#email", email)
        self.page.fill("#password", PASSWORD)
        self.click_submit()
        self.expect(self.path() == land, f"login landed on {self.path()}, not {land}")

    def see_todos(self, email):
        self.page.wait_for_selector("#current-user")
        self.expect(self.page.inner_text("#current-user") == f"Signed in as {email}", "the page names someone else")

    def log_out(self):
        self.step = "log out"
        with self.page.expect_navigation():
            self.page.click("#logout")
        self.page.wait_for_load_state()
        self.expect(self.path() == "/login", f"logout ended on {self.path()}, not the login page")
        self.shot("logged-out")

    def todos(self):
        self.step = "add todos"
        for title in ["Buy milk", "Walk the dog", "Write the tutorial"]:
            self.page.fill(".new-todo", title)
            self.page.press(".new-todo", "Enter")
            self.page.wait_for_selector(f".todo-list li:has-text('{title}')")
        self.expect(self.page.inner_text(".todo-count") == "3 items left", "three todos not counted")
        self.shot("todos-added")

        self.step = "complete a todo"
        self.page.check(".todo-list li:has-text('Buy milk') .toggle")
        self.page.wait_for_selector(".todo-list li.completed:has-text('Buy milk')")
        self.page.wait_for_function("document.querySelector('.todo-count').textContent === '2 items left'")

        self.step = "filter the list"
        self.page.click(".filters a[href='#/active']")
        self.page.wait_for_function("document.querySelectorAll('.todo-list li').length === 2")
        self.page.click(".filters a[href='#/completed']")
        self.page.wait_for_function("document.querySelectorAll('.todo-list li').length === 1")
        self.page.click(".filters a[href='#/']")

        self.step = "edit a todo"
        self.page.dblclick(".todo-list li:has-text('Write the tutorial') label")
        self.page.fill(".todo-list li .edit", "Read the tutorial")
        self.page.press(".todo-list li .edit", "Enter")
        self.page.wait_for_selector(".todo-list li:has-text('Read the tutorial')")

        self.step = "delete a todo"
        self.page.click(".todo-list li:has-text('Walk the dog') .destroy")
        self.page.wait_for_function("document.querySelectorAll('.todo-list li').length === 2")
        self.shot("todos-changed")

        self.step = "the changes were stored"
        self.page.reload()
        self.page.wait_for_selector(".todo-list li:has-text('Read the tutorial')")
        items = self.page.locator(".todo-list li")
        self.expect(items.count() == 2, f"{items.count()} todos after a reload, not 2")
        self.expect(self.page.locator(".todo-list li.completed:has-text('Buy milk')").count() == 1,
                    "the completed todo is not completed after a reload")
        self.expect(self.page.locator(".error").is_hidden(), "the page shows an error")

    def two_factor_by_email(self, email):
        self.step = "choose email as second factor on /tf-setup"
        self.page.click("a[href='/tf-setup']")
        self.page.wait_for_load_state()
        self.expect(self.path() == "/tf-setup", f"the two-factor link opened {self.path()}")
        self.page.check("input[name=setup][value=email]")
        seen = len(self.mails(email))
        self.click_submit()
        self.shot("tf-setup-code-sent")

        self.step = "enter the mailed code to finish the setup"
        code = self.code_in(self.next_mail(email, seen))
        self.page.fill("#code-form #code", code)
        self.click_submit("#submit-code")
        self.expect(self.flashed() == "You successfully changed your two-factor method.",
                    "the setup did not say it finished")
        self.shot("tf-setup-done")
        self.page.goto(self.base + "/")
        self.log_out()

        self.step = "log in with the password, then the mailed code"
        seen = len(self.mails(email))
        self.log_in(email, land="/tf-validate")
        self.shot("tf-validate")
        code = self.code_in(self.next_mail(email, seen))
        self.page.fill("#code", code)
        self.click_submit()
        self.expect(self.path() == "/", f"the code led to {self.path()}")
        self.see_todos(email)
        self.shot("tf-logged-in")
        self.log_out()

    def unified_signin_by_email(self, email):
        self.step = "set up sign-in by emailed code on /us-setup"
        self.page.click("a[href='/us-setup']")
        self.page.wait_for_load_state()
        self.expect(self.path() == "/us-setup", f"the sign-in methods link opened {self.path()}")
        self.page.check("input[name=chosen_method][value=email]")
        seen = len(self.mails(email))
        self.click_submit()
        self.shot("us-setup-code-sent")
        code = self.code_in(self.next_mail(email, seen))
        self.page.fill("#code-form #passcode", code)
        self.click_submit("#submit-code")
        self.expect(self.flashed() == "Unified sign in setup successful",
                    f"the setup did not say it finished ({self.flashed()!r})")
        self.shot("us-setup-done")
        self.page.goto(self.base + "/")
        self.log_out()

        self.step = "sign in on /us-signin with a mailed code"
        self.page.goto(self.base + "/us-signin")
        self.page.fill("#identity", email)
        self.page.check("input[name=chosen_method][value=email]")
        seen = len(self.mails(email))
        self.click_submit("#submit_send_code")
        # As Flask-Security: the sign-in page again, under the send-code URL.
        self.expect(self.flashed() == "Code has been sent.", "no word that the code was sent")
        self.expect(self.page.input_value("#identity") == email, "the identity was not kept")
        self.shot("us-signin-code-sent")
        code = self.code_in(self.next_mail(email, seen))
        self.page.fill("#passcode", code)
        self.click_submit()
        self.expect(self.path() == "/", f"the code led to {self.path()}")
        self.see_todos(email)
        self.shot("us-signed-in")
        self.log_out()


def main():
    binary = os.path.abspath(sys.argv[1])
    chromium = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/chromium"
    shots = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "target/browser-screenshots")
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    workdir = tempfile.mkdtemp(prefix="portcullis-tutorial-")
    port = free_port()
    base = f"http://localhost:{port}"
    # The example's own defaults: only the port, database and fast hashing differ.
    todo = start_todo(binary, port, workdir)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync"],
            )
            t = Tutorial(browser, base, os.path.join(workdir, "todo.log"), shots)
            t.step = "open / as a stranger"
            t.page.goto(base + "/")
            url = urlparse(t.page.url)
            t.expect(url.path == "/login" and parse_qs(url.query).get("next") == ["/"],
                     "/ did not send the browser to /login?next=/")
            t.shot("login-page")

            alice = "alice@example.com"
            t.register(alice)
            t.new_session()
            t.log_in(alice)
            t.see_todos(alice)
            t.shot("todos-empty")
            t.todos()
            t.log_out()

            t.new_session()
            t.log_in(alice)
            t.two_factor_by_email(alice)

            bob = "bob@example.com"
            t.new_session()
            t.register(bob)
            t.new_session()
            t.log_in(bob)
            t.unified_signin_by_email(bob)
            browser.close()
        print(f"browser: the tutorial, two-factor and unified sign-in by emailed code, all through the pages, in Chromium ({t.shot_no} screenshots in {shots})")
    finally:
        todo.terminate()
        todo.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
