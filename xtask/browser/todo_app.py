"""The todo example as the browser runs start it: a free port, a fresh
SQLite database, fast password hashing, mail on the console (its log)."""
import json
import os
import socket
import subprocess
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_todo(binary, port, workdir, settings=None):
    """Starts the todo example on `port` with a fresh SQLite database in
    `workdir`, its output (mail to the console) in `workdir/todo.log`."""
    env = dict(os.environ)
    env.update(
        {
            "BIND": f"127.0.0.1:{port}",
            "BASE_URL": f"http://localhost:{port}",
            "DATABASE_URL": "sqlite://" + os.path.join(workdir, "todo.db"),
            "SECRET_KEY": "browser-test-secret",
            "SECURITY_PASSWORD_SALT": "browser-test-salt",
            "SECURITY_TOTP_SECRETS": '{"1": "browser-test-totp-secret"}',
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": json.dumps(
                {"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}
            ),
            "RUST_LOG": "warn",
        }
    )
    env.update(settings or {})
    log = open(os.path.join(workdir, "todo.log"), "w")
    proc = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except Exception:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the todo example did not start: " + open(log.name).read()[-2000:])
