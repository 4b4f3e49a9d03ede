//! The web session around each request, the same for every adapter: the
//! cookie, the record in the [`SessionStore`], when it is saved, when it
//! gets a new id and how long it lasts. An adapter calls
//! [`Portcullis::open_session`] before the request, [`Portcullis::endpoint`]
//! for Portcullis' own routes (or leaves the [`RequestContext`] to the
//! app's extractors and guards), and [`Portcullis::close_session`] after.

use std::sync::Arc;

use chrono::TimeDelta;
use http::{HeaderMap, HeaderValue, StatusCode};
use portcullis_core::ErrorKind;
use portcullis_core::flows::ClientInfo;
use portcullis_core::store::{SessionRecord, SessionStore};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::auth::RequestAuth;
use crate::respond::HttpResponse;
use crate::session::{SessionState, keys};
use crate::{HttpRequest, Portcullis};

/// When the record's expiry was last pushed back (Unix seconds), beside
/// [`keys::RECORD_STATE`] in the record.
const TOUCHED: &str = "portcullis_touched";

/// `SameSite` of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `Strict`.
    Strict,
    /// `Lax` (Flask's default when set; browsers' default).
    Lax,
    /// `None` (needs `Secure`).
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// Session cookie settings (Flask's `SESSION_COOKIE_*`).
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
    pub inactivity: TimeDelta,
    /// `SameSite` of the cookie (Flask's `SESSION_COOKIE_SAMESITE`;
    /// default `Lax`).
    pub same_site: SameSite,
    /// `HttpOnly` cookie (Flask's `SESSION_COOKIE_HTTPONLY`; default on).
    pub http_only: bool,
    /// `Domain` of the cookie (Flask's `SESSION_COOKIE_DOMAIN`; default
    /// none: the host that set it).
    pub domain: Option<String>,
    /// `Path` of the cookie (Flask's `SESSION_COOKIE_PATH`; default `/`).
    pub path: String,
    /// Longest a login lasts however much it is used (Flask's
    /// `PERMANENT_SESSION_LIFETIME`, here absolute; `None`: no limit
    /// beyond inactivity). Past it the session is logged out.
    pub absolute_lifetime: Option<TimeDelta>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            cookie_name: "session".into(),
            secure: false,
            inactivity: TimeDelta::days(14),
            same_site: SameSite::Lax,
            http_only: true,
            domain: None,
            path: "/".into(),
            absolute_lifetime: None,
        }
    }
}

/// One request's session and authentication, shared between the adapter,
/// Portcullis' endpoints and the app's extractors and guards. Cheap to
/// clone (adapters put a clone into the request's extensions).
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub(crate) portcullis: Portcullis,
    pub(crate) inner: Arc<Mutex<Ctx>>,
}

#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) state: SessionState,
    /// The id of the live record the request's cookie named.
    loaded: Option<String>,
    /// When that record's expiry was last pushed back.
    touched: Option<i64>,
    /// Entries of the record that are not Portcullis' (kept as they are).
    others: Map<String, Value>,
    /// This request's authentication, once computed.
    pub(crate) cached: Option<Option<RequestAuth>>,
    pub(crate) client: ClientInfo,
    /// Whether one of Portcullis' endpoints answered (its answer depends
    /// on the session being saved).
    endpoint: bool,
}

impl RequestContext {
    /// The HTTP layer.
    pub fn portcullis(&self) -> &Portcullis {
        &self.portcullis
    }

    /// Runs `f` on the session's values (e.g. an app's own keys).
    pub async fn with_session<R>(&self, f: impl FnOnce(&mut SessionState) -> R) -> R {
        f(&mut self.inner.lock().await.state)
    }
}

fn unavailable() -> Box<HttpResponse> {
    Box::new(
        HttpResponse::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The session store is unavailable.",
        )
        .with_retry_after(5),
    )
}

fn new_session_id() -> portcullis_core::Result<String> {
    // 128 random bits, URL-safe base64 (tower-sessions' format, so ids it
    // issued stay valid).
    portcullis_core::crypto::random::bytes::<16>()
        .map(|b| portcullis_core::crypto::encoding::urlsafe_encode(&b))
        .map_err(|_| portcullis_core::Error::unavailable("no randomness for a session id"))
}

impl Portcullis {
    /// Deletes expired sessions from the store every `every`, in the
    /// background on the current tokio runtime, until the returned handle
    /// is aborted (or the runtime stops). Failures are logged and retried
    /// at the next tick. Nothing to do without a session store.
    pub fn spawn_expired_session_cleanup(
        &self,
        every: std::time::Duration,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let store = self.inner.sessions.clone()?;
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match store.delete_expired_sessions(chrono::Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "expired sessions deleted"),
                    Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
                }
            }
        }))
    }

    fn sessions(&self) -> &SessionOptions {
        &self.inner.session_options
    }

    fn session_id<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        let name = &self.sessions().cookie_name;
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, v)| k == name && !v.is_empty() && v.len() <= 64)
            .map(|(_, v)| v)
    }

    /// Loads the session the request's cookie names (a new, empty one when
    /// there is none), logs out a login past its absolute lifetime, and
    /// returns the request's context. `Err`: the store is unavailable; the
    /// adapter answers with the response (503 with `Retry-After`).
    pub async fn open_session(
        &self,
        headers: &HeaderMap,
        client: ClientInfo,
    ) -> Result<RequestContext, Box<HttpResponse>> {
        let client = self.forwarded_client(headers, client);
        let mut ctx = Ctx {
            state: SessionState::default(),
            loaded: None,
            touched: None,
            others: Map::new(),
            cached: None,
            client,
            endpoint: false,
        };
        if let (Some(id), Some(store)) = (self.session_id(headers), self.session_store()) {
            let now = chrono::Utc::now();
            match store.load_session(id, now).await {
                Ok(Some(record)) => self.adopt(&mut ctx, record),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(error = %e, "cannot load the session");
                    return Err(unavailable());
                }
            }
        }
        if ctx.state.user_id().is_none() {
            self.adopt_flask_session(&mut ctx, headers).await?;
        }
        Ok(RequestContext {
            portcullis: self.clone(),
            inner: Arc::new(Mutex::new(ctx)),
        })
    }

    /// The cutover (`SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL`): a
    /// Flask session cookie under the session cookie's name becomes a
    /// Portcullis session of the same user, fresh as it was.
    async fn adopt_flask_session(
        &self,
        ctx: &mut Ctx,
        headers: &HeaderMap,
    ) -> Result<(), Box<HttpResponse>> {
        let s = self.security();
        if s.config().danger_accept_flask_sessions_until.is_none() {
            return Ok(());
        }
        let name = &self.sessions().cookie_name;
        let Some(cookie) = headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, v)| k == name && v.len() > 64)
            .map(|(_, v)| v.trim_matches('"'))
        else {
            return Ok(());
        };
        match s.adopt_flask_session(cookie).await {
            Ok(Some(flask)) => {
                let uid = &flask.user.fs_uniquifier;
                match (flask.fresh, flask.fs_paa) {
                    (true, Some(paa)) => ctx.state.login(uid, paa, false),
                    _ => ctx.state.login_remembered(uid),
                }
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "cannot check a Flask session");
                Err(unavailable())
            }
        }
    }

    fn adopt(&self, ctx: &mut Ctx, record: SessionRecord) {
        let mut data = record.data;
        let values = match data.remove(keys::RECORD_STATE) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        ctx.touched = data.remove(TOUCHED).and_then(|v| v.as_i64());
        ctx.others = data;
        ctx.state = SessionState::from_values(values);
        ctx.state.set_current_id(Some(record.id.clone()));
        ctx.loaded = Some(record.id);
        enforce_lifetime(&mut ctx.state, self.sessions().absolute_lifetime);
    }

    /// Handles a request to one of Portcullis' endpoints (`None`: not
    /// one; see [`Portcullis::is_endpoint`]).
    pub async fn endpoint(
        &self,
        ctx: &RequestContext,
        method: &http::Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<HttpResponse> {
        let mut c = ctx.inner.lock().await;
        c.endpoint = true;
        let client = c.client.clone();
        let req = HttpRequest {
            method,
            uri,
            headers,
            body,
            client: &client,
        };
        let resp = self.handle(&req, &mut c.state).await?;
        stamp_login(&mut c.state, &client, headers);
        Some(resp)
    }

    /// Saves the session when it changed, needs a new id (after a login or
    /// logout, against fixation) or is due to have its expiry pushed back,
    /// and adds the session cookie to `headers` when the browser must learn
    /// of it. A session another request ended meanwhile is not written
    /// back. `Err`: the store failed while one of Portcullis' endpoints
    /// answered (a login that is not saved must not say it succeeded); the
    /// adapter answers with the response instead. For the app's own routes
    /// a failure is logged and the app's answer stands.
    pub async fn close_session(
        &self,
        ctx: RequestContext,
        headers: &mut HeaderMap,
    ) -> Result<(), Box<HttpResponse>> {
        let mut c = ctx.inner.lock().await;
        if let Some(cookie) = self.refreshed_csrf_cookie(&mut c.state, headers) {
            headers.append(http::header::SET_COOKIE, cookie);
        }
        match self.save(&c).await {
            Ok(Some(cookie)) => {
                headers.append(http::header::SET_COOKIE, cookie);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "cannot save the session");
                if c.endpoint {
                    Err(unavailable())
                } else {
                    Ok(())
                }
            }
        }
    }

    /// `SECURITY_CSRF_COOKIE_REFRESH_EACH_REQUEST`: a signed-in session
    /// gets a fresh CSRF cookie on every response (Flask-Security's
    /// `csrf_cookie_handler`), unless this response sets one already.
    fn refreshed_csrf_cookie(
        &self,
        state: &mut SessionState,
        headers: &HeaderMap,
    ) -> Option<HeaderValue> {
        let c = self.security().config();
        let name = c.csrf_cookie_name.as_deref()?;
        if !c.csrf_cookie_refresh_each_request || state.user_id().is_none() {
            return None;
        }
        let prefix = format!("{name}=");
        if headers
            .get_all(http::header::SET_COOKIE)
            .iter()
            .any(|v| v.as_bytes().starts_with(prefix.as_bytes()))
        {
            return None;
        }
        let token = self.csrf().token(state, self.security().now_secs()).ok()?;
        crate::respond::cookie_header(name, &token, &c.csrf_cookie, None)
    }

    /// The store writes a session needs; the cookie to send, if any.
    async fn save(&self, c: &Ctx) -> portcullis_core::Result<Option<HeaderValue>> {
        let Some(store) = self.session_store() else {
            return Ok(None);
        };
        let now = chrono::Utc::now();
        let secs = now.timestamp();
        let opts = self.sessions();
        let values = c.state.values();
        if c.state.needs_new_id() {
            if let Some(old) = &c.loaded {
                store.delete_session(old).await?;
            }
            if values.is_empty() {
                return Ok(c.loaded.as_ref().map(|_| self.cookie(None)));
            }
            return self.create(store, c, now).await.map(Some);
        }
        let every = (opts.inactivity.num_seconds() / 14).max(1);
        let due = !values.is_empty() && c.touched.is_none_or(|t| secs - t >= every);
        if !c.state.is_modified() && !due {
            return Ok(None);
        }
        match &c.loaded {
            Some(id) if values.is_empty() => {
                store.delete_session(id).await?;
                Ok(Some(self.cookie(None)))
            }
            Some(id) => {
                let record = self.record(id.clone(), c, now);
                let live = store.update_session(&record, now).await?;
                Ok(live.then(|| self.cookie(Some(id))))
            }
            None if values.is_empty() => Ok(None),
            None => self.create(store, c, now).await.map(Some),
        }
    }

    async fn create(
        &self,
        store: &dyn SessionStore,
        c: &Ctx,
        now: chrono::DateTime<chrono::Utc>,
    ) -> portcullis_core::Result<HeaderValue> {
        loop {
            let id = new_session_id()?;
            match store.create_session(&self.record(id.clone(), c, now)).await {
                Ok(()) => return Ok(self.cookie(Some(&id))),
                // An id collision: draw another.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn record(&self, id: String, c: &Ctx, now: chrono::DateTime<chrono::Utc>) -> SessionRecord {
        let mut values = c.state.values().clone();
        if c.state.user_id().is_some() {
            values.insert(keys::LAST_SEEN.into(), Value::from(now.timestamp()));
        }
        let mut data = c.others.clone();
        data.insert(keys::RECORD_STATE.into(), Value::Object(values));
        data.insert(TOUCHED.into(), Value::from(now.timestamp()));
        SessionRecord {
            id,
            data,
            expires_at: now + self.sessions().inactivity,
            user: c.state.user_id().map(str::to_owned),
        }
    }

    /// The session cookie naming `id`, or one removing it.
    fn cookie(&self, id: Option<&str>) -> HeaderValue {
        let o = self.sessions();
        let max_age = id.map_or(0, |_| o.inactivity.num_seconds().max(0));
        let mut c = format!(
            "{}={}; Path={}; Max-Age={max_age}",
            o.cookie_name,
            id.unwrap_or_default(),
            o.path
        );
        if let Some(d) = &o.domain {
            c.push_str("; Domain=");
            c.push_str(d);
        }
        if o.secure {
            c.push_str("; Secure");
        }
        if o.http_only {
            c.push_str("; HttpOnly");
        }
        c.push_str("; SameSite=");
        c.push_str(o.same_site.as_str());
        // Names, paths and domains come from the configuration and are
        // checked when it is set; an id is URL-safe base64.
        HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// Stamps a new login with its time, and logs out a login older than
/// `absolute` (however recently it was used).
fn enforce_lifetime(state: &mut SessionState, absolute: Option<TimeDelta>) {
    let Some(limit) = absolute else { return };
    let now = chrono::Utc::now().timestamp();
    match (state.user_id(), state.get_f64(keys::LOGGED_IN_AT)) {
        (Some(_), Some(at)) if now as f64 - at >= limit.num_seconds() as f64 => {
            tracing::info!("a session reached its absolute lifetime and was logged out");
            state.logout();
            state.remove(keys::LOGGED_IN_AT);
        }
        // A login from before the limit was set starts counting now.
        (Some(_), None) => state.set(keys::LOGGED_IN_AT, Value::from(now)),
        _ => {}
    }
}

/// Records when, from where and with which browser the session's user
/// logged in (a login gives the session a new id; these go with it), for
/// the absolute lifetime and the user's session list.
fn stamp_login(state: &mut SessionState, client: &ClientInfo, headers: &HeaderMap) {
    if state.needs_new_id() && state.user_id().is_some() {
        state.set(
            keys::LOGGED_IN_AT,
            Value::from(chrono::Utc::now().timestamp()),
        );
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

/// Validates cookie options at start-up: the parts that go into the
/// `Set-Cookie` header verbatim.
pub(crate) fn check_options(o: &SessionOptions) -> portcullis_core::Result<()> {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
    };
    let plain = |s: &str| s.bytes().all(|b| b.is_ascii_graphic() && b != b';');
    if !token(&o.cookie_name) {
        return Err(portcullis_core::Error::invalid_input(
            "SESSION_COOKIE_NAME must be a cookie name token",
        ));
    }
    if !plain(&o.path) || o.domain.as_deref().is_some_and(|d| !plain(d)) {
        return Err(portcullis_core::Error::invalid_input(
            "SESSION_COOKIE_PATH and SESSION_COOKIE_DOMAIN must be printable ASCII without ';'",
        ));
    }
    Ok(())
}
