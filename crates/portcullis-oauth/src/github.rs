//! GitHub (OAuth 2, no OpenID Connect), as Flask-Security's built-in
//! `github` provider: scope `user:email`, the identity is the `email` of
//! `GET /user`; whether GitHub verified it comes from `GET /user/emails`
//! (which also gives the primary address when the profile's is private).

use async_trait::async_trait;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use portcullis_core::SecretString;
use portcullis_core::oauth::{
    OAuthAuthorize, OAuthExchange, OAuthFailure, OAuthIdentity, OAuthProvider,
};
use serde::Deserialize;

use crate::errors::{config_failure, token_failure, unreachable_provider};
use crate::http::Http;

/// GitHub's endpoints (authlib's `authorize_url`, `access_token_url`,
/// `api_base_url`); another GitHub (Enterprise Server, a test double)
/// by [`GitHubProvider::with_endpoints`].
#[derive(Debug, Clone)]
pub struct GitHubEndpoints {
    /// `https://github.com/login/oauth/authorize`.
    pub authorize_url: String,
    /// `https://github.com/login/oauth/access_token`.
    pub access_token_url: String,
    /// `https://api.github.com/`.
    pub api_base_url: String,
}

impl Default for GitHubEndpoints {
    fn default() -> Self {
        Self {
            authorize_url: "https://github.com/login/oauth/authorize".into(),
            access_token_url: "https://github.com/login/oauth/access_token".into(),
            api_base_url: "https://api.github.com/".into(),
        }
    }
}

/// GitHub sign-in.
pub struct GitHubProvider {
    name: String,
    client_id: String,
    client_secret: SecretString,
    endpoints: GitHubEndpoints,
    http: Http,
}

impl std::fmt::Debug for GitHubProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubProvider")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Profile {
    email: Option<String>,
}

#[derive(Deserialize)]
struct EmailEntry {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

impl GitHubProvider {
    /// The OAuth app `client_id` / `client_secret` on github.com.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> portcullis_core::Result<Self> {
        Ok(Self {
            name: "github".into(),
            client_id: client_id.into(),
            client_secret,
            endpoints: GitHubEndpoints::default(),
            http: Http::new()?,
        })
    }

    /// Other endpoints (GitHub Enterprise Server, a test double).
    pub fn with_endpoints(mut self, endpoints: GitHubEndpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    fn client(
        &self,
        redirect_uri: &str,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        OAuthFailure,
    > {
        let e = &self.endpoints;
        Ok(BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::new(e.authorize_url.clone()).map_err(config_failure)?)
            .set_token_uri(TokenUrl::new(e.access_token_url.clone()).map_err(config_failure)?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(config_failure)?))
    }

    /// `GET <api>/<path>` with the user's token, as JSON.
    async fn api<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<T, OAuthFailure> {
        let url = format!(
            "{}/{path}",
            self.endpoints.api_base_url.trim_end_matches('/')
        );
        let request = openidconnect::http::Request::builder()
            .uri(url)
            .header("authorization", format!("Bearer {token}"))
            .header("accept", "application/vnd.github+json")
            .body(Vec::new())
            .map_err(config_failure)?;
        let response = self
            .http
            .send(request)
            .await
            .map_err(|h| unreachable_provider(&h))?;
        if !response.status().is_success() {
            return Err(OAuthFailure::new(
                "api_error",
                format!("GitHub answered {} to {path}.", response.status().as_u16()),
            ));
        }
        serde_json::from_slice(response.body()).map_err(|_| {
            OAuthFailure::new(
                "invalid_response",
                format!("GitHub's {path} could not be read."),
            )
        })
    }
}

#[async_trait]
impl OAuthProvider for GitHubProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn authorization_url(
        &self,
        request: &OAuthAuthorize<'_>,
    ) -> Result<String, OAuthFailure> {
        let state = request.state.to_owned();
        let challenge = crate::errors::s256_challenge(request.pkce_verifier);
        let (url, _) = self
            .client(request.redirect_uri)?
            .authorize_url(move || CsrfToken::new(state))
            .add_scope(Scope::new("user:email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(url.to_string())
    }

    async fn identity(&self, exchange: &OAuthExchange<'_>) -> Result<OAuthIdentity, OAuthFailure> {
        let http = self.http.as_client();
        let token = self
            .client(exchange.redirect_uri)?
            .exchange_code(AuthorizationCode::new(exchange.code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(exchange.pkce_verifier.to_owned()))
            .request_async(&http)
            .await
            .map_err(token_failure)?;
        let access = token.access_token().secret().clone();
        let profile: Profile = self.api("user", &access).await?;
        let emails: Vec<EmailEntry> = self.api("user/emails", &access).await.unwrap_or_default();
        let email = profile
            .email
            .or_else(|| {
                emails
                    .iter()
                    .find(|e| e.primary && e.verified)
                    .map(|e| e.email.clone())
            })
            .ok_or_else(|| {
                OAuthFailure::new("invalid_response", "GitHub did not say the email address.")
            })?;
        let verified = emails
            .iter()
            .any(|e| e.verified && e.email.eq_ignore_ascii_case(&email));
        Ok(OAuthIdentity {
            attribute: "email".into(),
            value: email,
            email_verified: verified,
        })
    }
}
