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
    String::from_utf8(r.body.clone()).unwrap()
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
        login.contains(
            r#"<form action="/login?next=/api/me" method="post" name="login_user_form" id="security-form">"#
        ) && login.contains(r#"name="email""#)
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
    // Flask-Security's `want_json`: `*/*` (curl) and no Accept at all are
    // a browser; the best value being application/json is JSON.
    for accept in ["*/*", "", "application/*"] {
        let r =
            b.0.request(&srv, "GET", "/change", None, &[("Accept", accept)])
                .await;
        assert_eq!(
            (r.status, location(&r)),
            (302, "/login?next=/change"),
            "{accept:?}"
        );
    }
    let r =
        b.0.request(
            &srv,
            "GET",
            "/change",
            None,
            &[("Accept", "*/*, application/json;q=0.5")],
        )
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

/// Flask-Security's flashed messages on a page (`<ul class="flashes">`).
fn flashed(page: &str) -> Vec<String> {
    page.split(r#"fs-error-msg">"#)
        .skip(1)
        .filter_map(|rest| rest.split_once("</li>").map(|(m, _)| m.to_owned()))
        .collect()
}

/// Logs in by form; the browser lands on `/`.
async fn log_in(srv: &Server, b: &mut Browser, email: &str) {
    let creds = [("email", email), ("password", PW)];
    assert_eq!(location(&b.fill(srv, "/login", &creds).await), "/");
}

#[tokio::test]
async fn the_home_page_is_the_todo_app_behind_the_login_page() {
    let srv = start_with(&[], None).await;
    let mut b = Browser::default();
    // A stranger is sent to the login page, a JSON client gets the 401.
    let r = b.get(&srv, "/").await;
    assert_eq!((r.status, location(&r)), (302, "/login?next=/"));
    // The login page says why (Flask-Security's default_unauthn_handler
    // flashes it), once.
    let login = page(&b.get(&srv, "/login?next=/").await);
    assert_eq!(flashed(&login), ["You must sign in to view this resource."]);
    assert!(flashed(&page(&b.get(&srv, "/login").await)).is_empty());
    assert_eq!(b.0.get(&srv, "/").await.status, 401);
    // The frontend's files are public.
    let js = b.get(&srv, "/static/todo.js").await;
    assert_eq!(js.status, 200);
    assert!(
        js.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(String::from_utf8_lossy(&js.body).contains("X-XSRF-Token"));
    let css = b.get(&srv, "/static/todo.css").await;
    assert!(css.header("content-type").unwrap().starts_with("text/css"));

    register(&srv, &mut b, "home@example.com").await;
    log_in(&srv, &mut b, "home@example.com").await;
    let home = page(&b.get(&srv, "/").await);
    assert!(
        home.contains(r#"<p id="current-user">Signed in as home@example.com</p>"#)
            && home.contains(r#"<script src="/static/todo.js"></script>"#)
            && home.contains(r#"<form action="/logout" method="post" name="logout_form">"#),
        "{home}"
    );
    // The pages only a stranger fills in send a signed-in browser on
    // (Flask-Security's `_handle_already_auth`), a post as well as a GET…
    for path in ["/login", "/register", "/us-signin"] {
        let r = b.get(&srv, path).await;
        assert_eq!((r.status, location(&r)), (302, "/"), "{path}");
    }
    let csrf = csrf_from(&page(&b.get(&srv, "/change").await));
    let r = b
        .form(
            &srv,
            "/login",
            &[
                ("csrf_token", &csrf),
                ("email", "home@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!((r.status, location(&r)), (302, "/"));
    // …while an SPA still reads its CSRF token from a JSON GET, and a JSON
    // post is refused with Flask-Security's message.
    let r = b.0.get(&srv, "/login").await;
    assert_eq!(r.status, 200);
    assert!(r.json()["response"]["csrf_token"].is_string());
    // Registration is anonymous-only for every method (its decorator).
    let r = b.0.get(&srv, "/register").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["response"]["errors"],
        serde_json::json!(["You can only access this endpoint when not logged in."])
    );
    let r =
        b.0.post(
            &srv,
            "/login",
            serde_json::json!({"email": "home@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 400);
    // The page's script works the list with the XSRF-TOKEN cookie.
    let r =
        b.0.post(&srv, "/api/todos", serde_json::json!({"title": "Buy milk"}))
            .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    // Logging out by the page's form ends on the login page.
    let r = b.form(&srv, "/logout", &[]).await;
    assert_eq!((r.status, location(&r)), (302, "/"));
    let r = b.get(&srv, "/").await;
    assert_eq!((r.status, location(&r)), (302, "/login?next=/"));
    srv.finish().await;
}

#[tokio::test]
async fn the_spa_views_are_pages_with_what_flask_security_sent() {
    let srv = start_with(&[], None).await;
    let mut b = Browser::default();
    b.fill(
        &srv,
        "/register",
        &[
            ("email", "spa@example.com"),
            ("password", PW),
            ("password_confirm", PW),
        ],
    )
    .await;
    let link = srv.outbox.link_to("spa@example.com", "/confirm/").unwrap();
    let r = b.get(&srv, &path_of(&link)).await;
    assert!(location(&r).starts_with("/confirmed?"), "{}", location(&r));
    let done = page(&b.get(&srv, location(&r)).await);
    assert!(
        done.contains("Thank you. Your email has been confirmed."),
        "{done}"
    );
    // What arrives in the query is text, never markup.
    let evil = page(
        &b.get(
            &srv,
            "/confirm-error?error=%3Cscript%3Ealert(1)%3C/script%3E",
        )
        .await,
    );
    assert!(
        evil.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !evil.contains("<script>alert")
    );
    let odd = page(&b.get(&srv, "/reset-password?token=%22%3E%3Cb%3E").await);
    assert!(
        !odd.contains("<form") && odd.contains("not complete"),
        "{odd}"
    );

    // A reset link opens the view's form, which resets the password.
    let mut stranger = Browser::default();
    stranger
        .fill(&srv, "/reset", &[("email", "spa@example.com")])
        .await;
    let link = srv.outbox.link_to("spa@example.com", "/reset/").unwrap();
    let r = stranger.get(&srv, &path_of(&link)).await;
    let view = location(&r).to_owned();
    assert!(view.starts_with("/reset-password?"), "{view}");
    let form = page(&stranger.get(&srv, &view).await);
    let action = form
        .split(r#"action=""#)
        .nth(1)
        .and_then(|a| a.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(action, path_of(&link));
    let new_pw = "Another-Horse-Battery-7";
    let r = stranger
        .form(
            &srv,
            &action,
            &[("password", new_pw), ("password_confirm", new_pw)],
        )
        .await;
    assert_eq!(r.status, 302, "{}", String::from_utf8_lossy(&r.body));
    // The next page says so, once.
    let next = page(&stranger.get(&srv, location(&r)).await);
    assert_eq!(
        flashed(&next),
        ["You successfully reset your password. Please authenticate using your new password."]
    );
    assert!(flashed(&page(&stranger.get(&srv, "/login").await)).is_empty());
    let mut c = Client::default();
    let r = c
        .post(
            &srv,
            "/login",
            serde_json::json!({"email": "spa@example.com", "password": new_pw}),
        )
        .await;
    assert_eq!(r.status, 200, "the new password works");
    srv.finish().await;
}

#[tokio::test]
async fn registering_with_a_second_factor_required_goes_to_its_setup() {
    let srv = start_with(
        &[
            ("SECURITY_TWO_FACTOR_REQUIRED", "true"),
            ("SECURITY_CONFIRMABLE", "false"),
        ],
        None,
    )
    .await;
    let mut b = Browser::default();
    let r = b
        .fill(
            &srv,
            "/register",
            &[
                ("email", "tf@example.com"),
                ("password", PW),
                ("password_confirm", PW),
            ],
        )
        .await;
    assert_eq!((r.status, location(&r)), (302, "/tf-setup"));
    // Not signed in yet: the setup page, not the app.
    let setup = page(&b.get(&srv, "/tf-setup").await);
    assert!(setup.contains(r#"name="two_factor_setup_form""#), "{setup}");
    assert_eq!(b.get(&srv, "/api/me").await.status, 302);
    srv.finish().await;
}

#[tokio::test]
async fn required_fields_are_marked_as_flask_securitys_forms_mark_them() {
    for (password_required, marked) in [("true", "required "), ("false", "")] {
        let srv = start_with(&[("SECURITY_PASSWORD_REQUIRED", password_required)], None).await;
        let register = page(&Browser::default().get(&srv, "/register").await);
        for want in [
            r#"id="email" name="email" required type="email""#.to_owned(),
            format!(r#"id="password" name="password" {marked}type="password""#),
            format!(r#"id="password_confirm" name="password_confirm" {marked}type="password""#),
        ] {
            assert!(register.contains(&want), "{want} in {register}");
        }
        srv.finish().await;
    }
}

/// The register page, and the answer to posting it with an email and a
/// password but no confirmation.
async fn register_without_confirmation(srv: &Server) -> (String, Resp) {
    let mut b = Browser::default();
    let register = page(&b.get(srv, "/register").await);
    let fields = [("email", "leg@example.com"), ("password", PW)];
    (register, b.fill(srv, "/register", &fields).await)
}

/// `SECURITY_USE_REGISTER_V2 = False`: the legacy forms' pages and JSON
/// over TCP. Confirmable: `ConfirmRegisterForm`, no confirmation field at
/// all; not confirmable: `RegisterForm`'s unmarked confirmation, required
/// from a form and not from a JSON client.
#[tokio::test]
async fn legacy_register_forms_over_http() {
    let legacy = ("SECURITY_USE_REGISTER_V2", "false");
    let srv = start_with(&[legacy, ("SECURITY_CONFIRMABLE", "true")], None).await;
    let (register, r) = register_without_confirmation(&srv).await;
    assert!(!register.contains("password_confirm"), "{register}");
    assert!(
        register.contains(r#"id="password" name="password" type="password""#),
        "{register}"
    );
    assert!(
        matches!(r.status, 200 | 302),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(srv.outbox.link_to("leg@example.com", "/confirm/").is_some());
    srv.finish().await;

    // (The example has unified sign-in on, which makes RegisterForm's
    // confirmation optional: off here.)
    let srv = start_with(
        &[
            legacy,
            ("SECURITY_CONFIRMABLE", "false"),
            ("SECURITY_UNIFIED_SIGNIN", "false"),
        ],
        None,
    )
    .await;
    let (register, r) = register_without_confirmation(&srv).await;
    assert!(
        register.contains(r#"id="password_confirm" name="password_confirm" type="password""#),
        "{register}"
    );
    let again = page(&r);
    assert!(again.contains("Password not provided"), "{again}");
    let mut api = Client::default();
    let r = api
        .post(
            &srv,
            "/register",
            serde_json::json!({"email": "leg@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    srv.finish().await;
}

#[tokio::test]
async fn the_sign_in_methods_page_offers_what_can_be_set_up() {
    // Password only: nothing to set up, as Flask-Security's page says.
    let srv = start_with(&[("SECURITY_US_ENABLED_METHODS", r#"["password"]"#)], None).await;
    let mut b = Browser::default();
    register(&srv, &mut b, "pw@example.com").await;
    log_in(&srv, &mut b, "pw@example.com").await;
    let setup = page(&b.get(&srv, "/us-setup").await);
    assert!(
        setup.contains("<h3>No methods have been enabled - nothing to setup</h3>")
            && !setup.contains(r#"name="chosen_method""#),
        "{setup}"
    );
    srv.finish().await;
    // An authenticator: the QR code, with Flask-Security's instruction.
    let srv = start_with(
        &[(
            "SECURITY_US_ENABLED_METHODS",
            r#"["password","authenticator"]"#,
        )],
        None,
    )
    .await;
    let mut b = Browser::default();
    register(&srv, &mut b, "app@example.com").await;
    log_in(&srv, &mut b, "app@example.com").await;
    let setup = page(&b.get(&srv, "/us-setup").await);
    assert!(
        setup.contains("Set up using an authenticator app (e.g. google, lastpass, authy)"),
        "{setup}"
    );
    let chosen = page(
        &b.fill(&srv, "/us-setup", &[("chosen_method", "authenticator")])
            .await,
    );
    assert!(
        chosen.contains("Open an authenticator app on your device and scan the following QRcode")
            && chosen.contains(r#"<img alt="Passwordless QRCode" id="qrcode""#)
            && chosen.contains("data:image/svg+xml;base64,"),
        "{chosen}"
    );
    srv.finish().await;
}

#[tokio::test]
async fn a_code_is_asked_for_set_up_and_used_on_the_unified_sign_in_pages() {
    let srv = start_with(&[], None).await;
    let mut b = Browser::default();
    let email = "uni@example.com";
    register(&srv, &mut b, email).await;
    log_in(&srv, &mut b, email).await;
    // Setting up the email method: the choice, then the mailed code in the
    // form the page adds for it.
    let setup = page(
        &b.fill(&srv, "/us-setup", &[("chosen_method", "email")])
            .await,
    );
    assert!(
        setup.contains(r#"id="chosen_method-0" name="chosen_method" type="radio" value="email">"#)
            && setup.contains(r#"<label for="chosen_method-0">Set up using email</label>"#),
        "{setup}"
    );
    let code_form = setup
        .split(r#"<form action=""#)
        .find(|f| f.contains(r#"name="us_setup_validate_form" id="code-form""#))
        .expect("the code form");
    let action = code_form.split('"').next().unwrap().to_owned();
    assert!(action.starts_with("/us-setup/"), "{action}");
    let r = b
        .form(
            &srv,
            &action,
            &[
                ("csrf_token", &csrf_from(&setup)),
                ("passcode", &mailed_code(&srv, email)),
            ],
        )
        .await;
    assert_eq!((r.status, location(&r)), (302, "/us-setup"));
    let after = page(&b.get(&srv, "/us-setup").await);
    assert_eq!(flashed(&after), ["Unified sign in setup successful"]);
    b.form(&srv, "/logout", &[]).await;

    // Signing in: "Send Code" posts the same form to the send-code URL.
    let signin = page(&b.get(&srv, "/us-signin").await);
    // The passcode is not required, or a browser would refuse to send the
    // form for a code with it empty (Flask-Security's field has no
    // required validator); the identity is.
    assert!(
        signin.contains(r#"formaction="/us-signin/send-code""#)
            && signin.contains(r#"name="us_signin_form""#)
            && signin.contains(r#"id="identity" name="identity" required type="text""#)
            && signin.contains(r#"id="passcode" name="passcode" type="password""#),
        "{signin}"
    );
    let csrf = csrf_from(&signin);
    let sent = b
        .form(
            &srv,
            "/us-signin/send-code",
            &[
                ("csrf_token", &csrf),
                ("identity", email),
                ("chosen_method", "email"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200);
    let sent = page(&sent);
    assert_eq!(flashed(&sent), ["Code has been sent."]);
    assert!(
        sent.contains(&format!(r#"value="{email}""#)),
        "the identity is kept"
    );
    assert!(
        sent.contains(r#"action="/us-signin""#),
        "the sign-in form posts to /us-signin"
    );
    let code = mailed_code(&srv, email);
    // A wrong code: the page again, nobody signed in.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = b
        .form(
            &srv,
            "/us-signin",
            &[
                ("csrf_token", &csrf),
                ("identity", email),
                ("passcode", wrong),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(b.me(&srv).await, 401);
    let r = b
        .form(
            &srv,
            "/us-signin",
            &[
                ("csrf_token", &csrf),
                ("identity", email),
                ("passcode", &code),
            ],
        )
        .await;
    assert_eq!((r.status, location(&r)), (302, "/"));
    assert_eq!(b.me(&srv).await, 200);
    srv.finish().await;
}

#[tokio::test]
async fn every_built_in_page_is_html_to_a_browser() {
    let srv = start_with(&[("SECURITY_USERNAME_RECOVERY", "true")], None).await;
    let mut b = Browser::default();
    let open = [
        "/login",
        "/register",
        "/confirm",
        "/reset",
        "/us-signin",
        "/wan-signin",
    ];
    let signed_in = [
        "/change",
        "/change-email",
        "/verify",
        "/tf-setup",
        "/us-setup",
        "/us-verify",
        "/wan-register",
        "/wan-verify",
        "/mf-recovery-codes",
    ];
    for path in open {
        let r = b.get(&srv, path).await;
        assert_eq!(r.status, 200, "{path}");
        page(&r);
    }
    for path in signed_in {
        let r = b.get(&srv, path).await;
        // /tf-setup also serves a login whose setup is due, so with none in
        // progress it is Flask-Security's tf_illegal_state: the two-factor
        // error view (by default the login page), without `next`.
        if path == "/tf-setup" {
            assert_eq!((r.status, location(&r)), (302, "/login"), "{path}");
            continue;
        }
        assert_eq!(
            (r.status, location(&r)),
            (302, &*format!("/login?next={path}")),
            "{path}"
        );
    }
    register(&srv, &mut b, "pages@example.com").await;
    log_in(&srv, &mut b, "pages@example.com").await;
    for path in signed_in {
        let r = b.get(&srv, path).await;
        assert_eq!(r.status, 200, "{path}");
        let html = page(&r);
        assert!(html.contains(r#"name="csrf_token""#), "{path}: {html}");
    }
    srv.finish().await;
}

#[tokio::test]
async fn pages_messages_and_mail_speak_the_requests_language() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/portcullis-core/tests/fixtures/translations");
    let dir = dir.to_str().unwrap();
    let srv = start_with(&[("SECURITY_I18N_DIRNAME", dir)], None).await;
    let mut b = Browser::default();
    register(&srv, &mut b, "lang@example.com").await;
    let bad = serde_json::json!({"email": "lang@example.com", "password": "wrong-password"});
    let mut c = Client::default();
    for (lang, want) in [
        (None, "Invalid password"),
        (Some("de-DE,de;q=0.9,en;q=0.8"), "Ungültiges Passwort"),
        (Some("ja"), "入力を確認してください"),
        (Some("fr"), "Invalid password"),
    ] {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(l) = lang {
            headers.push(("Accept-Language", l));
        }
        let body = bad.to_string();
        let r = c
            .request(&srv, "POST", "/login", Some(body.as_bytes()), &headers)
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json()["response"]["errors"],
            serde_json::json!([want]),
            "{lang:?}"
        );
    }
    // The app's own routes answer in it too (the guard's 401).
    let r = c
        .request(&srv, "GET", "/api/me", None, &[("Accept-Language", "de")])
        .await;
    assert_eq!(
        r.json()["response"]["errors"],
        serde_json::json!(["Sie müssen sich anmelden, um diese Ressource zu sehen."])
    );
    // Pages: the title and labels are Flask-Security's message ids.
    let login = page(
        &b.0.request(
            &srv,
            "GET",
            "/login",
            None,
            &[("Accept", BROWSER), ("Accept-Language", "de")],
        )
        .await,
    );
    assert!(
        login.contains("<title>Anmelden</title>") && login.contains(">Passwort</label>"),
        "{login}"
    );
    // Mail: the subject and body of the welcome mail.
    let body =
        serde_json::json!({"email": "neu@example.com", "password": PW, "password_confirm": PW})
            .to_string();
    let r = c
        .request(
            &srv,
            "POST",
            "/register",
            Some(body.as_bytes()),
            &[
                ("Content-Type", "application/json"),
                ("Accept-Language", "de"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let (_, mail) = srv.outbox.last_to("neu@example.com").unwrap();
    assert_eq!(mail.subject, "Willkommen");
    assert!(mail.text.unwrap().contains("Willkommen neu@example.com!"));
    srv.finish().await;
}

#[tokio::test]
async fn where_basic_is_allowed_a_browser_gets_the_challenge_not_the_login_page() {
    let srv = start_with(
        &[(
            "SECURITY_API_ENABLED_METHODS",
            r#"["session", "token", "basic"]"#,
        )],
        None,
    )
    .await;
    let mut b = Browser::default();
    let r = b.form(&srv, "/change", &[("password", PW)]).await;
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Basic realm=")),
        "{:?}",
        r.headers
    );
    assert!(String::from_utf8_lossy(&r.body).contains("You must sign in to view this resource."));
    srv.finish().await;
}

#[tokio::test]
async fn without_spa_redirects_a_mailed_links_outcome_is_flashed() {
    // Flask-Security's default redirects, and the example's SPA views
    // pointed back at its own pages.
    let srv = start_with(
        &[
            ("SECURITY_REDIRECT_BEHAVIOR", ""),
            ("SECURITY_POST_CONFIRM_VIEW", "/"),
            ("SECURITY_CONFIRM_ERROR_VIEW", "/confirm"),
        ],
        None,
    )
    .await;
    let mut b = Browser::default();
    b.fill(
        &srv,
        "/register",
        &[
            ("email", "flash@example.com"),
            ("password", PW),
            ("password_confirm", PW),
        ],
    )
    .await;
    // Confirmed: to the post-login view with nothing in the query, the
    // message on the next page.
    let link = srv
        .outbox
        .link_to("flash@example.com", "/confirm/")
        .unwrap();
    let r = b.get(&srv, &path_of(&link)).await;
    assert_eq!((r.status, location(&r)), (302, "/"));
    assert_eq!(
        flashed(&page(&b.get(&srv, "/login").await)),
        ["Thank you. Your email has been confirmed."]
    );
    // A bogus reset link: to the forgot-password page, which says why.
    let mut stranger = Browser::default();
    let r = stranger.get(&srv, "/reset/bogus").await;
    assert_eq!((r.status, location(&r)), (302, "/reset"));
    assert_eq!(
        flashed(&page(&stranger.get(&srv, "/reset").await)),
        ["Invalid reset password token."]
    );
    // A bogus confirmation link: to the confirmation page.
    let r = stranger.get(&srv, "/confirm/bogus").await;
    assert_eq!((r.status, location(&r)), (302, "/confirm"));
    assert_eq!(
        flashed(&page(&stranger.get(&srv, "/confirm").await)),
        ["Invalid confirmation token."]
    );
    srv.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apps_template_folder_overrides_pages_and_mails_by_their_settings_names() {
    // A Flask app's `templates` folder: Flask-Security's own paths, and
    // paths its settings name.
    let dir = std::env::temp_dir().join(format!(
        "todo-templates-{}",
        portcullis_core::store::new_uniquifier()
    ));
    let write = |path: &str, text: &str| {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "security/login_user.html",
        r#"<p id="own-login">Our login page</p><form action="{{ action }}" method="post"><input name="csrf_token" value="{{ csrf_token }}"></form>"#,
    );
    write("custom/forgot.html", "<p>Our forgotten-password page</p>");
    write(
        "security/email/welcome.txt",
        "Hello from our folder, {{ user.email }}",
    );
    write("custom/email/reset.txt", "Our reset link: {{ reset_link }}");
    let folder = dir.display().to_string();
    let srv = start_with(
        &[
            ("TEMPLATE_FOLDER", folder.as_str()),
            ("SECURITY_CONFIRMABLE", "false"),
            ("SECURITY_FORGOT_PASSWORD_TEMPLATE", "custom/forgot.html"),
            (
                "SECURITY_EMAIL_TEMPLATE_PASSWORD_RESET",
                "custom/email/reset",
            ),
        ],
        None,
    )
    .await;
    let mut b = Browser::default();
    assert!(page(&b.get(&srv, "/login").await).contains(r#"<p id="own-login">Our login page</p>"#));
    assert!(page(&b.get(&srv, "/reset").await).contains("Our forgotten-password page"));
    // Pages without an override are the built-in ones.
    assert!(page(&b.get(&srv, "/register").await).contains(r#"name="register_user_form""#));
    let r = Client::default()
        .post(
            &srv,
            "/register",
            serde_json::json!({"email": "own@example.com", "password": PW, "password_confirm": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let (_, welcome) = srv.outbox.last_to("own@example.com").unwrap();
    assert_eq!(
        welcome.text.as_deref(),
        Some("Hello from our folder, own@example.com\n")
    );
    // Its HTML part was not overridden: Flask-Security's.
    assert!(welcome.html.unwrap().contains("own@example.com"));
    let r = Client::default()
        .post(
            &srv,
            "/reset",
            serde_json::json!({"email": "own@example.com"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let (_, reset) = srv.outbox.last_to("own@example.com").unwrap();
    let text = reset.text.unwrap();
    assert!(text.starts_with("Our reset link: http"), "{text}");
    assert!(text.contains("/reset/"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}
