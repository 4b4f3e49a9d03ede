//! `SECURITY_USER_IDENTITY_ATTRIBUTES` with `mapper`: Flask-Security's
//! `uia_*_mapper`s by name, an application's own registered with
//! `SecurityBuilder::identity_mapper`, and a clear error for a mapper
//! nobody registered.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use portcullis_core::config::{IdentityAttr, IdentityMapper};
use portcullis_core::{ConfigLoader, NewUser, SecretString, Security, UserStore};
use portcullis_mail::MemoryOutbox;
use portcullis_memory::MemoryStore;

fn config(attrs: &str) -> portcullis_core::SecurityConfig {
    ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "k".repeat(32).as_str()),
            ("SECURITY_PASSWORD_SALT", "salt"),
            ("SECURITY_USERNAME_ENABLE", "true"),
            ("SECURITY_USER_IDENTITY_ATTRIBUTES", attrs),
        ])
        .build()
        .unwrap()
        .0
}

async fn with_users(security: &Security, store: &MemoryStore) {
    let _ = security;
    store
        .create_user(NewUser {
            username: Some("ada".into()),
            ..NewUser::new("ada@example.com", Some(SecretString::new("x")))
        })
        .await
        .unwrap();
}

#[test]
fn flask_securitys_mappers_by_name() {
    let c = config(
        r#"[{"email": {"mapper": "flask_security.utils.uia_email_mapper", "case_insensitive": true}},
            {"username": {"mapper": "uia_username_mapper"}},
            {"us_phone_number": {"mapper": "flask_security.uia_phone_mapper"}},
            "email"]"#,
    );
    let mappers: Vec<(IdentityAttr, IdentityMapper)> = c
        .user_identity_attributes
        .iter()
        .map(|a| (a.attr, a.mapper.clone()))
        .collect();
    assert_eq!(
        mappers,
        [
            (IdentityAttr::Email, IdentityMapper::Email),
            (IdentityAttr::Username, IdentityMapper::Username),
            (IdentityAttr::UsPhoneNumber, IdentityMapper::Phone),
            (IdentityAttr::Email, IdentityMapper::Email),
        ]
    );
    let e = ConfigLoader::new()
        .set("SECRET_KEY", "k".repeat(32))
        .set("SECURITY_PASSWORD_SALT", "s")
        .set(
            "SECURITY_USER_IDENTITY_ATTRIBUTES",
            serde_json::json!([{"email": {"mapper": 5}}]),
        )
        .build()
        .unwrap_err();
    assert!(e.concerns("SECURITY_USER_IDENTITY_ATTRIBUTES"), "{e}");
}

#[tokio::test]
async fn an_applications_mapper_decides_the_lookup() {
    // Staff type "staff-ada"; the mapper turns it into the email it stands for.
    let c = config(
        r#"[{"email": {"mapper": "myapp.mappers.staff_id", "case_insensitive": true}},
            {"username": {"mapper": "uia_username_mapper"}}]"#,
    );
    let store = Arc::new(MemoryStore::new());
    let security = Security::builder(c)
        .store(store.clone())
        .mailer(Arc::new(MemoryOutbox::new()))
        .identity_mapper("myapp.mappers.staff_id", |typed: &str| {
            typed
                .strip_prefix("staff-")
                .map(|name| format!("{name}@example.com"))
        })
        .build()
        .unwrap();
    with_users(&security, &store).await;
    let found = security.lookup_identity("staff-ada").await.unwrap();
    assert_eq!(found.map(|u| u.email).as_deref(), Some("ada@example.com"));
    // Not the mapper's: the next attribute (username) decides.
    let found = security.lookup_identity("ada").await.unwrap();
    assert_eq!(found.map(|u| u.email).as_deref(), Some("ada@example.com"));
    // The mapper took it and found no one: no fall-through.
    assert!(
        security
            .lookup_identity("staff-nobody")
            .await
            .unwrap()
            .is_none()
    );
    // The email itself is not a staff id, and not a username.
    assert!(
        security
            .lookup_identity("ada@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_mapper_nobody_registered_stops_the_build() {
    let c = config(r#"[{"email": {"mapper": "myapp.mappers.missing"}}]"#);
    let err = Security::builder(c)
        .store(Arc::new(MemoryStore::new()))
        .mailer(Arc::new(MemoryOutbox::new()))
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("\"myapp.mappers.missing\""),
        "{err}"
    );
    assert!(err.to_string().contains("identity_mapper"), "{err}");
}
