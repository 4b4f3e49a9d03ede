//! The layer: Portcullis' endpoints, and the session around every request.
//! Every decision is `portcullis-http`'s; this converts requests and
//! responses.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use portcullis_core::flows::ClientInfo;
use portcullis_core::store::SessionStore;
use portcullis_http::{HttpResponse, Portcullis, RequestContext, SessionOptions};

/// Portcullis for axum: [`PortcullisAxum::layer`] (or
/// [`PortcullisAxum::wrap`]) puts its endpoints and sessions in front of
/// an app.
#[derive(Debug, Clone)]
pub struct PortcullisAxum {
    portcullis: Portcullis,
}

pub(crate) fn into_axum(r: HttpResponse) -> Response {
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() = r.status;
    *resp.headers_mut() = r.headers;
    resp
}

impl PortcullisAxum {
    /// Portcullis over `portcullis`, keeping sessions in `store` with the
    /// cookie `options`. Fails when an option cannot be sent in a cookie.
    pub fn new(
        portcullis: Portcullis,
        store: Arc<dyn SessionStore>,
        options: SessionOptions,
    ) -> portcullis_core::Result<Self> {
        Ok(Self {
            portcullis: portcullis.with_sessions(store, options)?,
        })
    }

    /// Over a [`Portcullis`] already given its session store
    /// ([`Portcullis::with_sessions`]).
    pub fn from_portcullis(portcullis: Portcullis) -> Self {
        Self { portcullis }
    }

    /// Deletes expired sessions from the store every `every`, in the
    /// background (see [`Portcullis::spawn_expired_session_cleanup`]).
    pub fn spawn_expired_session_cleanup(
        &self,
        every: std::time::Duration,
    ) -> Option<tokio::task::JoinHandle<()>> {
        self.portcullis.spawn_expired_session_cleanup(every)
    }

    /// The HTTP layer.
    pub fn portcullis(&self) -> &Portcullis {
        &self.portcullis
    }

    /// The tower layer: `router.layer(auth.layer())`.
    pub fn layer(&self) -> PortcullisLayer {
        PortcullisLayer {
            portcullis: self.portcullis.clone(),
        }
    }

    /// `app` behind Portcullis: its endpoints answer first, every request
    /// carries the session, and the extractors work. The same as
    /// `Router::new().fallback_service(app.layer(self.layer()))`, so that
    /// Portcullis' routes are found though `app` does not name them.
    pub fn wrap(&self, app: Router) -> Router {
        Router::new().fallback_service(tower::Layer::layer(&self.layer(), app))
    }
}

/// The tower layer of [`PortcullisAxum::layer`].
#[derive(Debug, Clone)]
pub struct PortcullisLayer {
    portcullis: Portcullis,
}

impl<S> tower::Layer<S> for PortcullisLayer {
    type Service = PortcullisService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PortcullisService {
            inner,
            portcullis: self.portcullis.clone(),
        }
    }
}

/// The service [`PortcullisLayer`] makes.
#[derive(Debug, Clone)]
pub struct PortcullisService<S> {
    inner: S,
    portcullis: Portcullis,
}

impl<S> tower::Service<Request> for PortcullisService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // The clone that was polled ready serves this call.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(around(self.portcullis.clone(), inner, req))
    }
}

async fn around<S>(p: Portcullis, inner: S, req: Request) -> Result<Response, Infallible>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    let locale = p.locale_for(req.headers());
    portcullis_core::i18n::scoped(locale, serve(p, inner, req)).await
}

async fn serve<S>(p: Portcullis, mut inner: S, req: Request) -> Result<Response, Infallible>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    let client = ClientInfo {
        remote_addr: req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
    };
    let ctx = match p.open_session(req.headers(), client).await {
        Ok(ctx) => ctx,
        Err(r) => return Ok(into_axum(*r)),
    };
    let mut resp = if p.is_endpoint(req.uri().path()) {
        // Boxed: the endpoints' future is large, and every other request
        // would otherwise carry (and move) its size.
        Box::pin(endpoint(&p, &ctx, req)).await
    } else {
        let mut req = req;
        req.extensions_mut().insert(ctx.clone());
        inner.call(req).await?
    };
    Ok(match p.close_session(ctx, resp.headers_mut()).await {
        Ok(()) => resp,
        Err(r) => into_axum(*r),
    })
}

/// A request to one of Portcullis' own endpoints.
async fn endpoint(p: &Portcullis, ctx: &RequestContext, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match p.read_body(body.into_data_stream()).await {
        Ok(bytes) => bytes,
        Err(refused) => return into_axum(refused.response()),
    };
    match p
        .endpoint(ctx, &parts.method, &parts.uri, &parts.headers, &bytes)
        .await
    {
        Some(resp) => into_axum(resp),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
