"""The reference app (shared/reference/flask_security_app.py) with
SECURITY_WEBAUTHN on, as the todo example runs: WebAuthn is the one feature
the reference leaves off, and the compare script checks its endpoints.

usage: REF_DB=/tmp/ref.db MAIL_PORT=2525 python reference_with_webauthn.py REFERENCE_DIR 5001
"""
import sys

sys.path.insert(0, sys.argv[1])
import flask_security_app as ref  # noqa: E402


class WebAuthnOn(ref.Security):
    def __init__(self, app=None, datastore=None, **kwargs):
        app.config["SECURITY_WEBAUTHN"] = True
        super().__init__(app, datastore, **kwargs)


ref.Security = WebAuthnOn
port = int(sys.argv[2]) if len(sys.argv) > 2 else 5001
ref.create_app().run(host="127.0.0.1", port=port, threaded=True)
