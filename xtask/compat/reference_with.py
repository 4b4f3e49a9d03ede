"""The reference app (shared/reference/flask_security_app.py) with extra
settings, as the todo example can run: for features that change the
reference's endpoints (SECURITY_PASSWORDLESS replaces /login), compared in
a run of their own.

usage: REF_DB=/tmp/ref.db MAIL_PORT=2525 python reference_with.py REFERENCE_DIR 5002 SECURITY_PASSWORDLESS=true
Each value is read as JSON when it parses, else as text.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import flask_security_app as ref  # noqa: E402


def value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


EXTRA = dict(arg.split("=", 1) for arg in sys.argv[3:])
TRACKER = None
if value(EXTRA.get("SECURITY_REFRESH_TOKEN", "false")) is True:
    # Refresh tokens need fsqla_v4's tracker table, which the reference's
    # fsqla_v3 models lack: added here as fsqla_v4 adds it.
    from flask_security.models import fsqla_v4

    class FsRefreshTracker(ref.db.Model, fsqla_v4.FsRefreshTrackerMixin):
        pass

    ref.User.refresh_trackers = ref.db.relationship("FsRefreshTracker", cascade="all, delete")
    TRACKER = FsRefreshTracker


class WithSettings(ref.Security):
    def __init__(self, app=None, datastore=None, **kwargs):
        for k, v in EXTRA.items():
            app.config[k] = value(v)
        if TRACKER is not None:
            datastore.refresh_tracker_model = TRACKER
        super().__init__(app, datastore, **kwargs)


ref.Security = WithSettings
ref.create_app().run(host="127.0.0.1", port=int(sys.argv[2]), threaded=True)
