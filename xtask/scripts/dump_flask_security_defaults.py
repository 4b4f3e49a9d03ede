"""Writes Flask-Security's `_default_config` as JSON, `SECURITY_`-prefixed.

Run with Flask-Security 5.9.2 installed:

    python xtask/scripts/dump_flask_security_defaults.py \
        > crates/portcullis-core/src/config/flask_security_defaults.json

Conversions: a timedelta becomes whole seconds, a set a sorted list, a
function its dotted name, a lazy string or proxy its text. The default of
SECURITY_TOKEN_EXPIRE_TIMESTAMP (`lambda user: 0`, "no per-user expiry")
is written as null, which is what it means.
"""

import datetime
import json

import flask
import flask_security.core as core

app = flask.Flask("dump")
app.app_context().push()


def conv(v):
    if type(v).__name__ in ("LocalProxy", "LazyString"):
        return str(v)
    if isinstance(v, datetime.timedelta):
        return int(v.total_seconds())
    if isinstance(v, (set, frozenset)):
        return sorted(conv(x) for x in v)
    if isinstance(v, (list, tuple)):
        return [conv(x) for x in v]
    if isinstance(v, dict):
        return {str(a): conv(b) for a, b in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if callable(v):
        return f"{v.__module__}.{v.__name__}"
    return str(v)


out = {"SECURITY_" + k: conv(v) for k, v in core._default_config.items()}
out["SECURITY_TOKEN_EXPIRE_TIMESTAMP"] = None
print(json.dumps(out, indent=1, sort_keys=True))
