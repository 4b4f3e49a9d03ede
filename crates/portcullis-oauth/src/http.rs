//! The HTTP client every provider speaks through: reqwest over rustls
//! with the ring provider (the one lettre and the SMS sender use) and the
//! webpki roots, redirects never followed, answers capped in size, a
//! timeout on every request.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::{HttpRequest, HttpResponse};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// The largest answer read from a provider.
const MAX_BODY: usize = 1 << 20;
/// How long a provider may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request to a provider failed (no secret in it).
#[derive(Debug, Clone)]
pub struct HttpFailure(String);

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpFailure {}

/// A cheap-to-clone client.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
}

fn tls() -> Option<ClientConfig> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .ok()
    .map(|b| b.with_root_certificates(roots).with_no_client_auth())
}

impl Http {
    /// The client; an error when TLS cannot be set up.
    pub(crate) fn new() -> portcullis_core::Result<Self> {
        let config = tls().ok_or_else(|| {
            portcullis_core::Error::new(
                portcullis_core::ErrorKind::Config,
                "the TLS client for OAuth providers could not be built",
            )
        })?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .user_agent("portcullis-oauth")
            .build()
            .map_err(|e| {
                portcullis_core::Error::new(
                    portcullis_core::ErrorKind::Config,
                    format!("the HTTP client for OAuth providers could not be built: {e}"),
                )
            })?;
        Ok(Self { client })
    }

    /// Sends `request`; the answer whatever its status.
    pub(crate) async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpFailure> {
        let (parts, body) = request.into_parts();
        let response = self
            .client
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| HttpFailure(format!("the provider could not be reached: {e}")))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_capped(response).await?;
        let mut out = HttpResponse::new(body);
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }

    /// A closure in the shape `openidconnect` and `oauth2` take.
    pub(crate) fn as_client(
        &self,
    ) -> impl Fn(
        HttpRequest,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, HttpFailure>> + Send>,
    > + use<> {
        let http = self.clone();
        move |request| {
            let http = http.clone();
            Box::pin(async move { http.send(request).await })
        }
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, HttpFailure> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| HttpFailure(format!("the provider's answer broke off: {e}")))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(HttpFailure("the provider's answer is too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
