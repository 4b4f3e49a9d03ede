"""What the feature-specific side-by-side runs share (compare_passwordless.py,
compare_refresh.py): compare.py's client and shape, waiting for both
servers, and the Markdown report."""
import sys
import time
import urllib.error


def load_compare():
    """compare.py's Client and shape (its module body runs its own
    scenarios, so only the definitions before them are taken)."""
    path = __file__.rsplit("/", 1)[0] + "/compare.py"
    src = open(path).read().split("\ndef scenarios(base):")[0]
    ns = {"__name__": "compare_defs"}
    exec(compile(src, path, "exec"), ns)
    return ns["Client"], ns["shape"]


Client, shape = load_compare()


def wait_for(*bases):
    """Waits until each server answers GET /login."""
    for base in bases:
        for _ in range(100):
            try:
                Client(base).call("GET", "/login")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)


def report(ref, ours, known, path=None):
    """Prints (and writes to `path`) the table of scenario shapes; exits 1
    when a difference is not in `known` (scenario name → why)."""
    rows, unexpected = [], 0
    for (name, a), (_, b) in zip(ref, ours):
        same = a == b
        note = "" if same else known.get(name, "")
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
    if path:
        open(path, "w").write(text + "\n")
    sys.exit(1 if unexpected else 0)
