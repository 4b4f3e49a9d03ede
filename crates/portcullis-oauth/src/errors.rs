//! Provider failures as the user sees them (`OAUTH_HANDSHAKE_ERROR`),
//! and the PKCE challenge both protocols send.

use openidconnect::{ErrorResponse, RequestTokenError};
use portcullis_core::oauth::OAuthFailure;

use crate::http::HttpFailure;

/// A failed token request: the provider's own `error` and
/// `error_description` when it sent them.
pub(crate) fn token_failure<T: ErrorResponse + 'static>(
    e: RequestTokenError<HttpFailure, T>,
) -> OAuthFailure {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let json = serde_json::to_value(&r).unwrap_or_default();
            OAuthFailure::new(
                json["error"].as_str().unwrap_or("invalid_request"),
                json["error_description"].as_str().unwrap_or_default(),
            )
        }
        RequestTokenError::Request(h) => unreachable_provider(&h),
        RequestTokenError::Parse(_, _) => OAuthFailure::new(
            "invalid_response",
            "The provider's token answer could not be read.",
        ),
        RequestTokenError::Other(o) => OAuthFailure::new("invalid_response", o),
    }
}

/// The provider could not be reached or broke off.
pub(crate) fn unreachable_provider(h: &HttpFailure) -> OAuthFailure {
    tracing::warn!(error = %h, "an OAuth provider did not answer");
    OAuthFailure::new("provider_unavailable", "The provider could not be reached.")
}

/// A configuration the provider's answers contradict.
pub(crate) fn config_failure(what: impl std::fmt::Display) -> OAuthFailure {
    OAuthFailure::new("Config error", what.to_string())
}

/// The S256 PKCE challenge of core's `verifier`.
pub(crate) fn s256_challenge(verifier: &str) -> openidconnect::PkceCodeChallenge {
    openidconnect::PkceCodeChallenge::from_code_verifier_sha256(
        &openidconnect::PkceCodeVerifier::new(verifier.to_owned()),
    )
}
