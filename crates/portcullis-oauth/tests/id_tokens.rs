//! The ID token is believed only when it should be: a provider double on
//! loopback (discovery, keys, token endpoint) answers each exchange with
//! an ID token made for the case — right, another nonce, signed by a key
//! the provider never published, expired, for another client, from
//! another issuer — and `OidcProvider::identity` accepts only the first.
//! Also: the provider's own error, a provider that is down, and the
//! authorization URL's state, nonce and PKCE challenge.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use chrono::{Duration, Utc};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, EmptyAdditionalClaims, EndUserEmail, IssuerUrl, JsonWebKeyId, Nonce,
    PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use portcullis_core::SecretString;
use portcullis_core::oauth::{OAuthAuthorize, OAuthExchange, OAuthProvider};
use portcullis_oauth::OidcProvider;
use serde_json::{Value, json};

const PROVIDER_KEY: &str = include_str!("fixtures/provider.pem");
const ATTACKER_KEY: &str = include_str!("fixtures/attacker.pem");
const NONCE: &str = "the-nonce-sent";

/// What the next token answer holds.
#[derive(Clone)]
enum Case {
    Good,
    OtherNonce,
    OtherKey,
    Expired,
    OtherAudience,
    OtherIssuer,
    Refused,
}

#[derive(Clone)]
struct Double {
    issuer: String,
    case: Arc<Mutex<Case>>,
}

fn key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k1".into()))).unwrap()
}

async fn metadata(State(d): State<Double>) -> Json<Value> {
    Json(json!({
        "issuer": d.issuer,
        "authorization_endpoint": format!("{}/auth", d.issuer),
        "token_endpoint": format!("{}/token", d.issuer),
        "jwks_uri": format!("{}/jwks", d.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks() -> Json<Value> {
    let public = key(PROVIDER_KEY).as_verification_key();
    Json(json!({ "keys": [public] }))
}

async fn token(State(d): State<Double>) -> (axum::http::StatusCode, Json<Value>) {
    let case = d.case.lock().unwrap().clone();
    if let Case::Refused = case {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": "code already used"})),
        );
    }
    let now = Utc::now();
    let (issuer, audience, expires, nonce, signer) = match case {
        Case::OtherNonce => (
            d.issuer.clone(),
            "app",
            now + Duration::minutes(5),
            "another",
            PROVIDER_KEY,
        ),
        Case::OtherKey => (
            d.issuer.clone(),
            "app",
            now + Duration::minutes(5),
            NONCE,
            ATTACKER_KEY,
        ),
        Case::Expired => (
            d.issuer.clone(),
            "app",
            now - Duration::minutes(5),
            NONCE,
            PROVIDER_KEY,
        ),
        Case::OtherAudience => (
            d.issuer.clone(),
            "someone-else",
            now + Duration::minutes(5),
            NONCE,
            PROVIDER_KEY,
        ),
        Case::OtherIssuer => (
            "https://evil.example".into(),
            "app",
            now + Duration::minutes(5),
            NONCE,
            PROVIDER_KEY,
        ),
        _ => (
            d.issuer.clone(),
            "app",
            now + Duration::minutes(5),
            NONCE,
            PROVIDER_KEY,
        ),
    };
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(issuer).unwrap(),
        vec![Audience::new(audience.into())],
        expires,
        now - Duration::minutes(10),
        StandardClaims::new(SubjectIdentifier::new("sub-1".into()))
            .set_email(Some(EndUserEmail::new("Jo@Example.com".into())))
            .set_email_verified(Some(true)),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(nonce.into())));
    let id_token = CoreIdToken::new(
        claims,
        &key(signer),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap();
    (
        axum::http::StatusCode::OK,
        Json(
            json!({"access_token": "at", "token_type": "Bearer", "expires_in": 60, "id_token": id_token}),
        ),
    )
}

async fn double() -> (SocketAddr, Arc<Mutex<Case>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let case = Arc::new(Mutex::new(Case::Good));
    let state = Double {
        issuer: format!("http://{addr}"),
        case: case.clone(),
    };
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(metadata))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, case)
}

fn provider(addr: SocketAddr) -> OidcProvider {
    OidcProvider::new(
        "double",
        &format!("http://{addr}"),
        "app",
        Some(SecretString::new(String::from("app-secret"))),
    )
    .unwrap()
}

async fn exchange(p: &OidcProvider) -> Result<portcullis_core::oauth::OAuthIdentity, String> {
    p.identity(&OAuthExchange {
        redirect_uri: "http://127.0.0.1/cb",
        code: "code-1",
        pkce_verifier: "a-verifier-a-verifier-a-verifier-a-verifier-43",
        nonce: NONCE,
    })
    .await
    .map_err(|f| f.error)
}

#[tokio::test]
async fn only_a_right_id_token_is_believed() {
    let (addr, case) = double().await;
    let p = provider(addr);
    let id = exchange(&p).await.expect("a good ID token");
    assert_eq!(id.attribute, "email");
    assert_eq!(id.value, "Jo@Example.com");
    assert!(id.email_verified);

    for (c, code) in [
        (Case::OtherNonce, "invalid_nonce"),
        (Case::OtherKey, "invalid_token"),
        (Case::Expired, "invalid_token"),
        (Case::OtherAudience, "invalid_token"),
        (Case::OtherIssuer, "invalid_token"),
        (Case::Refused, "invalid_grant"),
    ] {
        *case.lock().unwrap() = c;
        assert_eq!(exchange(&p).await.unwrap_err(), code);
    }
}

#[tokio::test]
async fn the_authorization_url_carries_state_nonce_and_an_s256_challenge() {
    let (addr, _) = double().await;
    let p = provider(addr);
    let url = p
        .authorization_url(&OAuthAuthorize {
            redirect_uri: "http://127.0.0.1/cb",
            state: "s-1",
            nonce: "n-1",
            pkce_verifier: "a-verifier-a-verifier-a-verifier-a-verifier-43",
        })
        .await
        .unwrap();
    let url = url::Url::parse(&url).unwrap();
    let q: std::collections::BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/auth");
    assert_eq!(q["state"], "s-1");
    assert_eq!(q["nonce"], "n-1");
    assert_eq!(q["client_id"], "app");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    // BASE64URL(SHA256(verifier)), not the verifier.
    assert_ne!(
        q["code_challenge"],
        "a-verifier-a-verifier-a-verifier-a-verifier-43"
    );
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(
        q["scope"].split(' ').any(|s| s == "openid"),
        "{}",
        q["scope"]
    );
}

#[tokio::test]
async fn a_provider_that_is_down_is_a_handshake_failure() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let p = provider(addr);
    assert_eq!(exchange(&p).await.unwrap_err(), "provider_unavailable");
    let started = p
        .authorization_url(&OAuthAuthorize {
            redirect_uri: "http://127.0.0.1/cb",
            state: "s",
            nonce: "n",
            pkce_verifier: "a-verifier-a-verifier-a-verifier-a-verifier-43",
        })
        .await;
    assert_eq!(started.unwrap_err().error, "provider_unavailable");
}
