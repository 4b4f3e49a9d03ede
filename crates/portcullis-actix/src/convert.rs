//! actix-web's request and response types to and from the `http` crate's
//! (actix-web 4 is on `http` 0.2; `portcullis-http` on 1.x).

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderName as ActixName, HeaderValue as ActixValue};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use portcullis_http::{HttpResponse, RequestHead};

/// A request's method, URI and headers as `http` 1.x values.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
}

impl Head {
    pub(crate) fn of(req: &HttpRequest) -> Self {
        let mut headers = HeaderMap::with_capacity(req.headers().len());
        for (name, value) in req.headers() {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_str().as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                headers.append(n, v);
            }
        }
        Self {
            method: Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or(Method::GET),
            uri: req.uri().to_string().parse().unwrap_or_default(),
            headers,
        }
    }

    pub(crate) fn as_head(&self) -> RequestHead<'_> {
        RequestHead {
            method: &self.method,
            uri: &self.uri,
            headers: &self.headers,
        }
    }
}

/// Appends `headers` to an actix-web header map.
pub(crate) fn append_headers(to: &mut actix_web::http::header::HeaderMap, headers: &HeaderMap) {
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            ActixName::from_bytes(name.as_str().as_bytes()),
            ActixValue::from_bytes(value.as_bytes()),
        ) {
            to.append(n, v);
        }
    }
}

/// A `portcullis-http` response as an actix-web one.
pub(crate) fn to_actix(r: HttpResponse) -> actix_web::HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(r.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = actix_web::HttpResponse::with_body(status, r.body);
    append_headers(resp.headers_mut(), &r.headers);
    resp.map_into_boxed_body()
}
