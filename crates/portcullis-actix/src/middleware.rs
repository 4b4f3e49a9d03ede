//! The middleware: Portcullis' endpoints, and the session around every
//! request. Every decision is `portcullis-http`'s; this converts requests
//! and responses.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use http::StatusCode;
use portcullis_core::flows::ClientInfo;
use portcullis_core::store::SessionStore;
use portcullis_http::{HttpResponse, MAX_BODY, Portcullis, RequestContext, SessionOptions};

use crate::convert::{Head, append_headers, to_actix};

/// Portcullis for actix-web: `App::new().wrap(auth.wrap())` puts its
/// endpoints and sessions in front of an app.
#[derive(Debug, Clone)]
pub struct PortcullisActix {
    portcullis: Portcullis,
    body_timeout: Duration,
}

/// How long a client has to send an endpoint's request body by default.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

impl PortcullisActix {
    /// Portcullis over `portcullis`, keeping sessions in `store` with the
    /// cookie `options`. Fails when an option cannot be sent in a cookie.
    pub fn new(
        portcullis: Portcullis,
        store: Arc<dyn SessionStore>,
        options: SessionOptions,
    ) -> portcullis_core::Result<Self> {
        Ok(Self::from_portcullis(
            portcullis.with_sessions(store, options)?,
        ))
    }

    /// How long a client has to send the body of a request to one of
    /// Portcullis' endpoints (default 30 s); then it gets 408 and the
    /// connection is closed. actix-web has a deadline for the headers
    /// (`HttpServer::client_request_timeout`) but none for bodies.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Over a [`Portcullis`] already given its session store
    /// ([`Portcullis::with_sessions`]).
    pub fn from_portcullis(portcullis: Portcullis) -> Self {
        Self {
            portcullis,
            body_timeout: BODY_TIMEOUT,
        }
    }

    /// The HTTP layer.
    pub fn portcullis(&self) -> &Portcullis {
        &self.portcullis
    }

    /// The middleware, for `App::wrap`.
    pub fn wrap(&self) -> PortcullisWrap {
        PortcullisWrap {
            portcullis: self.portcullis.clone(),
            body_timeout: self.body_timeout,
        }
    }
}

/// The middleware factory of [`PortcullisActix::wrap`].
#[derive(Debug, Clone)]
pub struct PortcullisWrap {
    portcullis: Portcullis,
    body_timeout: Duration,
}

impl<S, B> Transform<S, ServiceRequest> for PortcullisWrap
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = Error;
    type Transform = PortcullisMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(PortcullisMiddleware {
            service: Rc::new(service),
            portcullis: self.portcullis.clone(),
            body_timeout: self.body_timeout,
        }))
    }
}

/// The service [`PortcullisWrap`] makes.
#[derive(Debug)]
pub struct PortcullisMiddleware<S> {
    service: Rc<S>,
    portcullis: Portcullis,
    body_timeout: Duration,
}

impl<S, B> Service<ServiceRequest> for PortcullisMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let p = self.portcullis.clone();
        let body_timeout = self.body_timeout;
        Box::pin(async move {
            let client = ClientInfo {
                remote_addr: req.peer_addr().map(|a| a.ip().to_string()),
            };
            let head = Head::of(req.request());
            let ctx = match p.open_session(&head.headers, client).await {
                Ok(ctx) => ctx,
                Err(r) => return Ok(req.into_response(to_actix(*r)).map_into_right_body()),
            };
            let mut resp = if p.is_endpoint(req.path()) {
                endpoint(&p, &ctx, head, req, body_timeout)
                    .await
                    .map_into_right_body()
            } else {
                req.extensions_mut().insert(ctx.clone());
                service.call(req).await?.map_into_left_body()
            };
            let mut cookies = http::HeaderMap::new();
            match p.close_session(ctx, &mut cookies).await {
                Ok(()) => append_headers(resp.headers_mut(), &cookies),
                Err(r) => {
                    let (req, _) = resp.into_parts();
                    resp = ServiceResponse::new(req, to_actix(*r)).map_into_right_body();
                }
            }
            Ok(resp)
        })
    }
}

/// Why a body was not read.
enum BodyError {
    TooLarge,
    TooSlow,
    Broken,
}

/// The body, at most [`MAX_BODY`] bytes, within `timeout`.
async fn body(payload: &mut Payload, timeout: Duration) -> Result<Vec<u8>, BodyError> {
    let read = async {
        let mut bytes = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| BodyError::Broken)?;
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(BodyError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    actix_web::rt::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyError::TooSlow))
}

/// A request to one of Portcullis' own endpoints.
async fn endpoint(
    p: &Portcullis,
    ctx: &RequestContext,
    head: Head,
    req: ServiceRequest,
    timeout: Duration,
) -> ServiceResponse<BoxBody> {
    let (http_req, mut payload) = req.into_parts();
    let failed = |status, msg| {
        let mut resp = to_actix(HttpResponse::error(status, msg));
        // The rest of an unread body cannot be skipped: close the connection.
        resp.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        resp
    };
    let resp = match body(&mut payload, timeout).await {
        Ok(bytes) => to_actix(
            p.endpoint(ctx, &head.method, &head.uri, &head.headers, &bytes)
                .await
                .unwrap_or_else(|| HttpResponse::error(StatusCode::NOT_FOUND, "Not Found")),
        ),
        Err(BodyError::TooLarge) => failed(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        ),
        Err(BodyError::TooSlow) => failed(
            StatusCode::REQUEST_TIMEOUT,
            "The request body came too slowly.",
        ),
        Err(BodyError::Broken) => {
            failed(StatusCode::BAD_REQUEST, "The request body was cut short.")
        }
    };
    ServiceResponse::new(http_req, resp)
}
