//! Any OpenID Connect provider by issuer (Google, Keycloak, Authentik,
//! Entra ID, Okta, …): discovery, the authorization code flow with PKCE,
//! and an ID token checked for signature, issuer, audience, expiry and
//! nonce before its `email` is believed.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use portcullis_core::SecretString;
use portcullis_core::oauth::{
    OAuthAuthorize, OAuthExchange, OAuthFailure, OAuthIdentity, OAuthProvider,
};
use tokio::sync::RwLock;

use crate::errors::{config_failure, token_failure, unreachable_provider};
use crate::http::Http;

/// How long discovered metadata (and its signing keys) is kept.
const METADATA_FOR: Duration = Duration::from_secs(3600);

/// An OpenID Connect provider.
pub struct OidcProvider {
    name: String,
    issuer: IssuerUrl,
    client_id: String,
    client_secret: Option<SecretString>,
    scopes: Vec<String>,
    http: Http,
    metadata: RwLock<Option<(Instant, CoreProviderMetadata)>>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("name", &self.name)
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl OidcProvider {
    /// The provider `name` at `issuer` (its metadata is at
    /// `<issuer>/.well-known/openid-configuration`), as the client
    /// `client_id` / `client_secret`, asking for `openid email profile`.
    pub fn new(
        name: impl Into<String>,
        issuer: &str,
        client_id: impl Into<String>,
        client_secret: Option<SecretString>,
    ) -> portcullis_core::Result<Self> {
        let issuer = IssuerUrl::new(issuer.trim_end_matches('/').to_owned()).map_err(|e| {
            portcullis_core::Error::new(
                portcullis_core::ErrorKind::Config,
                format!("the OpenID Connect issuer {issuer:?} is not a URL: {e}"),
            )
        })?;
        Ok(Self {
            name: name.into(),
            issuer,
            client_id: client_id.into(),
            client_secret,
            scopes: vec!["email".into(), "profile".into()],
            http: Http::new()?,
            metadata: RwLock::new(None),
        })
    }

    /// Google (`https://accounts.google.com`), as Flask-Security's
    /// built-in `google` provider.
    pub fn google(
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> portcullis_core::Result<Self> {
        Self::new(
            "google",
            "https://accounts.google.com",
            client_id,
            Some(client_secret),
        )
    }

    /// The scopes asked for besides `openid` (authlib's `client_kwargs`
    /// `scope`).
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = String>) -> Self {
        self.scopes = scopes.into_iter().filter(|s| s != "openid").collect();
        self
    }

    /// The provider's metadata: discovered once, kept an hour, fetched
    /// again when `refresh` (a key rotation).
    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, OAuthFailure> {
        if !refresh
            && let Some((at, m)) = self.metadata.read().await.as_ref()
            && at.elapsed() < METADATA_FOR
        {
            return Ok(m.clone());
        }
        let client = self.http.as_client();
        let m = CoreProviderMetadata::discover_async(self.issuer.clone(), &client)
            .await
            .map_err(|e| match e {
                openidconnect::DiscoveryError::Request(h) => unreachable_provider(&h),
                other => {
                    tracing::warn!(provider = %self.name, error = %other, "OpenID Connect discovery failed");
                    OAuthFailure::new("discovery_failed", "The provider's configuration could not be read.")
                }
            })?;
        *self.metadata.write().await = Some((Instant::now(), m.clone()));
        Ok(m)
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
        redirect_uri: &str,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OAuthFailure,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(config_failure)?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.client_id.clone()),
            self.client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_owned())),
        )
        .set_redirect_uri(redirect))
    }
}

#[async_trait]
impl OAuthProvider for OidcProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn authorization_url(
        &self,
        request: &OAuthAuthorize<'_>,
    ) -> Result<String, OAuthFailure> {
        let client = self.client(self.metadata(false).await?, request.redirect_uri)?;
        let (state, nonce) = (request.state.to_owned(), request.nonce.to_owned());
        let challenge = crate::errors::s256_challenge(request.pkce_verifier);
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        Ok(url.to_string())
    }

    async fn identity(&self, exchange: &OAuthExchange<'_>) -> Result<OAuthIdentity, OAuthFailure> {
        let client = self.client(self.metadata(false).await?, exchange.redirect_uri)?;
        let http = self.http.as_client();
        let token = client
            .exchange_code(AuthorizationCode::new(exchange.code.to_owned()))
            .map_err(config_failure)?
            .set_pkce_verifier(PkceCodeVerifier::new(exchange.pkce_verifier.to_owned()))
            .request_async(&http)
            .await
            .map_err(token_failure)?;
        let id_token = token.id_token().ok_or_else(|| {
            OAuthFailure::new("invalid_response", "The provider sent no ID token.")
        })?;
        let nonce = Nonce::new(exchange.nonce.to_owned());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(c) => c.clone(),
            // A key the cached set does not have: the provider rotated its
            // keys, or another key signed it. Look once more.
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                let fresh = self.client(self.metadata(true).await?, exchange.redirect_uri)?;
                id_token
                    .claims(&fresh.id_token_verifier(), &nonce)
                    .map_err(id_token_failure)?
                    .clone()
            }
            Err(e) => return Err(id_token_failure(e)),
        };
        if let Some(email) = claims.email() {
            return Ok(OAuthIdentity {
                attribute: "email".into(),
                value: email.as_str().to_owned(),
                email_verified: claims.email_verified().unwrap_or(false),
            });
        }
        // Not in the ID token: ask the userinfo endpoint, for this subject.
        let info: openidconnect::core::CoreUserInfoClaims = client
            .user_info(token.access_token().clone(), Some(claims.subject().clone()))
            .map_err(config_failure)?
            .request_async(&http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %self.name, error = %e, "the userinfo request failed");
                OAuthFailure::new(
                    "invalid_response",
                    "The provider's user information could not be read.",
                )
            })?;
        let email = info.email().ok_or_else(|| {
            OAuthFailure::new(
                "invalid_response",
                "The provider did not say the email address.",
            )
        })?;
        Ok(OAuthIdentity {
            attribute: "email".into(),
            value: email.as_str().to_owned(),
            email_verified: info.email_verified().unwrap_or(false),
        })
    }
}

fn id_token_failure(e: ClaimsVerificationError) -> OAuthFailure {
    let (code, what) = match &e {
        ClaimsVerificationError::Expired(_) => ("invalid_token", "The ID token has expired."),
        ClaimsVerificationError::InvalidNonce(_) => {
            ("invalid_nonce", "The ID token's nonce does not match.")
        }
        ClaimsVerificationError::InvalidIssuer(_) => (
            "invalid_token",
            "The ID token's issuer is not the provider.",
        ),
        ClaimsVerificationError::InvalidAudience(_) => {
            ("invalid_token", "The ID token is not for this client.")
        }
        ClaimsVerificationError::SignatureVerification(_) => {
            ("invalid_token", "The ID token's signature does not verify.")
        }
        _ => ("invalid_token", "The ID token was refused."),
    };
    tracing::info!(error = %e, "an ID token was refused");
    OAuthFailure::new(code, what)
}
