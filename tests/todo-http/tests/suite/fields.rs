//! The application's own user fields over real TCP (issue #18 item 3): a
//! Flask-Security database whose `user` table the app extended with
//! `first_name`/`last_name`; registration with them (JSON and a form
//! post) stores them, the payload hook (`USER_PAYLOAD_FIELDS`) shows them
//! in `response.user` after login, bad values are field errors that store
//! nothing — on every backend, for each adapter.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use crate::on_every_backend;
use common::*;
use serde_json::{Value, json};

const PW: &str = TEST_PW;

const NAMES: &[(&str, &str)] = &[
    ("REGISTER_FIELDS", r#"["first_name", "last_name"]"#),
    (
        "USER_PAYLOAD_FIELDS",
        r#"["email", "first_name", "last_name"]"#,
    ),
];

const COLUMNS: &[(&str, &str)] = &[
    ("first_name", "VARCHAR(255) NULL"),
    ("last_name", "VARCHAR(255) NULL"),
];

/// Confirms `email` from its mail and logs in; `response.user`.
async fn confirm_and_login(srv: &Server, email: &str) -> Value {
    let link = srv.outbox.link_to(email, "/confirm/").expect("a mail");
    let mut c = Client::default();
    assert_eq!(c.get(srv, &path_of(&link)).await.status, 302);
    let r = Client::default()
        .post(srv, "/login", json!({"email": email, "password": PW}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["response"]["user"].clone()
}

async fn form_post(srv: &Server, path: &str, fields: &[(&str, &str)]) -> Resp {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('@', "%40").replace(' ', "+")))
        .collect();
    Client::default()
        .request(
            srv,
            "POST",
            path,
            Some(body.join("&").as_bytes()),
            &[("Content-Type", "application/x-www-form-urlencoded")],
        )
        .await
}

on_every_backend!(registration_keeps_the_applications_fields:
    fields_on_sqlite => Backend::Sqlite,
    fields_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    fields_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    fields_on_mongodb => Backend::Mongo,
);

async fn registration_keeps_the_applications_fields(backend: Backend) {
    let Some(srv) = start_on_extended(backend, NAMES, COLUMNS).await else {
        return;
    };
    // JSON, with a field the app did not declare (ignored, as
    // Flask-Security's form ignores it).
    let r = Client::default()
        .post(
            &srv,
            "/register",
            json!({
                "email": "ada@example.com", "password": PW, "password_confirm": PW,
                "first_name": "Ada", "last_name": "Lovelace", "nickname": "countess",
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        confirm_and_login(&srv, "ada@example.com").await,
        json!({"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    );

    // The browser's register page asks for them.
    let r = Client::default()
        .request(&srv, "GET", "/register", None, &[("Accept", "text/html")])
        .await;
    let html = String::from_utf8_lossy(&r.body);
    for (name, label) in [("first_name", "First Name"), ("last_name", "Last Name")] {
        assert!(
            html.contains(&format!(r#"<label for="{name}">{label}</label>"#))
                && html.contains(&format!(r#"<input id="{name}" name="{name}" type="text""#)),
            "{name}: {html}"
        );
    }

    // A form post; an optional field left blank stays NULL.
    let r = form_post(
        &srv,
        "/register",
        &[
            ("email", "grace@example.com"),
            ("password", PW),
            ("password_confirm", PW),
            ("first_name", "Grace Brewster"),
            ("last_name", ""),
        ],
    )
    .await;
    assert!(matches!(r.status, 200 | 302), "{}", r.status);
    let user = confirm_and_login(&srv, "grace@example.com").await;
    assert_eq!(user["first_name"], "Grace Brewster");
    assert!(user["last_name"].is_null(), "blank is not stored: {user}");

    // Too long: a field error beside the form's own, nothing stored.
    let r = Client::default()
        .post(
            &srv,
            "/register",
            json!({
                "email": "long@example.com", "password": PW, "password_confirm": "other",
                "first_name": "x".repeat(256), "last_name": ["not", "text"],
            }),
        )
        .await;
    assert_eq!(r.status, 400);
    let errors = &r.json()["response"]["field_errors"];
    assert_eq!(
        errors["first_name"],
        json!(["Field cannot be longer than 255 characters."])
    );
    assert_eq!(errors["last_name"], json!(["Not a valid string."]));
    assert!(errors["password_confirm"].is_array(), "{errors}");
    assert!(srv.outbox.last_to("long@example.com").is_none());
    let r = Client::default()
        .post(
            &srv,
            "/register",
            json!({"email": "long@example.com", "password": PW, "password_confirm": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "the address was not taken: {:?}", r.json());
    srv.finish().await;
}

/// A registration field naming a column the `user` table lacks stops the
/// app at start-up, saying which.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_without_a_column_stops_the_app() {
    let dir = std::env::temp_dir().join(format!(
        "todo-http-nocol-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = TempDir(dir.clone());
    let settings = todo::settings(
        None,
        vec![
            (
                "DATABASE_URL".into(),
                format!("sqlite://{}", dir.join("t.db").display()),
            ),
            ("SECRET_KEY".into(), "k".into()),
            ("SECURITY_PASSWORD_SALT".into(), "s".into()),
            ("REGISTER_FIELDS".into(), "first_name".into()),
        ],
    )
    .unwrap();
    let err = todo::parts(&settings, None, None)
        .await
        .err()
        .expect("refused");
    assert!(err.contains("no application field first_name"), "{err}");
}

/// Where the Flask-Security-made database is: `cargo xtask interop`'s
/// fresh one (`PORTCULLIS_FIELDS_FIXTURE_DIR`, made by
/// `xtask/interop/fields_interop.py fs-registers`), or the committed copy.
fn fields_fixture() -> (std::path::PathBuf, bool) {
    match std::env::var_os("PORTCULLIS_FIELDS_FIXTURE_DIR") {
        Some(dir) => (dir.into(), true),
        None => (
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fields"),
            false,
        ),
    }
}

/// A Flask-Security 5.9.2 database whose model added `first_name` and
/// `last_name` (and registered fs@ with them through its own extended
/// form): under Portcullis its user logs in with its names in
/// `response.user`, and a Portcullis registration stores new ones there.
/// In `cargo xtask interop` the database is left for Flask-Security to
/// read back (`fields_interop.py fs-reads`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flask_security_database_keeps_its_applications_fields() {
    let (src, interop) = fields_fixture();
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(src.join("flask_security_fields.json")).unwrap(),
    )
    .unwrap();
    let scratch = std::env::temp_dir().join(format!(
        "todo-http-fsfields-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&scratch).unwrap();
    let _cleanup = TempDir(scratch.clone());
    let name = format!("portcullis-{:?}.sqlite", crate::ADAPTER).to_lowercase();
    let db = if interop {
        src.join(name)
    } else {
        scratch.join(name)
    };
    let _ = std::fs::remove_file(&db);
    std::fs::copy(src.join("flask_security_fields.sqlite"), &db).unwrap();
    let key = meta["secret_key"].as_str().unwrap();
    let salt = meta["password_salt"].as_str().unwrap();
    let mut settings: Vec<(&str, &str)> = NAMES.to_vec();
    settings.extend([
        ("SECRET_KEY", key),
        ("SECURITY_PASSWORD_SALT", salt),
        // As the Flask-Security app: no confirmation step.
        ("SECURITY_CONFIRMABLE", "false"),
    ]);
    let srv = start_with(&settings, Some(format!("sqlite://{}", db.display()))).await;

    let r = Client::default()
        .post(
            &srv,
            "/login",
            json!({"email": "fs@example.com", "password": meta["password"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        r.json()["response"]["user"],
        json!({"email": "fs@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    );

    let r = Client::default()
        .post(
            &srv,
            "/register",
            json!({
                "email": "pc@example.com", "password": PW, "password_confirm": PW,
                "first_name": "Grace", "last_name": "Hopper",
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let want = json!({"email": "pc@example.com", "first_name": "Grace", "last_name": "Hopper"});
    assert_eq!(r.json()["response"]["user"], want);
    let r = Client::default()
        .post(
            &srv,
            "/login",
            json!({"email": "pc@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["user"], want);
}
