//! Social and OpenID Connect login on the todo example over real TCP,
//! against a real OpenID provider (npm's `oidc-provider`, started here):
//! the provider's own redirects, code exchange, ID token and userinfo.
//! Login, the auth token, re-authentication, an unknown identity, a due
//! second factor, and every way the answer can be wrong: a missing or
//! wrong `state`, a replayed code, the provider's refusal, the provider
//! down — each an error view, never a 5xx, and nobody logged in.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use crate::on_every_backend;
use common::*;
use serde_json::json;

const HTML: (&str, &str) = ("Accept", "text/html");

fn location(r: &Resp) -> String {
    assert!(
        matches!(r.status, 302 | 303),
        "{}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    r.header("location").unwrap().to_owned()
}

async fn start(idp: &OidcProvider, extra: &[(&str, &str)], backend: Backend) -> Option<Server> {
    let owned = idp.settings();
    let mut settings: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    settings.extend_from_slice(extra);
    start_on(backend, &settings).await
}

async fn logged_in(srv: &Server, c: &mut Client) -> bool {
    let r = c.get(srv, "/api/me").await;
    assert!(matches!(r.status, 200 | 401), "{}", r.status);
    r.status == 200
}

/// The browser's trip to the provider and back: the provider's redirects
/// followed until one points at the app; returns that callback's path.
async fn to_provider_and_back(
    srv: &Server,
    idp: &OidcProvider,
    c: &mut Client,
    to: &str,
) -> String {
    let mut loc = to.to_owned();
    for _ in 0..10 {
        let (addr, path) = if loc.starts_with('/') {
            (idp.addr, loc.clone())
        } else {
            split_url(&loc)
        };
        if addr == srv.addr {
            return path;
        }
        assert_eq!(addr, idp.addr, "only the provider and the app: {loc}");
        let r = c.request_to(addr, "GET", &path, None, &[HTML]).await;
        loc = location(&r);
    }
    panic!("the provider kept redirecting");
}

/// Posts the start (`path`), goes through the provider, and returns the
/// app's answer to the callback (never followed further).
async fn oauth_round(srv: &Server, idp: &OidcProvider, c: &mut Client, path: &str) -> Resp {
    let callback = oauth_callback(srv, idp, c, path).await;
    c.get_with(srv, &callback, &[HTML]).await
}

async fn oauth_callback(srv: &Server, idp: &OidcProvider, c: &mut Client, path: &str) -> String {
    let r = c.post(srv, path, json!({})).await;
    let to = location(&r);
    assert!(to.starts_with(&idp.issuer()), "{to}");
    assert!(
        to.contains("code_challenge_method=S256") && to.contains("nonce="),
        "{to}"
    );
    to_provider_and_back(srv, idp, c, &to).await
}

on_every_backend!(oauth_login_with_a_real_openid_provider:
    oauth_login_with_a_real_openid_provider_on_sqlite => Backend::Sqlite,
    oauth_login_with_a_real_openid_provider_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
);

async fn oauth_login_with_a_real_openid_provider(backend: Backend) {
    let Some(idp) = OidcProvider::start().await else {
        return;
    };
    let Some(srv) = start(&idp, &[], backend).await else {
        return;
    };
    register_confirmed(&srv, "jo@example.com").await;

    // The login page offers the provider.
    let mut c = Client::default();
    let page = c.get_with(&srv, "/login", &[HTML]).await;
    let html = String::from_utf8_lossy(&page.body).into_owned();
    assert!(
        html.contains(r#"id="local_form""#)
            && html.contains("/login/oauthstart/local")
            && html.contains(r#"value="Continue with local""#),
        "{html}"
    );
    let verify = c.get(&srv, "/login").await;
    assert_eq!(verify.status, 200);

    // Sign in through the provider, asking for an auth token.
    idp.sign_in_as(&mut c, "jo").await;
    let r = oauth_round(
        &srv,
        &idp,
        &mut c,
        "/login/oauthstart/local?include_auth_token",
    )
    .await;
    let to = location(&r);
    assert_eq!(to, "/?email=jo%40example.com&identity=jo%40example.com");
    assert!(logged_in(&srv, &mut c).await);
    let me = c.get(&srv, "/login?include_auth_token").await.json();
    let token = me["response"]["user"]["authentication_token"]
        .as_str()
        .expect("the token the OAuth login made")
        .to_owned();
    let mut other = Client::default();
    let r = other
        .get_with(&srv, "/api/me", &[("Authentication-Token", &token)])
        .await;
    assert_eq!(r.status, 200, "the token authenticates");
    let again = c.get(&srv, "/login?include_auth_token").await.json();
    assert!(
        again["response"]["user"]
            .get("authentication_token")
            .is_none(),
        "handed over once: {again}"
    );
    // The verify page offers the provider for re-authentication.
    let page = c.get_with(&srv, "/verify", &[HTML]).await;
    let html = String::from_utf8_lossy(&page.body).into_owned();
    assert!(
        html.contains("Use Social Login to Reauthenticate")
            && html.contains("/login/oauth-verify-start/local"),
        "{html}"
    );
    // GET /verify names the provider.
    let v = c.get(&srv, "/verify").await.json();
    assert_eq!(v["response"]["oauth_enabled"], true);
    assert_eq!(v["response"]["oauth_providers"], json!(["local"]));

    // Re-authentication is a signed-in post: without the CSRF header it
    // never reaches the provider.
    let r = c
        .request(
            &srv,
            "POST",
            "/login/oauth-verify-start/local",
            Some(b"{}"),
            &[("Content-Type", "application/json")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        Client::default()
            .post(&srv, "/login/oauth-verify-start/local", json!({}))
            .await
            .status,
        401
    );

    // Re-authentication: the provider must name the signed-in user.
    idp.sign_in_as(&mut c, "stranger").await;
    let r = oauth_round(&srv, &idp, &mut c, "/login/oauth-verify-start/local").await;
    let to = location(&r);
    assert!(
        to.starts_with("/login?error="),
        "no VERIFY_ERROR_VIEW set: {to}"
    );
    assert!(to.contains("stranger%40example.com"), "{to}");
    idp.sign_in_as(&mut c, "jo").await;
    let r = oauth_round(&srv, &idp, &mut c, "/login/oauth-verify-start/local").await;
    assert_eq!(
        location(&r),
        "/?email=jo%40example.com&identity=jo%40example.com"
    );
    assert!(logged_in(&srv, &mut c).await);

    // A provider identity nobody registered is refused, and nobody is
    // logged in.
    let mut anon = Client::default();
    idp.sign_in_as(&mut anon, "stranger").await;
    let r = oauth_round(&srv, &idp, &mut anon, "/login/oauthstart/local").await;
    let to = location(&r);
    assert!(to.starts_with("/login-error?error="), "{to}");
    assert!(to.contains("stranger%40example.com"), "{to}");
    assert!(!logged_in(&srv, &mut anon).await);
    srv.finish().await;
}

on_every_backend!(oauth_login_asks_for_a_due_second_factor:
    oauth_login_asks_for_a_due_second_factor_on_sqlite => Backend::Sqlite,
);

async fn oauth_login_asks_for_a_due_second_factor(backend: Backend) {
    let Some(idp) = OidcProvider::start().await else {
        return;
    };
    let Some(srv) = start(&idp, &[], backend).await else {
        return;
    };
    let mut c = register_confirmed(&srv, "tf@example.com").await;
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "tf@example.com", "password": TEST_PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let r = c.post(&srv, "/tf-setup", json!({"setup": "email"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let state = r.json()["response"]["tf_state_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = mailed_code(&srv, "tf@example.com");
    let r = c
        .post(&srv, &format!("/tf-setup/{state}"), json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());

    let mut b = Client::default();
    idp.sign_in_as(&mut b, "tf").await;
    let r = oauth_round(&srv, &idp, &mut b, "/login/oauthstart/local").await;
    assert_eq!(location(&r), "/tf-validate");
    assert!(
        !logged_in(&srv, &mut b).await,
        "not before the second factor"
    );
    let code = mailed_code(&srv, "tf@example.com");
    let r = b.post(&srv, "/tf-validate", json!({"code": code})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert!(logged_in(&srv, &mut b).await);
    srv.finish().await;
}

on_every_backend!(oauth_refuses_every_wrong_answer:
    oauth_refuses_every_wrong_answer_on_sqlite => Backend::Sqlite,
);

async fn oauth_refuses_every_wrong_answer(backend: Backend) {
    let Some(idp) = OidcProvider::start().await else {
        return;
    };
    let Some(srv) = start(&idp, &[], backend).await else {
        return;
    };
    register_confirmed(&srv, "jo@example.com").await;
    let refused = |r: &Resp| {
        let to = location(r);
        assert!(to.starts_with("/login-error?error="), "{to}");
        to
    };

    // No authorization request in this session: no state to match.
    let mut c = Client::default();
    let r = c
        .get_with(
            &srv,
            "/login/oauthresponse/local?code=abc&state=def",
            &[HTML],
        )
        .await;
    assert!(refused(&r).contains("mismatching_state"));
    assert!(!logged_in(&srv, &mut c).await);

    // A wrong state: refused, and the request is used up.
    idp.sign_in_as(&mut c, "jo").await;
    let callback = oauth_callback(&srv, &idp, &mut c, "/login/oauthstart/local").await;
    let forged = replace_param(&callback, "state", "forged");
    assert!(refused(&c.get_with(&srv, &forged, &[HTML]).await).contains("mismatching_state"));
    assert!(refused(&c.get_with(&srv, &callback, &[HTML]).await).contains("mismatching_state"));
    assert!(!logged_in(&srv, &mut c).await);

    // A replayed code: a new request's state with the old code.
    let used = oauth_callback(&srv, &idp, &mut c, "/login/oauthstart/local").await;
    let r = c.get_with(&srv, &used, &[HTML]).await;
    assert_eq!(
        location(&r),
        "/?email=jo%40example.com&identity=jo%40example.com"
    );
    let mut thief = Client::default();
    let r = thief.post(&srv, "/login/oauthstart/local", json!({})).await;
    let fresh_state = param(&location(&r), "state");
    let replayed = replace_param(&used, "state", &fresh_state);
    let r = thief.get_with(&srv, &replayed, &[HTML]).await;
    assert!(
        refused(&r).contains("invalid_grant"),
        "{:?}",
        r.header("location")
    );
    assert!(!logged_in(&srv, &mut thief).await);

    // The provider says no (the user refused).
    let mut d = Client::default();
    let r = d.post(&srv, "/login/oauthstart/local", json!({})).await;
    let state = param(&location(&r), "state");
    let r = d
        .get_with(
            &srv,
            &format!(
                "/login/oauthresponse/local?error=access_denied&error_description=no&state={state}"
            ),
            &[HTML],
        )
        .await;
    assert!(refused(&r).contains("access_denied"));

    // An unknown provider is a 404, a GET start a 405.
    let r = d.post(&srv, "/login/oauthstart/nope", json!({})).await;
    assert_eq!(r.status, 404);
    assert_eq!(d.get(&srv, "/login/oauthstart/local").await.status, 405);

    // The provider down: the start and a pending answer are error views.
    let r = d.post(&srv, "/login/oauthstart/local", json!({})).await;
    let state = param(&location(&r), "state");
    drop(idp);
    let r = d
        .get_with(
            &srv,
            &format!("/login/oauthresponse/local?code=x&state={state}"),
            &[HTML],
        )
        .await;
    assert!(
        refused(&r).contains("provider_unavailable"),
        "{:?}",
        r.header("location")
    );
    assert!(!logged_in(&srv, &mut d).await);
    srv.finish().await;
}

on_every_backend!(oauth_start_refuses_when_the_provider_is_down:
    oauth_start_refuses_when_the_provider_is_down_on_sqlite => Backend::Sqlite,
);

async fn oauth_start_refuses_when_the_provider_is_down(backend: Backend) {
    let Some(idp) = OidcProvider::start().await else {
        return;
    };
    let Some(srv) = start(&idp, &[], backend).await else {
        return;
    };
    drop(idp);
    let mut c = Client::default();
    let r = c.post(&srv, "/login/oauthstart/local", json!({})).await;
    let to = location(&r);
    assert!(to.starts_with("/login-error?error="), "{to}");
    assert!(to.contains("provider_unavailable"), "{to}");
    srv.finish().await;
}

/// The value of `name` in a URL's query (percent-encoded as sent).
fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .to_owned()
}

fn replace_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.starts_with(&format!("{name}=")) {
                format!("{name}={value}")
            } else {
                kv.to_owned()
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}
