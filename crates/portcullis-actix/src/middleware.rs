//! The middleware: Portcullis' endpoints, and the session around every
//! request. Every decision is `portcullis-http`'s; this converts requests
//! and responses.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage};
use futures_util::future::LocalBoxFuture;
use http::StatusCode;
use portcullis_core::flows::ClientInfo;
use portcullis_core::store::SessionStore;
use portcullis_http::{HttpResponse, Portcullis, RequestContext, SessionOptions};

use crate::convert::{Head, append_headers, to_actix};

/// Portcullis for actix-web: `App::new().wrap(auth.wrap())` puts its
/// endpoints and sessions in front of an app.
#[derive(Debug, Clone)]
pub struct PortcullisActix {
    portcullis: Portcullis,
}

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

    /// Over a [`Portcullis`] already given its session store
    /// ([`Portcullis::with_sessions`]).
    pub fn from_portcullis(portcullis: Portcullis) -> Self {
        Self { portcullis }
    }

    /// The HTTP layer.
    pub fn portcullis(&self) -> &Portcullis {
        &self.portcullis
    }

    /// The middleware, for `App::wrap`.
    pub fn wrap(&self) -> PortcullisWrap {
        PortcullisWrap {
            portcullis: self.portcullis.clone(),
        }
    }
}

/// The middleware factory of [`PortcullisActix::wrap`].
#[derive(Debug, Clone)]
pub struct PortcullisWrap {
    portcullis: Portcullis,
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
        }))
    }
}

/// The service [`PortcullisWrap`] makes.
#[derive(Debug)]
pub struct PortcullisMiddleware<S> {
    service: Rc<S>,
    portcullis: Portcullis,
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
        Box::pin(async move {
            let head = Head::of(req.request());
            let locale = p.locale_for(&head.headers);
            portcullis_core::i18n::scoped(locale, serve(p, service, head, req)).await
        })
    }
}

/// One request, in its locale: the session around Portcullis' endpoint or
/// the app's service.
async fn serve<S, B>(
    p: Portcullis,
    service: std::rc::Rc<S>,
    head: Head,
    req: ServiceRequest,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    let client = ClientInfo {
        remote_addr: req.peer_addr().map(|a| a.ip().to_string()),
    };
    let ctx = match p.open_session(&head.headers, client).await {
        Ok(ctx) => ctx,
        Err(r) => return Ok(req.into_response(to_actix(*r)).map_into_right_body()),
    };
    let mut resp = if p.is_endpoint(req.path()) {
        endpoint(&p, &ctx, head, req).await.map_into_right_body()
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
}

/// A request to one of Portcullis' own endpoints.
async fn endpoint(
    p: &Portcullis,
    ctx: &RequestContext,
    head: Head,
    req: ServiceRequest,
) -> ServiceResponse<BoxBody> {
    let (http_req, payload) = req.into_parts();
    let resp = match p.read_body(payload).await {
        Ok(bytes) => to_actix(
            p.endpoint(ctx, &head.method, &head.uri, &head.headers, &bytes)
                .await
                .unwrap_or_else(|| HttpResponse::error(StatusCode::NOT_FOUND, "Not Found")),
        ),
        Err(refused) => {
            let mut resp = to_actix(refused.response());
            resp.head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
            resp
        }
    };
    ServiceResponse::new(http_req, resp)
}
