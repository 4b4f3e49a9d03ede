//! GitHub as Flask-Security's built-in provider, against a GitHub double
//! on loopback (authlib's `GITHUB_AUTHORIZE_URL`, `_ACCESS_TOKEN_URL`,
//! `_API_BASE_URL` point at it): scope `user:email` with PKCE, the code
//! exchanged with the client's credentials, the profile's email, whether
//! GitHub verified it, the primary address when the profile hides it, and
//! GitHub's refusal.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use portcullis_core::SecretString;
use portcullis_core::oauth::{OAuthAuthorize, OAuthExchange, OAuthProvider};
use portcullis_oauth::{GitHubEndpoints, GitHubProvider};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Double {
    public_email: Arc<Mutex<Option<String>>>,
    token_bodies: Arc<Mutex<Vec<String>>>,
}

async fn token(
    State(d): State<Double>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, Json<Value>) {
    d.token_bodies.lock().unwrap().push(body.clone());
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // client_secret_basic: base64("gh-client:gh-secret")
    if auth != "Basic Z2gtY2xpZW50OmdoLXNlY3JldA==" {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        );
    }
    if body.contains("code=used") {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}),
            ),
        );
    }
    (
        StatusCode::OK,
        Json(json!({"access_token": "gho_token", "token_type": "bearer", "scope": "user:email"})),
    )
}

fn bearer_ok(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer gho_token")
}

async fn user(State(d): State<Double>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    if !bearer_ok(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({})));
    }
    let email = d.public_email.lock().unwrap().clone();
    (
        StatusCode::OK,
        Json(json!({"login": "octo", "email": email})),
    )
}

async fn emails(headers: HeaderMap) -> (StatusCode, Json<Value>) {
    if !bearer_ok(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({})));
    }
    (
        StatusCode::OK,
        Json(json!([
            {"email": "octo@users.noreply.github.com", "primary": false, "verified": true},
            {"email": "Octo@Example.com", "primary": true, "verified": true},
            {"email": "old@example.com", "primary": false, "verified": false},
        ])),
    )
}

async fn double() -> (SocketAddr, Double) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let d = Double::default();
    let app = axum::Router::new()
        .route("/login/oauth/access_token", post(token))
        .route("/api/user", get(user))
        .route("/api/user/emails", get(emails))
        .with_state(d.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, d)
}

fn github(addr: SocketAddr) -> GitHubProvider {
    GitHubProvider::new("gh-client", SecretString::new(String::from("gh-secret")))
        .unwrap()
        .with_endpoints(GitHubEndpoints {
            authorize_url: format!("http://{addr}/login/oauth/authorize"),
            access_token_url: format!("http://{addr}/login/oauth/access_token"),
            api_base_url: format!("http://{addr}/api/"),
        })
}

async fn exchange(
    p: &GitHubProvider,
    code: &str,
) -> Result<portcullis_core::oauth::OAuthIdentity, String> {
    p.identity(&OAuthExchange {
        redirect_uri: "http://127.0.0.1/login/oauthresponse/github",
        code,
        pkce_verifier: "a-verifier-a-verifier-a-verifier-a-verifier-43",
        nonce: "unused",
    })
    .await
    .map_err(|f| f.error)
}

#[tokio::test]
async fn github_signs_in_by_the_profiles_email_and_says_whether_it_is_verified() {
    let (addr, d) = double().await;
    let p = github(addr);
    assert_eq!(p.name(), "github");
    let url = p
        .authorization_url(&OAuthAuthorize {
            redirect_uri: "http://127.0.0.1/login/oauthresponse/github",
            state: "st",
            nonce: "unused",
            pkce_verifier: "a-verifier-a-verifier-a-verifier-a-verifier-43",
        })
        .await
        .unwrap();
    let parsed = url::Url::parse(&url).unwrap();
    let q: BTreeMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(parsed.path(), "/login/oauth/authorize");
    assert_eq!(
        (
            q["client_id"].as_str(),
            q["scope"].as_str(),
            q["state"].as_str()
        ),
        ("gh-client", "user:email", "st")
    );
    assert_eq!(q["code_challenge_method"], "S256");

    // The profile's (public) email, verified by GitHub.
    *d.public_email.lock().unwrap() = Some("Octo@Example.com".into());
    let id = exchange(&p, "good").await.unwrap();
    assert_eq!(
        (id.attribute.as_str(), id.value.as_str(), id.email_verified),
        ("email", "Octo@Example.com", true)
    );
    let sent = d.token_bodies.lock().unwrap().last().cloned().unwrap();
    assert!(
        sent.contains("code_verifier=a-verifier") && sent.contains("grant_type=authorization_code"),
        "{sent}"
    );

    // A public email GitHub has not verified.
    *d.public_email.lock().unwrap() = Some("old@example.com".into());
    let id = exchange(&p, "good").await.unwrap();
    assert_eq!(
        (id.value.as_str(), id.email_verified),
        ("old@example.com", false)
    );

    // A private profile: the primary verified address.
    *d.public_email.lock().unwrap() = None;
    let id = exchange(&p, "good").await.unwrap();
    assert_eq!(
        (id.value.as_str(), id.email_verified),
        ("Octo@Example.com", true)
    );

    // GitHub refuses a used code.
    assert_eq!(
        exchange(&p, "used").await.unwrap_err(),
        "bad_verification_code"
    );
}

#[tokio::test]
async fn builtin_providers_come_from_authlibs_settings() {
    use portcullis_core::ConfigLoader;
    let base = || {
        ConfigLoader::new()
            .set("SECRET_KEY", "k")
            .set("SECURITY_PASSWORD_SALT", "s")
    };
    let (config, extras) = base()
        .set("SECURITY_OAUTH_ENABLE", true)
        .set("SECURITY_OAUTH_OIDC_PROVIDERS", json!(["keycloak"]))
        .set("GITHUB_CLIENT_ID", "id")
        .set("GITHUB_CLIENT_SECRET", "secret")
        .set(
            "KEYCLOAK_SERVER_METADATA_URL",
            "https://sso.example.com/realms/a/.well-known/openid-configuration",
        )
        .set("KEYCLOAK_CLIENT_ID", "kc")
        .set("KEYCLOAK_CLIENT_KWARGS", json!({"scope": "openid email"}))
        .build()
        .unwrap();
    let providers = portcullis_oauth::providers_from_settings(&config, &extras).unwrap();
    let names: Vec<&str> = providers.iter().map(|p| p.name()).collect();
    // Google is in Flask-Security's default list but has no client id here.
    assert_eq!(names, ["github", "keycloak"]);
    let debug = format!("{providers:?}");
    assert!(!debug.contains("secret\""), "no secret in Debug: {debug}");

    let (config, extras) = base()
        .set("SECURITY_OAUTH_ENABLE", true)
        .set("SECURITY_OAUTH_OIDC_PROVIDERS", json!(["keycloak"]))
        .build()
        .unwrap();
    let err = portcullis_oauth::providers_from_settings(&config, &extras).unwrap_err();
    assert!(err.to_string().contains("KEYCLOAK_CLIENT_ID"), "{err}");
}
