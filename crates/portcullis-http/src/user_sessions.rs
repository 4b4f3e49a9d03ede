//! `SECURITY_USER_SESSIONS_URL` (`/user-sessions`): a signed-in user sees
//! their sessions — when each logged in, was last seen, from which address
//! and browser, which one is this — and ends one or all the others
//! (django-allauth's `usersessions`; Portcullis' own).
//!
//! Session ids are bearer credentials, so the list names each session by a
//! one-way handle ([`session_handle`]) and `POST {"end": handle}` (or
//! `{"end": "others"}`) takes it back.

use http::StatusCode;
use portcullis_core::store::{SessionRecord, session_handle};
use portcullis_core::{FormErrors, MessageKey};
use serde_json::{Value, json};

use crate::auth::RequestAuth;
use crate::input::FormData;
use crate::respond::HttpResponse;
use crate::session::{SessionState, keys};
use crate::{HttpRequest, Portcullis};

/// One session as `/user-sessions` (and the CLI) shows it: its public
/// handle (never its id), whether it is `current`, when it logged in and
/// was last seen (Unix seconds), the address and browser at login, and its
/// expiry.
pub fn session_summary(r: &SessionRecord, current: Option<&str>) -> Value {
    let state = r.data.get(keys::RECORD_STATE);
    let get = |k: &str| state.and_then(|s| s.get(k)).cloned().unwrap_or(Value::Null);
    json!({
        "id": session_handle(&r.id),
        "current": current == Some(r.id.as_str()),
        "created": get(keys::LOGGED_IN_AT),
        "last_seen": get(keys::LAST_SEEN),
        "address": get(keys::CLIENT_ADDR),
        "user_agent": get(keys::USER_AGENT),
        "expires": r.expires_at.timestamp(),
    })
}

impl Portcullis {
    /// `GET` lists, `POST {"end": handle | "others"}` ends, then lists.
    pub(crate) async fn user_sessions(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        form: &FormData,
        auth: RequestAuth,
    ) -> portcullis_core::Result<HttpResponse> {
        let Some(store) = self.session_store() else {
            return Ok(HttpResponse::error(StatusCode::NOT_FOUND, "Not found"));
        };
        let user = &auth.user.fs_uniquifier;
        let now = self.security().now();
        let current = session.current_id().map(str::to_owned);
        if req.method == http::Method::POST {
            let mut errors = FormErrors::new();
            let end = form.string("end", &mut errors).unwrap_or_default();
            if end.is_empty() {
                errors.add("end", MessageKey::FieldRequired);
            }
            if !errors.is_empty() {
                return Ok(self.form_errors(&errors));
            }
            if end == "others" {
                let n = store.delete_user_sessions(user, current.as_deref()).await?;
                tracing::info!(
                    user = auth.user.id,
                    ended = n,
                    "a user ended their other sessions"
                );
            } else {
                let listed = store.list_user_sessions(user, now).await?;
                let Some(target) = listed.iter().find(|r| session_handle(&r.id) == end) else {
                    return Ok(
                        self.form_errors(&FormErrors::field("end", MessageKey::NotAValidChoice))
                    );
                };
                if current.as_deref() == Some(target.id.as_str()) {
                    // Ending this one is logging out.
                    session.logout_user();
                    return Ok(HttpResponse::ok(serde_json::Map::new()));
                }
                store.delete_session(&target.id).await?;
                tracing::info!(user = auth.user.id, "a user ended one of their sessions");
            }
        }
        let mut listed = store.list_user_sessions(user, now).await?;
        listed.sort_by_key(|r| std::cmp::Reverse(r.expires_at));
        let sessions: Vec<Value> = listed
            .iter()
            .map(|r| session_summary(r, current.as_deref()))
            .collect();
        let mut body = serde_json::Map::new();
        body.insert("sessions".into(), json!(sessions));
        Ok(self.respond_ok(session, body))
    }
}
