//! Social and OpenID Connect login: what an OAuth provider must do for
//! Portcullis (Flask-Security's `FsOAuthProvider`), and the secrets of one
//! authorization request.
//!
//! Core decides everything that is security: it makes the `state`, the
//! OpenID Connect `nonce` and the PKCE verifier, keeps them with the
//! session ([`OAuthPending`]), checks the returned `state` (constant time,
//! once, within ten minutes), maps the identity through
//! `SECURITY_USER_IDENTITY_ATTRIBUTES` and logs in as any other first
//! factor does. A provider only speaks its protocol: it builds the
//! authorization URL and turns a code into an identity, checking what its
//! protocol asks (an ID token's signature, issuer, audience, expiry and
//! nonce). `portcullis-oauth` has GitHub, Google and any OpenID Connect
//! provider by issuer; implement [`OAuthProvider`] for another.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What [`OAuthProvider::authorization_url`] puts into the URL.
#[derive(Clone, Copy)]
pub struct OAuthAuthorize<'a> {
    /// Where the provider sends the browser back (the external URL of
    /// `SECURITY_OAUTH_RESPONSE_URL/<name>` or its verify counterpart).
    pub redirect_uri: &'a str,
    /// The `state` parameter.
    pub state: &'a str,
    /// The OpenID Connect `nonce` (plain OAuth 2 providers ignore it).
    pub nonce: &'a str,
    /// The PKCE code verifier; the URL carries its S256 challenge.
    pub pkce_verifier: &'a str,
}

impl fmt::Debug for OAuthAuthorize<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthAuthorize")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// What [`OAuthProvider::identity`] exchanges.
#[derive(Clone, Copy)]
pub struct OAuthExchange<'a> {
    /// The same `redirect_uri` as in the authorization request.
    pub redirect_uri: &'a str,
    /// The authorization code the provider returned.
    pub code: &'a str,
    /// The PKCE code verifier of the authorization request.
    pub pkce_verifier: &'a str,
    /// The `nonce` the ID token must carry (OpenID Connect).
    pub nonce: &'a str,
}

impl fmt::Debug for OAuthExchange<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthExchange")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// Who the provider says signed in: Flask-Security's `fetch_identity_cb`
/// answer (`("email", "jo@example.com")`), and whether the provider
/// vouches for the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthIdentity {
    /// The identity attribute to look the user up by (`email`, or another
    /// of `SECURITY_USER_IDENTITY_ATTRIBUTES`).
    pub attribute: String,
    /// Its value, before the attribute's mapper.
    pub value: String,
    /// The provider verified this email address (`email_verified`).
    pub email_verified: bool,
}

/// A failed handshake (authlib's `OAuthError`): the provider's `error`
/// and `error_description`, or Portcullis' own for what it refused.
/// Shown to the user in `OAUTH_HANDSHAKE_ERROR`; never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthFailure {
    /// A short code (`access_denied`, `invalid_grant`, `mismatching_state`).
    pub error: String,
    /// What went wrong, in words.
    pub description: String,
}

impl OAuthFailure {
    /// A failure with this code and description.
    pub fn new(error: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            description: description.into(),
        }
    }
}

impl fmt::Display for OAuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} - {}", self.error, self.description)
    }
}

impl std::error::Error for OAuthFailure {}

/// An OAuth 2 / OpenID Connect provider (Flask-Security's
/// `FsOAuthProvider`).
#[async_trait]
pub trait OAuthProvider: Send + Sync + fmt::Debug {
    /// The name in the URLs (`/login/oauthstart/<name>`) and on the button.
    fn name(&self) -> &str;

    /// The provider's authorization URL for this request: client id,
    /// `redirect_uri`, scope, `state`, `nonce` (OpenID Connect) and the
    /// PKCE challenge. May fetch the provider's metadata.
    async fn authorization_url(&self, request: &OAuthAuthorize<'_>)
    -> Result<String, OAuthFailure>;

    /// Exchanges the code and says who signed in, having checked what the
    /// protocol requires (for OpenID Connect the ID token's signature,
    /// issuer, audience, expiry and nonce).
    async fn identity(&self, exchange: &OAuthExchange<'_>) -> Result<OAuthIdentity, OAuthFailure>;
}

/// Why the browser went to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthPurpose {
    /// To sign in (`oauthstart`).
    Login,
    /// To re-authenticate the signed-in user (`oauth-verify-start`).
    Verify,
}

/// The secrets of one authorization request, kept in the session until
/// the provider sends the browser back, and used once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthPending {
    /// The provider's name.
    pub provider: String,
    /// Sign-in or re-authentication.
    pub purpose: OAuthPurpose,
    /// The `state` sent.
    pub state: String,
    /// The `nonce` sent.
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// The `redirect_uri` sent.
    pub redirect_uri: String,
    /// When the request was made (Unix seconds).
    pub started: i64,
}

impl fmt::Debug for OAuthPending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthPending")
            .field("provider", &self.provider)
            .field("purpose", &self.purpose)
            .field("redirect_uri", &self.redirect_uri)
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

/// The query the provider sends the browser back with.
#[derive(Clone, Default)]
pub struct OAuthResponse {
    /// `state`.
    pub state: Option<String>,
    /// `code`.
    pub code: Option<String>,
    /// `error` (the user refused, or the provider failed).
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

impl fmt::Debug for OAuthResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthResponse")
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .finish_non_exhaustive()
    }
}
