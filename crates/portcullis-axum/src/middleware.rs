//! The middleware: Portcullis' endpoints, and the session around every request.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use portcullis_core::flows::ClientInfo;
use portcullis_core::store::SessionStore;
use portcullis_http::session::keys;
use portcullis_http::{HttpRequest, HttpResponse, MAX_BODY, Portcullis, RequestAuth, SessionState};
use serde_json::Value;
use tokio::sync::Mutex;
use tower::ServiceBuilder;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use crate::sessions::SessionBridge;

/// Where Portcullis keeps its values inside the tower-sessions session.
pub(crate) const KEY: &str = portcullis_http::session::keys::RECORD_STATE;
/// When the session's expiry was last pushed back (unix seconds).
const TOUCHED: &str = "portcullis_touched";
/// When the session's user logged in (unix seconds), for the absolute
/// lifetime and the session list.
const LOGGED_IN_AT: &str = portcullis_http::session::keys::LOGGED_IN_AT;

/// Session cookie settings.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Cookie name (Flask's is `session`).
    pub cookie_name: String,
    /// `Secure` cookie (set it behind HTTPS).
    pub secure: bool,
    /// Idle time after which a session ends. A session in use has its
    /// expiry (in the store and on the cookie) pushed back once per
    /// fourteenth of this — once a day for the default 14 days — so reading
    /// a session costs no store write on most requests, and an idle one ends
    /// between 13/14 and all of this after its last use.
    pub inactivity: tower_sessions::cookie::time::Duration,
    /// `SameSite` of the cookie (Flask's `SESSION_COOKIE_SAMESITE`;
    /// default `Lax`).
    pub same_site: tower_sessions::cookie::SameSite,
    /// `HttpOnly` cookie (Flask's `SESSION_COOKIE_HTTPONLY`; default on).
    pub http_only: bool,
    /// Longest a login lasts however much it is used (Flask's
    /// `PERMANENT_SESSION_LIFETIME`, here absolute; `None`: no limit
    /// beyond inactivity). Past it the session is logged out.
    pub absolute_lifetime: Option<chrono::TimeDelta>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            cookie_name: "session".into(),
            secure: false,
            inactivity: tower_sessions::cookie::time::Duration::days(14),
            same_site: tower_sessions::cookie::SameSite::Lax,
            http_only: true,
            absolute_lifetime: None,
        }
    }
}

/// Portcullis for axum.
#[derive(Debug, Clone)]
pub struct PortcullisAxum {
    inner: Arc<AxumInner>,
}

#[derive(Debug)]
struct AxumInner {
    portcullis: Portcullis,
    store: Arc<dyn SessionStore>,
    options: SessionOptions,
}

/// What the middleware leaves in each request for the extractors.
#[derive(Debug, Clone)]
pub(crate) struct AuthContext {
    pub(crate) portcullis: Portcullis,
    pub(crate) session: Arc<Mutex<SessionState>>,
    pub(crate) cached: Arc<Mutex<Option<Option<RequestAuth>>>>,
}

pub(crate) fn into_axum(r: HttpResponse) -> Response {
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() = r.status;
    *resp.headers_mut() = r.headers;
    resp
}

impl PortcullisAxum {
    /// Portcullis over `portcullis`, keeping sessions in `store`.
    pub fn new(
        portcullis: Portcullis,
        store: Arc<dyn SessionStore>,
        options: SessionOptions,
    ) -> Self {
        Self {
            inner: Arc::new(AxumInner {
                portcullis: portcullis.with_session_store(store.clone()),
                store,
                options,
            }),
        }
    }

    /// Deletes expired sessions from the store every `every`, in the
    /// background, until the returned handle is aborted (or the runtime
    /// stops). Failures are logged and retried at the next tick.
    pub fn spawn_expired_session_cleanup(
        &self,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let store = self.inner.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match store.delete_expired_sessions(chrono::Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "expired sessions deleted"),
                    Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
                }
            }
        })
    }

    /// The HTTP layer.
    pub fn portcullis(&self) -> &Portcullis {
        &self.inner.portcullis
    }

    /// `app` behind Portcullis: its endpoints answer first, every request
    /// carries the session, and the extractors work.
    pub fn wrap(&self, app: Router) -> Router {
        let sessions = SessionManagerLayer::new(SessionBridge::new(self.inner.store.clone()))
            .with_name(self.inner.options.cookie_name.clone())
            .with_secure(self.inner.options.secure)
            .with_same_site(self.inner.options.same_site)
            .with_http_only(self.inner.options.http_only)
            .with_expiry(Expiry::OnInactivity(self.inner.options.inactivity));
        let service = ServiceBuilder::new()
            .layer(sessions)
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                middleware,
            ))
            .service(app);
        Router::new().fallback_service(service)
    }
}

fn error(status: StatusCode, msg: &str) -> Response {
    into_axum(HttpResponse::error(status, msg))
}

/// Saves the session when it changed, or when its expiry is due to be
/// pushed back (see [`SessionOptions::inactivity`]).
async fn save(
    session: &Session,
    state: &SessionState,
    inactivity: tower_sessions::cookie::time::Duration,
) -> Result<(), tower_sessions::session::Error> {
    if state.needs_new_id() {
        session.cycle_id().await?;
    }
    let now = chrono::Utc::now().timestamp();
    let every = (inactivity.whole_seconds() / 14).max(1);
    let due = !state.values().is_empty()
        && session
            .get_value(TOUCHED)
            .await?
            .and_then(|v| v.as_i64())
            .is_none_or(|t| now - t >= every);
    if state.is_modified() || state.needs_new_id() || due {
        let mut values = state.values().clone();
        if state.user_id().is_some() {
            values.insert(keys::LAST_SEEN.into(), Value::from(now));
        }
        session.insert_value(KEY, Value::Object(values)).await?;
        session.insert_value(TOUCHED, Value::from(now)).await?;
    }
    Ok(())
}

async fn middleware(
    State(p): State<PortcullisAxum>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let loaded = match session.get_value(KEY).await {
        Ok(Some(Value::Object(map))) => {
            let mut state = SessionState::from_values(map);
            enforce_lifetime(&mut state, p.inner.options.absolute_lifetime);
            state
        }
        Ok(_) => SessionState::default(),
        Err(e) => {
            tracing::error!(error = %e, "cannot load the session");
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The session store is unavailable.",
            );
        }
    };
    if p.inner.portcullis.is_endpoint(req.uri().path()) {
        // Boxed: the endpoints' future is large, and every other request
        // would otherwise carry (and move) its size.
        return Box::pin(endpoint(&p, &session, loaded, req)).await;
    }
    let ctx = AuthContext {
        portcullis: p.inner.portcullis.clone(),
        session: Arc::new(Mutex::new(loaded)),
        cached: Arc::new(Mutex::new(None)),
    };
    let mut req = req;
    req.extensions_mut().insert(ctx.clone());
    let resp = next.run(req).await;
    let state = ctx.session.lock().await;
    if let Err(e) = save(&session, &state, p.inner.options.inactivity).await {
        tracing::error!(error = %e, "cannot save the session");
    }
    resp
}

/// Stamps a new login with its time, and logs out a login older than
/// `absolute` (however recently it was used).
fn enforce_lifetime(state: &mut SessionState, absolute: Option<chrono::TimeDelta>) {
    let Some(limit) = absolute else { return };
    let now = chrono::Utc::now().timestamp();
    match (state.user_id(), state.get_f64(LOGGED_IN_AT)) {
        (Some(_), Some(at)) if now as f64 - at >= limit.num_seconds() as f64 => {
            tracing::info!("a session reached its absolute lifetime and was logged out");
            state.logout();
            state.remove(LOGGED_IN_AT);
        }
        // A login from before the limit was set starts counting now.
        (Some(_), None) => state.set(LOGGED_IN_AT, Value::from(now)),
        _ => {}
    }
}

/// Records when, from where and with which browser the session's user
/// logged in (a login gives the session a new id; these go with it), for
/// the absolute lifetime and the user's session list.
fn stamp_login(state: &mut SessionState, client: &ClientInfo, headers: &http::HeaderMap) {
    if state.needs_new_id() && state.user_id().is_some() {
        state.set(LOGGED_IN_AT, Value::from(chrono::Utc::now().timestamp()));
        if let Some(addr) = &client.remote_addr {
            state.set(keys::CLIENT_ADDR, Value::from(addr.as_str()));
        }
        let agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|a| a.chars().take(200).collect::<String>());
        match agent {
            Some(a) => state.set(keys::USER_AGENT, Value::from(a)),
            None => state.remove(keys::USER_AGENT),
        }
    }
}

/// A request to one of Portcullis' own endpoints.
async fn endpoint(
    p: &PortcullisAxum,
    session: &Session,
    loaded: SessionState,
    req: Request,
) -> Response {
    let client = ClientInfo {
        remote_addr: req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        );
    };
    let mut state = loaded;
    state.set_current_id(session.id().map(|id| id.to_string()));
    let http_req = HttpRequest {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body: &bytes,
        client: &client,
    };
    let Some(resp) = p.inner.portcullis.handle(&http_req, &mut state).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    stamp_login(&mut state, &client, &parts.headers);
    if let Err(e) = save(session, &state, p.inner.options.inactivity).await {
        tracing::error!(error = %e, "cannot save the session");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The session store is unavailable.",
        );
    }
    into_axum(resp)
}
