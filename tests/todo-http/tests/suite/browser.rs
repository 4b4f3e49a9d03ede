//! A browser over real TCP (HTML `Accept`, forms, cookies): the built-in
//! pages, their CSRF tokens, inline errors, redirects and a second factor
//! set up and used by form — on the todo example, for each adapter.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use portcullis_core::crypto::Totp;

const PW: &str = "Correct-Horse-Battery-9";
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[track_caller]
fn page(r: &Resp) -> String {
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "not a page ({}): {:?}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    // minijinja escapes `/` in attributes as `&#x2f;`.
    String::from_utf8(r.body.clone())
        .unwrap()
        .replace("&#x2f;", "/")
}

/// The form's hidden CSRF token.
fn csrf_from(page: &str) -> String {
    let at = page
        .find(r#"name="csrf_token""#)
        .expect("a csrf_token field");
    let rest = &page[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_owned()
}

/// A browser: HTML first, forms posted url-encoded.
#[derive(Default)]
struct Browser(Client);

impl Browser {
    async fn get(&mut self, srv: &Server, path: &str) -> Resp {
        self.0
            .request(srv, "GET", path, None, &[("Accept", BROWSER)])
            .await
    }

    async fn form(&mut self, srv: &Server, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        self.0
            .request(
                srv,
                "POST",
                path,
                Some(body.join("&").as_bytes()),
                &[
                    ("Accept", BROWSER),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                ],
            )
            .await
    }

    /// GETs `path`'s form and posts `fields` to it with the page's token.
    async fn fill(&mut self, srv: &Server, path: &str, fields: &[(&str, &str)]) -> Resp {
        let csrf = csrf_from(&page(&self.get(srv, path).await));
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        self.form(srv, path, &all).await
    }

    /// The JSON view of who is logged in (the app's own route).
    async fn me(&mut self, srv: &Server) -> u16 {
        self.0.get(srv, "/api/me").await.status
    }
}

fn location(r: &Resp) -> &str {
    r.header("location").unwrap_or_default()
}

/// Registers by form, confirms from the mail; logged out after.
async fn register(srv: &Server, b: &mut Browser, email: &str) {
    let r = b
        .fill(
            srv,
            "/register",
            &[("email", email), ("password", PW), ("password_confirm", PW)],
        )
        .await;
    assert!(
        matches!(r.status, 200 | 302),
        "{}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    let link = srv.outbox.link_to(email, "/confirm/").unwrap();
    let r = b.get(srv, &path_of(&link)).await;
    assert_eq!(r.status, 302);
}

#[tokio::test]
async fn register_log_in_and_out_by_form_with_inline_errors_and_a_safe_next() {
    let srv = start_with(&[], None).await;
    let mut b = Browser::default();
    register(&srv, &mut b, "bea@example.com").await;
    let login = page(&b.get(&srv, "/login?next=/api/me").await);
    assert!(
        login.contains(r#"<form id="security-form" method="post" action="/login">"#)
            && login.contains(r#"name="email""#)
            && login.contains(r#"href="/register""#),
        "{login}"
    );
    // A wrong password: the error under the field, the email kept.
    let r = b
        .fill(
            &srv,
            "/login",
            &[("email", "bea@example.com"), ("password", "wrong-password")],
        )
        .await;
    let again = page(&r);
    assert!(
        again.contains("Invalid password") && again.contains(r#"value="bea@example.com""#),
        "{again}"
    );
    // The right one: to the safe `next`, with a session the app sees.
    let r = b
        .fill(
            &srv,
            "/login",
            &[
                ("email", "bea@example.com"),
                ("password", PW),
                ("next", "/api/me"),
            ],
        )
        .await;
    assert_eq!((r.status, location(&r)), (302, "/api/me"));
    assert_eq!(b.me(&srv).await, 200);
    // A signed-in form without its CSRF token (the example exempts only
    // unauthenticated endpoints): the page again, with Flask-WTF's message,
    // and the password unchanged.
    let new_pw = "Another-Horse-Battery-7";
    let r = b
        .form(
            &srv,
            "/change",
            &[
                ("password", PW),
                ("new_password", new_pw),
                ("new_password_confirm", new_pw),
            ],
        )
        .await;
    assert!(page(&r).contains("The CSRF token is missing."));
    // Logging out by form ends the session.
    let csrf = csrf_from(&page(&b.get(&srv, "/change").await));
    let r = b.form(&srv, "/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 302);
    assert_eq!(b.me(&srv).await, 401);
    // An off-site `next` is never followed: it fails the form, as
    // Flask-Security's NextFormMixin (and the password is unchanged).
    let mut other = Browser::default();
    let r = other
        .fill(
            &srv,
            "/login",
            &[
                ("email", "bea@example.com"),
                ("password", PW),
                ("next", "https://evil.example.net/"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(page(&r).contains("Redirections outside the domain are forbidden"));
    assert_eq!(other.me(&srv).await, 401);
    let r = other
        .fill(
            &srv,
            "/login",
            &[("email", "bea@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(
        (r.status, location(&r)),
        (302, "/"),
        "the password is unchanged"
    );
    srv.finish().await;
}

#[tokio::test]
async fn protected_pages_send_browsers_to_login_and_json_stays_json() {
    let srv = start_with(&[], None).await;
    let mut b = Browser::default();
    let r = b.get(&srv, "/change").await;
    assert_eq!((r.status, location(&r)), (302, "/login?next=/change"));
    // curl's `*/*` gets JSON, as from Flask-Security.
    let r =
        b.0.request(&srv, "GET", "/change", None, &[("Accept", "*/*")])
            .await;
    assert_eq!(r.status, 401);
    assert!(r.json()["response"]["errors"].is_array());
    // The application's own protected routes too (Flask-Security's
    // default_unauthn_handler), with the query kept in `next`.
    let r = b.get(&srv, "/api/me?x=1").await;
    assert_eq!((r.status, location(&r)), (302, "/login?next=/api/me?x%3D1"));
    let r =
        b.0.request(
            &srv,
            "GET",
            "/api/me",
            None,
            &[("Accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, 401);
    // Forgot password by form says where the instructions went.
    register(&srv, &mut b, "cal@example.com").await;
    let r = b
        .fill(&srv, "/reset", &[("email", "cal@example.com")])
        .await;
    assert!(
        page(&r).contains("Instructions to reset your password have been sent to cal@example.com.")
    );
    assert!(srv.outbox.link_to("cal@example.com", "/reset/").is_some());
    srv.finish().await;
}

#[tokio::test]
async fn an_authenticator_is_set_up_and_asked_for_by_form() {
    let srv = start_with(
        &[
            ("SECURITY_TWO_FACTOR", "true"),
            (
                "SECURITY_TWO_FACTOR_ENABLED_METHODS",
                r#"["authenticator"]"#,
            ),
            ("SECURITY_TOTP_SECRETS", TOTP_SECRETS),
            ("SECURITY_TOTP_ISSUER", "todo-browser"),
        ],
        None,
    )
    .await;
    let mut b = Browser::default();
    register(&srv, &mut b, "dee@example.com").await;
    let creds = [("email", "dee@example.com"), ("password", PW)];
    assert_eq!(location(&b.fill(&srv, "/login", &creds).await), "/");
    // Setting up shows the key and its QR code.
    let setup = page(
        &b.fill(&srv, "/tf-setup", &[("setup", "authenticator")])
            .await,
    );
    assert!(
        setup.contains(r#"src="data:image/svg+xml;base64,"#),
        "{setup}"
    );
    let key: String = setup
        .split(['"', '<', '>', ' '])
        .find(|w| w.len() == 39 && w.matches('-').count() == 7)
        .expect("the key on the page")
        .replace('-', "");
    let totp = Totp::from_base32(&key).unwrap();
    let step = now().div_euclid(30);
    let code = totp.code_at(step * 30);
    let r = b
        .form(
            &srv,
            "/tf-validate",
            &[("csrf_token", &csrf_from(&setup)), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, 302, "{}", String::from_utf8_lossy(&r.body));
    let csrf = csrf_from(&page(&b.get(&srv, "/change").await));
    b.form(&srv, "/logout", &[("csrf_token", &csrf)]).await;
    // Logging in again goes to the code page; not signed in before the code.
    let r = b.fill(&srv, "/login", &creds).await;
    assert_eq!(location(&r), "/tf-validate");
    assert_eq!(b.me(&srv).await, 401);
    let ask = page(&b.get(&srv, "/tf-validate").await);
    assert!(ask.contains(r#"name="code""#), "{ask}");
    // The setup's code is spent (codes are single-use): the next step's.
    let spent = b
        .form(
            &srv,
            "/tf-validate",
            &[("csrf_token", &csrf_from(&ask)), ("code", &code)],
        )
        .await;
    assert_ne!(spent.status, 302, "a used code logged in");
    assert_eq!(b.me(&srv).await, 401);
    let next = totp.code_at((step + 1) * 30);
    let r = b
        .form(
            &srv,
            "/tf-validate",
            &[("csrf_token", &csrf_from(&ask)), ("code", &next)],
        )
        .await;
    assert_eq!((r.status, location(&r)), (302, "/"));
    assert_eq!(b.me(&srv).await, 200);
    srv.finish().await;
}

#[tokio::test]
async fn a_browser_without_the_role_goes_to_the_unauthorized_view() {
    let srv = start_with(&[("SECURITY_UNAUTHORIZED_VIEW", "/no-entry")], None).await;
    let mut b = Browser::default();
    register(&srv, &mut b, "plain@example.com").await;
    b.fill(
        &srv,
        "/login",
        &[("email", "plain@example.com"), ("password", PW)],
    )
    .await;
    assert_eq!(b.me(&srv).await, 200, "signed in");
    let r = b.get(&srv, "/api/admin").await;
    assert_eq!((r.status, location(&r)), (302, "/no-entry"));
    let r =
        b.0.request(
            &srv,
            "GET",
            "/api/admin",
            None,
            &[("Accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, 403);
    srv.finish().await;
}
