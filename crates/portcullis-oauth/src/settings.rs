//! Providers from a Flask-Security app's settings: the built-in ones
//! `SECURITY_OAUTH_BUILTIN_PROVIDERS` names, and the OpenID Connect ones
//! `SECURITY_OAUTH_OIDC_PROVIDERS` names, each configured by authlib's
//! `<NAME>_*` settings.

use std::collections::BTreeMap;
use std::sync::Arc;

use portcullis_core::oauth::OAuthProvider;
use portcullis_core::{Error, ErrorKind, Result, SecretString, SecurityConfig};
use serde_json::Value;

use crate::github::{GitHubEndpoints, GitHubProvider};
use crate::oidc::OidcProvider;

/// The suffixes of the per-provider settings read (after `<NAME>_`, the
/// provider's name in capitals), as authlib's Flask client names them:
/// `GITHUB_CLIENT_ID`, `KEYCLOAK_SERVER_METADATA_URL`, …
/// (`ISSUER` is Portcullis' own shorthand for the metadata URL).
pub const SETTING_SUFFIXES: [&str; 8] = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "SERVER_METADATA_URL",
    "ISSUER",
    "CLIENT_KWARGS",
    "AUTHORIZE_URL",
    "ACCESS_TOKEN_URL",
    "API_BASE_URL",
];

const WELL_KNOWN: &str = "/.well-known/openid-configuration";

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Null | Value::String(_) => None,
        other => Some(other.to_string()),
    }
}

struct Named<'a> {
    name: &'a str,
    settings: &'a BTreeMap<String, Value>,
}

impl Named<'_> {
    fn key(&self, suffix: &str) -> String {
        format!(
            "{}_{suffix}",
            self.name.to_ascii_uppercase().replace('-', "_")
        )
    }

    fn get(&self, suffix: &str) -> Option<String> {
        self.settings.get(&self.key(suffix)).and_then(text)
    }

    fn required(&self, suffix: &str) -> Result<String> {
        self.get(suffix).ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "the OAuth provider {:?} needs {} (with SECURITY_OAUTH_ENABLE on)",
                    self.name,
                    self.key(suffix)
                ),
            )
        })
    }

    /// `client_kwargs = {scope = "openid email"}` (a table, or its JSON
    /// text from the environment): the scopes, if given.
    fn scopes(&self) -> Result<Option<Vec<String>>> {
        let Some(raw) = self.settings.get(&self.key("CLIENT_KWARGS")) else {
            return Ok(None);
        };
        let table = match raw {
            Value::String(s) => serde_json::from_str::<Value>(s).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!(
                        "{}: expected a table such as {{\"scope\": \"openid email\"}}: {e}",
                        self.key("CLIENT_KWARGS")
                    ),
                )
            })?,
            v => v.clone(),
        };
        Ok(table["scope"]
            .as_str()
            .map(|s| s.split_whitespace().map(str::to_owned).collect()))
    }

    fn issuer(&self) -> Result<String> {
        if let Some(url) = self.get("SERVER_METADATA_URL") {
            return url
                .strip_suffix(WELL_KNOWN)
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Config,
                        format!(
                            "{} must end in {WELL_KNOWN}",
                            self.key("SERVER_METADATA_URL")
                        ),
                    )
                });
        }
        self.required("ISSUER")
    }
}

/// Every provider the settings offer, in order: the built-ins, then the
/// OpenID Connect ones. A built-in provider without its client id is left
/// out (Flask-Security's default list names both GitHub and Google); an
/// OpenID Connect provider without its settings is an error. Nothing is
/// fetched here: discovery happens at the first sign-in.
pub fn providers_from_settings(
    config: &SecurityConfig,
    settings: &BTreeMap<String, Value>,
) -> Result<Vec<Arc<dyn OAuthProvider>>> {
    let mut out: Vec<Arc<dyn OAuthProvider>> = Vec::new();
    if !config.oauth_enable {
        return Ok(out);
    }
    for name in &config.oauth_builtin_providers {
        let n = Named { name, settings };
        let Some(id) = n.get("CLIENT_ID") else {
            tracing::warn!(provider = %name, "SECURITY_OAUTH_BUILTIN_PROVIDERS names {name}, but {} is not set: it is not offered", n.key("CLIENT_ID"));
            continue;
        };
        let secret = SecretString::new(n.required("CLIENT_SECRET")?);
        match name.as_str() {
            "github" => {
                let d = GitHubEndpoints::default();
                let endpoints = GitHubEndpoints {
                    authorize_url: n.get("AUTHORIZE_URL").unwrap_or(d.authorize_url),
                    access_token_url: n.get("ACCESS_TOKEN_URL").unwrap_or(d.access_token_url),
                    api_base_url: n.get("API_BASE_URL").unwrap_or(d.api_base_url),
                };
                out.push(Arc::new(
                    GitHubProvider::new(id, secret)?.with_endpoints(endpoints),
                ));
            }
            "google" => {
                let issuer = n
                    .issuer()
                    .unwrap_or_else(|_| "https://accounts.google.com".into());
                let mut p = OidcProvider::new("google", &issuer, id, Some(secret))?;
                if let Some(scopes) = n.scopes()? {
                    p = p.with_scopes(scopes);
                }
                out.push(Arc::new(p));
            }
            other => {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "SECURITY_OAUTH_BUILTIN_PROVIDERS: {other:?} is not built in (github, google); name an OpenID Connect provider in SECURITY_OAUTH_OIDC_PROVIDERS"
                    ),
                ));
            }
        }
    }
    for name in &config.oauth_oidc_providers {
        let n = Named { name, settings };
        let id = n.required("CLIENT_ID")?;
        let secret = n.get("CLIENT_SECRET").map(SecretString::new);
        let mut p = OidcProvider::new(name.clone(), &n.issuer()?, id, secret)?;
        if let Some(scopes) = n.scopes()? {
            p = p.with_scopes(scopes);
        }
        out.push(Arc::new(p));
    }
    Ok(out)
}
