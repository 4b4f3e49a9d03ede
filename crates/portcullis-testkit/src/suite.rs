//! The behaviours. Each takes a fresh, empty store and panics (fails the
//! test) when the store breaks the contract.
// A failed expectation is this module's way of reporting a broken contract.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use portcullis_core::config::IdentityAttr;
use portcullis_core::{
    AppFields, Datastore, ErrorKind, FieldType, NewRole, NewUser, NewWebAuthn, SecretString, User,
    UserFilter, UserPatch,
};

type Store = Arc<dyn Datastore>;

macro_rules! assert_kind {
    ($result:expr, $kind:ident) => {
        match $result {
            Ok(v) => panic!("expected {:?}, got Ok({:?})", ErrorKind::$kind, v),
            Err(e) => assert_eq!(e.kind(), ErrorKind::$kind, "unexpected error: {e}"),
        }
    };
}

async fn make(store: &Store, email: &str) -> User {
    store
        .create_user(NewUser::new(
            email,
            Some(SecretString::new(
                "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
            )),
        ))
        .await
        .expect("create_user")
}

async fn role(store: &Store, name: &str, perms: &[&str]) {
    store
        .create_role(NewRole {
            name: name.into(),
            description: Some(format!("{name} role")),
            permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
        })
        .await
        .expect("create_role");
}

fn at(secs: i64, micros: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, micros * 1000)
        .single()
        .expect("valid time")
}

fn credential(id: &[u8], name: &str) -> NewWebAuthn {
    NewWebAuthn {
        credential_id: id.to_vec(),
        public_key: vec![0xa5, 0x01, 0x02, 0x03, 0x26],
        name: name.into(),
        sign_count: 0,
        usage: "secondary".into(),
        device_type: "single_device".into(),
        backup_state: false,
        transports: vec!["usb".into(), "nfc".into()],
        extensions: Some(r#"{"credProps":{"rk":true}}"#.into()),
    }
}

// ---------------------------------------------------------------- creation

/// Every field given at creation comes back as given.
pub async fn create_user_stores_every_field(store: Store) {
    let confirmed = at(1_700_000_000, 123_456);
    let u = store
        .create_user(NewUser {
            email: "Alice@Example.com".into(),
            username: Some("alice".into()),
            password: Some(SecretString::new(
                "$2b$12$abcdefghijklmnopqrstuuRD.IeFyYFdkaEyjmXqjA9coaHsJn0pq",
            )),
            active: false,
            confirmed_at: Some(confirmed),
            us_phone_number: Some("+16505551212".into()),
            ..NewUser::default()
        })
        .await
        .unwrap();
    assert!(u.id > 0);
    assert_eq!(
        u.email, "Alice@Example.com",
        "emails are stored as given, not lower-cased"
    );
    assert_eq!(u.username.as_deref(), Some("alice"));
    assert_eq!(
        u.password.as_ref().map(SecretString::expose),
        Some("$2b$12$abcdefghijklmnopqrstuuRD.IeFyYFdkaEyjmXqjA9coaHsJn0pq")
    );
    assert!(!u.active);
    assert_eq!(u.confirmed_at, Some(confirmed));
    assert_eq!(u.us_phone_number.as_deref(), Some("+16505551212"));
    assert_eq!(u.login_count, None);
    assert!(u.roles.is_empty());
    assert!(u.tf_totp_secret.is_none() && u.mf_recovery_codes.is_none());
    let again = store.find_user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(again, u, "what create_user returns is what is stored");
}

/// Uniquifiers are generated, distinct, and within 64 characters.
pub async fn create_user_generates_uniquifiers(store: Store) {
    let a = make(&store, "a@example.com").await;
    let b = make(&store, "b@example.com").await;
    assert!(!a.fs_uniquifier.is_empty() && a.fs_uniquifier.len() <= 64);
    assert_ne!(a.fs_uniquifier, b.fs_uniquifier);
    if store.capabilities().token_uniquifier {
        let (ta, tb) = (
            a.fs_token_uniquifier.clone().unwrap(),
            b.fs_token_uniquifier.clone().unwrap(),
        );
        assert_ne!(ta, tb);
        assert_ne!(ta, a.fs_uniquifier);
    }
    assert!(a.fs_webauthn_user_handle.is_some());
    assert_ne!(a.fs_webauthn_user_handle, b.fs_webauthn_user_handle);
}

/// Given uniquifiers are kept.
pub async fn create_user_honours_given_uniquifiers(store: Store) {
    let u = store
        .create_user(NewUser {
            fs_uniquifier: Some("7e2080ee32ee46d3bf999354a24dc707".into()),
            fs_webauthn_user_handle: Some("handle-1".into()),
            ..NewUser::new("u@example.com", None)
        })
        .await
        .unwrap();
    assert_eq!(u.fs_uniquifier, "7e2080ee32ee46d3bf999354a24dc707");
    assert_eq!(u.fs_webauthn_user_handle.as_deref(), Some("handle-1"));
    assert!(u.password.is_none());
    assert!(u.active);
}

/// Roles named at creation are linked, with their permissions.
pub async fn create_user_with_roles_loads_permissions(store: Store) {
    role(&store, "admin", &["admin-read", "admin-write"]).await;
    role(&store, "user", &["user-read"]).await;
    let u = store
        .create_user(NewUser {
            roles: vec!["admin".into(), "user".into()],
            ..NewUser::new("c@example.com", None)
        })
        .await
        .unwrap();
    let names: BTreeSet<&str> = u.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["admin", "user"]));
    assert!(u.has_permission("admin-write") && u.has_permission("user-read"));
    let found = store
        .find_user_by_email("c@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.permissions(),
        ["admin-read", "admin-write", "user-read"]
    );
}

/// An unknown role fails the whole creation.
pub async fn create_user_with_unknown_role_is_not_found_and_writes_nothing(store: Store) {
    role(&store, "user", &[]).await;
    assert_kind!(
        store
            .create_user(NewUser {
                roles: vec!["user".into(), "ghost".into()],
                ..NewUser::new("d@example.com", None)
            })
            .await,
        NotFound
    );
    assert!(
        store
            .find_user_by_email("d@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

/// Emails are unique.
pub async fn duplicate_email_is_already_exists(store: Store) {
    make(&store, "e@example.com").await;
    assert_kind!(
        store.create_user(NewUser::new("e@example.com", None)).await,
        AlreadyExists
    );
}

/// Emails are unique regardless of case.
pub async fn duplicate_email_in_other_case_is_already_exists(store: Store) {
    make(&store, "Mixed.Case@Example.com").await;
    assert_kind!(
        store
            .create_user(NewUser::new("mixed.case@example.COM", None))
            .await,
        AlreadyExists
    );
    assert_kind!(
        store
            .create_user(NewUser::new("MIXED.CASE@EXAMPLE.COM", None))
            .await,
        AlreadyExists
    );
}

/// Case folding covers non-ASCII letters too.
pub async fn duplicate_non_ascii_email_in_other_case_is_already_exists(store: Store) {
    let u = make(&store, "jörg.åström@bücher.de").await;
    assert_eq!(u.email, "jörg.åström@bücher.de");
    assert_kind!(
        store
            .create_user(NewUser::new("JÖRG.ÅSTRÖM@BÜCHER.DE", None))
            .await,
        AlreadyExists
    );
    let found = store
        .find_user_by_email("Jörg.Åström@Bücher.de")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, u.id);
}

/// Usernames are unique.
pub async fn duplicate_username_is_already_exists(store: Store) {
    store
        .create_user(NewUser {
            username: Some("bob".into()),
            ..NewUser::new("b1@example.com", None)
        })
        .await
        .unwrap();
    assert_kind!(
        store
            .create_user(NewUser {
                username: Some("bob".into()),
                ..NewUser::new("b2@example.com", None)
            })
            .await,
        AlreadyExists
    );
    // Users without a username do not collide.
    make(&store, "b3@example.com").await;
    make(&store, "b4@example.com").await;
}

/// `fs_uniquifier` is unique.
pub async fn duplicate_uniquifier_is_already_exists(store: Store) {
    store
        .create_user(NewUser {
            fs_uniquifier: Some("same".into()),
            ..NewUser::new("u1@example.com", None)
        })
        .await
        .unwrap();
    assert_kind!(
        store
            .create_user(NewUser {
                fs_uniquifier: Some("same".into()),
                ..NewUser::new("u2@example.com", None)
            })
            .await,
        AlreadyExists
    );
}

/// `us_phone_number` is unique.
pub async fn duplicate_phone_is_already_exists(store: Store) {
    store
        .create_user(NewUser {
            us_phone_number: Some("+15551234567".into()),
            ..NewUser::new("p1@example.com", None)
        })
        .await
        .unwrap();
    assert_kind!(
        store
            .create_user(NewUser {
                us_phone_number: Some("+15551234567".into()),
                ..NewUser::new("p2@example.com", None)
            })
            .await,
        AlreadyExists
    );
}

/// 50 simultaneous creations of one email: one user, 49 `AlreadyExists`.
pub async fn concurrent_creations_of_one_email_make_one_user(store: Store) {
    let mut tasks = Vec::new();
    for i in 0..50 {
        let store = store.clone();
        // Vary the case too: uniqueness is case-insensitive.
        let email = if i % 2 == 0 {
            "race@example.com".to_owned()
        } else {
            "RACE@example.com".to_owned()
        };
        tasks.push(tokio::spawn(async move {
            store.create_user(NewUser::new(email, None)).await
        }));
    }
    let (mut ok, mut exists) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => exists += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!((ok, exists), (1, 49));
    let all = store.list_users(&UserFilter::default()).await.unwrap();
    assert_eq!(all.len(), 1);
}

// ---------------------------------------------------------------- lookups

/// Every lookup finds the user.
pub async fn find_user_by_every_key(store: Store) {
    let u = store
        .create_user(NewUser {
            username: Some("Frank".into()),
            us_phone_number: Some("+15550001111".into()),
            ..NewUser::new("frank@example.com", None)
        })
        .await
        .unwrap();
    let id = u.id;
    let check = |found: Option<User>| assert_eq!(found.map(|f| f.id), Some(id));
    check(store.find_user_by_id(id).await.unwrap());
    check(
        store
            .find_user_by_uniquifier(&u.fs_uniquifier)
            .await
            .unwrap(),
    );
    check(store.find_user_by_email("FRANK@example.com").await.unwrap());
    check(store.find_user_by_username("Frank", false).await.unwrap());
    check(store.find_user_by_username("frank", true).await.unwrap());
    assert!(
        store
            .find_user_by_username("frank", false)
            .await
            .unwrap()
            .is_none(),
        "case-sensitive unless asked"
    );
    check(store.find_user_by_phone("+15550001111").await.unwrap());
    check(
        store
            .find_user_by_webauthn_handle(u.fs_webauthn_user_handle.as_deref().unwrap())
            .await
            .unwrap(),
    );
    check(
        store
            .find_user_by_token_uniquifier(u.token_uniquifier())
            .await
            .unwrap(),
    );
}

/// Auth tokens name `fs_token_uniquifier`, or `fs_uniquifier` for old tokens.
pub async fn find_user_by_token_uniquifier_falls_back_to_uniquifier(store: Store) {
    let u = make(&store, "tok@example.com").await;
    assert_eq!(
        store
            .find_user_by_token_uniquifier(&u.fs_uniquifier)
            .await
            .unwrap()
            .map(|f| f.id),
        Some(u.id)
    );
    if let Some(t) = &u.fs_token_uniquifier {
        assert_eq!(
            store
                .find_user_by_token_uniquifier(t)
                .await
                .unwrap()
                .map(|f| f.id),
            Some(u.id)
        );
    }
    assert!(
        store
            .find_user_by_token_uniquifier("nobody")
            .await
            .unwrap()
            .is_none()
    );
}

/// Identity-attribute lookup dispatches to the right key.
pub async fn find_user_by_identity_dispatches(store: Store) {
    let u = store
        .create_user(NewUser {
            username: Some("gina".into()),
            ..NewUser::new("gina@example.com", None)
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .find_user_by_identity(IdentityAttr::Email, "GINA@example.com", true)
            .await
            .unwrap()
            .map(|f| f.id),
        Some(u.id)
    );
    assert_eq!(
        store
            .find_user_by_identity(IdentityAttr::Username, "GINA", true)
            .await
            .unwrap()
            .map(|f| f.id),
        Some(u.id)
    );
    assert!(
        store
            .find_user_by_identity(IdentityAttr::UsPhoneNumber, "+1555", false)
            .await
            .unwrap()
            .is_none()
    );
}

/// Missing users are `None`, not errors.
pub async fn lookups_of_missing_users_are_none(store: Store) {
    assert!(store.find_user_by_id(424_242).await.unwrap().is_none());
    assert!(store.find_user_by_uniquifier("x").await.unwrap().is_none());
    assert!(
        store
            .find_user_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_user_by_username("nobody", true)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_user_by_phone("+10000000000")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_user_by_webauthn_handle("x")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.find_role("nobody").await.unwrap().is_none());
    assert!(store.find_webauthn(b"nothing").await.unwrap().is_none());
    // Odd input is just not found.
    assert!(
        store
            .find_user_by_email("' OR 1=1 --")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.find_user_by_email("%").await.unwrap().is_none());
}

// ---------------------------------------------------------------- sizes

/// Values exactly at their column size are stored exactly.
pub async fn values_at_column_size_are_stored_exactly(store: Store) {
    let email = format!("{}@{}.com", "l".repeat(64), "d".repeat(186));
    assert_eq!(email.chars().count(), 255);
    let username = "ü".repeat(255);
    let u = store
        .create_user(NewUser {
            username: Some(username.clone()),
            fs_uniquifier: Some("q".repeat(64)),
            ..NewUser::new(email.clone(), None)
        })
        .await
        .unwrap();
    let f = store.find_user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(f.email, email);
    assert_eq!(f.username.as_deref(), Some(username.as_str()));
    assert_eq!(f.fs_uniquifier, "q".repeat(64));
    let r = store
        .create_role(NewRole::new("r".repeat(80)))
        .await
        .unwrap();
    assert_eq!(r.name.len(), 80);
}

/// Longer values are refused before anything is written.
pub async fn over_long_values_are_refused_and_nothing_is_written(store: Store) {
    let long_email = format!("{}@example.com", "x".repeat(244));
    assert_kind!(
        store
            .create_user(NewUser::new(long_email.clone(), None))
            .await,
        InvalidInput
    );
    assert!(
        store
            .find_user_by_email(&long_email)
            .await
            .unwrap()
            .is_none()
    );
    assert_kind!(
        store
            .create_user(NewUser {
                username: Some("u".repeat(256)),
                ..NewUser::new("ok1@example.com", None)
            })
            .await,
        InvalidInput
    );
    assert_kind!(
        store
            .create_user(NewUser {
                fs_uniquifier: Some("u".repeat(65)),
                ..NewUser::new("ok2@example.com", None)
            })
            .await,
        InvalidInput
    );
    assert_kind!(
        store
            .create_user(NewUser {
                us_phone_number: Some("1".repeat(129)),
                ..NewUser::new("ok3@example.com", None)
            })
            .await,
        InvalidInput
    );
    assert!(
        store
            .list_users(&UserFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_kind!(
        store.create_role(NewRole::new("r".repeat(81))).await,
        InvalidInput
    );
    let u = make(&store, "ok@example.com").await;
    assert_kind!(
        store
            .update_user(
                u.id,
                UserPatch {
                    current_login_ip: Some(Some("9".repeat(65))),
                    ..UserPatch::default()
                }
            )
            .await,
        InvalidInput
    );
    assert_eq!(store.find_user_by_id(u.id).await.unwrap().unwrap(), u);
}

/// Empty emails, role names and credential names are refused.
pub async fn empty_required_values_are_refused(store: Store) {
    assert_kind!(
        store.create_user(NewUser::new("", None)).await,
        InvalidInput
    );
    assert_kind!(store.create_role(NewRole::new("  ")).await, InvalidInput);
    assert_kind!(
        store
            .create_role(NewRole {
                name: "r".into(),
                permissions: vec!["a,b".into()],
                description: None
            })
            .await,
        InvalidInput
    );
}

// ---------------------------------------------------------------- updates

/// A patch changes its fields and nothing else.
pub async fn update_user_changes_only_patched_fields(store: Store) {
    let u = make(&store, "patch@example.com").await;
    let p = store
        .update_user(
            u.id,
            UserPatch {
                username: Some(Some("patched".into())),
                tf_primary_method: Some(Some("authenticator".into())),
                active: Some(false),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(p.username.as_deref(), Some("patched"));
    assert_eq!(p.tf_primary_method.as_deref(), Some("authenticator"));
    assert!(!p.active);
    assert_eq!(p.email, u.email);
    assert_eq!(p.password, u.password);
    assert_eq!(p.fs_uniquifier, u.fs_uniquifier);
    assert!(p.update_datetime >= u.update_datetime);
    assert_eq!(store.find_user_by_id(u.id).await.unwrap().unwrap(), p);
}

// ------------------------------------------------------ application fields

fn obj(v: serde_json::Value) -> portcullis_core::UserFields {
    v.as_object().cloned().expect("a JSON object")
}

/// The store's application fields are those of [`crate::app_fields`]
/// (SQL), any (schemaless), or none (a store that keeps none: `None`).
fn app_kinds(store: &Store) -> Option<AppFields> {
    let kinds = store.application_fields();
    match &kinds {
        AppFields::Columns(c) if c.is_empty() => return None,
        AppFields::Columns(c) => {
            let want = [
                ("first_name", FieldType::Text, true, false),
                ("last_name", FieldType::Text, true, false),
                ("age", FieldType::Integer, true, false),
                ("vip", FieldType::Boolean, false, true),
                ("score", FieldType::Real, true, false),
                ("joined_on", FieldType::Text, true, false),
            ];
            let got: Vec<_> = c
                .iter()
                .map(|f| (f.name.as_str(), f.ty, f.nullable, f.has_default))
                .collect();
            assert_eq!(
                got, want,
                "the harness must add portcullis_testkit::app_fields's columns"
            );
        }
        AppFields::Any => {}
    }
    Some(kinds)
}

/// Application fields are written on creation, read by every lookup,
/// patched one by one, cleared, and kept by every other write.
pub async fn application_fields_round_trip(store: Store) {
    let Some(kinds) = app_kinds(&store) else {
        return;
    };
    let sql = matches!(kinds, AppFields::Columns(_));
    let given = obj(serde_json::json!({
        "first_name": "Ada", "last_name": "Lovelace", "age": 36,
        "score": 1.5, "joined_on": "2020-01-02",
    }));
    let u = store
        .create_user(NewUser {
            fields: given.clone(),
            ..NewUser::new("fields@example.com", None)
        })
        .await
        .unwrap();
    let mut want = given;
    if sql {
        // The column's default fills what the insert left out.
        want.insert("vip".into(), false.into());
    }
    assert_eq!(u.fields, want);
    let by = [
        store.find_user_by_id(u.id).await.unwrap(),
        store
            .find_user_by_email("FIELDS@example.com")
            .await
            .unwrap(),
        store
            .find_user_by_uniquifier(&u.fs_uniquifier)
            .await
            .unwrap(),
        store
            .find_user_by_token_uniquifier(u.token_uniquifier())
            .await
            .unwrap(),
    ];
    for found in by {
        assert_eq!(found.expect("found").fields, want);
    }
    let listed = store.list_users(&UserFilter::default()).await.unwrap();
    assert_eq!(listed[0].fields, want);

    let p = store
        .update_user(
            u.id,
            UserPatch {
                fields: obj(serde_json::json!({"age": 37, "vip": true})),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    want.insert("age".into(), 37.into());
    want.insert("vip".into(), true.into());
    assert_eq!(p.fields, want);
    assert!(p.update_datetime >= u.update_datetime);
    let p = store
        .update_user(
            u.id,
            UserPatch {
                fields: obj(serde_json::json!({"last_name": null})),
                username: Some(Some("ada".into())),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    want.insert("last_name".into(), serde_json::Value::Null);
    assert_eq!(p.fields, want);
    assert_eq!(p.username.as_deref(), Some("ada"));

    // Writes of Flask-Security's columns keep the application's.
    store
        .update_user(
            u.id,
            UserPatch {
                email: Some("fields2@example.com".into()),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    store
        .record_login(u.id, Some("10.0.0.9"), at(5, 0))
        .await
        .unwrap();
    store.set_active(u.id, false).await.unwrap();
    store.rotate_uniquifier(u.id).await.unwrap();
    let after = store.reset_user_access(u.id).await.unwrap();
    assert_eq!(after.fields, want);
    assert_eq!(
        store.find_user_by_id(u.id).await.unwrap().unwrap().fields,
        want
    );

    // Another user has its own (the defaults, when created without).
    let other = make(&store, "plain@example.com").await;
    let plain = if sql {
        obj(serde_json::json!({
            "first_name": null, "last_name": null, "age": null,
            "vip": false, "score": null, "joined_on": null,
        }))
    } else {
        portcullis_core::UserFields::new()
    };
    assert_eq!(other.fields, plain);
    assert_eq!(
        store.find_user_by_id(u.id).await.unwrap().unwrap().fields,
        want
    );
}

/// Names that are not the store's, Flask-Security's own columns, values
/// that are not scalars or do not fit their column: refused with
/// `InvalidInput`, and nothing is written.
pub async fn application_fields_refuse_bad_writes(store: Store) {
    let kinds = app_kinds(&store);
    let u = make(&store, "badfields@example.com").await;
    let before = store.find_user_by_id(u.id).await.unwrap().unwrap();
    let mut bad = vec![
        serde_json::json!({"email": "x@example.com"}),
        serde_json::json!({"fs_uniquifier": "x"}),
        serde_json::json!({"a.b": 1}),
        serde_json::json!({"$set": 1}),
        serde_json::json!({"first_name": ["Ada"]}),
        serde_json::json!({"first_name": {"a": 1}}),
        serde_json::json!({"first_name": "x".repeat(65_536)}),
    ];
    match &kinds {
        None => bad.push(serde_json::json!({"first_name": "Ada"})),
        Some(AppFields::Columns(_)) => bad.extend([
            serde_json::json!({"nickname": "x"}),
            serde_json::json!({"age": "36"}),
            serde_json::json!({"age": 1.5}),
            serde_json::json!({"first_name": 7}),
            serde_json::json!({"vip": null}),
            serde_json::json!({"vip": "yes"}),
        ]),
        Some(AppFields::Any) => {}
    }
    for (i, fields) in bad.into_iter().enumerate() {
        let fields = obj(fields);
        let email = format!("bad{i}@example.com");
        assert_kind!(
            store
                .create_user(NewUser {
                    fields: fields.clone(),
                    ..NewUser::new(email.as_str(), None)
                })
                .await,
            InvalidInput
        );
        assert!(store.find_user_by_email(&email).await.unwrap().is_none());
        assert_kind!(
            store
                .update_user(
                    u.id,
                    UserPatch {
                        fields,
                        username: Some(Some("changed".into())),
                        ..UserPatch::default()
                    },
                )
                .await,
            InvalidInput
        );
        assert_eq!(store.find_user_by_id(u.id).await.unwrap().unwrap(), before);
    }
}

/// `Some(None)` clears a nullable field.
pub async fn update_user_clears_nullable_fields(store: Store) {
    let u = store
        .create_user(NewUser {
            username: Some("clearme".into()),
            confirmed_at: Some(at(1, 0)),
            ..NewUser::new("clear@example.com", None)
        })
        .await
        .unwrap();
    let p = store
        .update_user(
            u.id,
            UserPatch {
                username: Some(None),
                confirmed_at: Some(None),
                password: Some(None),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(p.username.is_none() && p.confirmed_at.is_none() && p.password.is_none());
    // The username is free again.
    store
        .create_user(NewUser {
            username: Some("clearme".into()),
            ..NewUser::new("clear2@example.com", None)
        })
        .await
        .unwrap();
}

/// Updating a user that does not exist is `NotFound`.
pub async fn update_user_of_missing_user_is_not_found(store: Store) {
    assert_kind!(
        store
            .update_user(
                999_999,
                UserPatch {
                    active: Some(false),
                    ..UserPatch::default()
                }
            )
            .await,
        NotFound
    );
    assert_kind!(store.set_active(999_999, false).await, NotFound);
    assert_kind!(store.rotate_uniquifier(999_999).await, NotFound);
    assert_kind!(store.record_login(999_999, None, at(1, 0)).await, NotFound);
    assert_kind!(store.reset_user_access(999_999).await, NotFound);
    assert_kind!(store.take_recovery_code(999_999, "x").await, NotFound);
}

/// Changing an email to one taken (in any case) is `AlreadyExists`, and changes nothing.
pub async fn update_user_to_taken_email_is_already_exists(store: Store) {
    make(&store, "taken@example.com").await;
    let u = make(&store, "mine@example.com").await;
    assert_kind!(
        store
            .update_user(
                u.id,
                UserPatch {
                    email: Some("TAKEN@example.com".into()),
                    username: Some(Some("x1".into())),
                    ..UserPatch::default()
                }
            )
            .await,
        AlreadyExists
    );
    assert_eq!(store.find_user_by_id(u.id).await.unwrap().unwrap(), u);
    // Changing the case of one's own email is fine.
    let p = store
        .update_user(
            u.id,
            UserPatch {
                email: Some("Mine@example.com".into()),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(p.email, "Mine@example.com");
}

/// An empty patch returns the user unchanged.
pub async fn update_user_empty_patch_changes_nothing(store: Store) {
    let u = make(&store, "empty@example.com").await;
    assert_eq!(
        store.update_user(u.id, UserPatch::default()).await.unwrap(),
        u
    );
}

/// Secret fields round-trip exactly.
pub async fn secrets_round_trip(store: Store) {
    let u = make(&store, "s@example.com").await;
    let totp = r#"{"enckey":{"c":14,"k":"7VLQTHF2AX3W6N3DTDL7AY7IBC4LWJDN","s":"ZHM5XG2TFIC4AGADIBEA","t":"1","v":1},"type":"totp","v":1}"#;
    let us = format!(
        r#"{{"email": "{}", "authenticator": "{}"}}"#,
        totp.replace('"', "\\\""),
        totp.replace('"', "\\\"")
    );
    let codes = vec![
        SecretString::new("aaaa-bbbb-cccc"),
        SecretString::new("1111-2222-3333"),
    ];
    let p = store
        .update_user(
            u.id,
            UserPatch {
                tf_totp_secret: Some(Some(SecretString::new(totp))),
                us_totp_secrets: Some(Some(SecretString::new(us.clone()))),
                mf_recovery_codes: Some(Some(codes.clone())),
                tf_phone_number: Some(Some("+15557654321".into())),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    let f = store.find_user_by_id(p.id).await.unwrap().unwrap();
    assert_eq!(
        f.tf_totp_secret.as_ref().map(SecretString::expose),
        Some(totp)
    );
    assert_eq!(
        f.us_totp_secrets.as_ref().map(SecretString::expose),
        Some(us.as_str())
    );
    assert_eq!(f.mf_recovery_codes, Some(codes));
    assert_eq!(f.tf_phone_number.as_deref(), Some("+15557654321"));
}

/// Times keep microseconds.
pub async fn datetimes_round_trip_to_the_microsecond(store: Store) {
    let t = at(1_767_225_600, 999_999);
    let u = store
        .create_user(NewUser {
            confirmed_at: Some(t),
            ..NewUser::new("t@example.com", None)
        })
        .await
        .unwrap();
    let f = store.find_user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(f.confirmed_at, Some(t));
    let l = store
        .record_login(u.id, Some("10.0.0.1"), at(1_767_225_601, 1))
        .await
        .unwrap();
    assert_eq!(l.current_login_at, Some(at(1_767_225_601, 1)));
}

// ---------------------------------------------------------------- deletes, state

/// Deleting a user deletes its links and credentials, not its roles.
pub async fn delete_user_leaves_no_orphans(store: Store) {
    role(&store, "admin", &["x"]).await;
    let u = store
        .create_user(NewUser {
            roles: vec!["admin".into()],
            ..NewUser::new("del@example.com", None)
        })
        .await
        .unwrap();
    let keep = store
        .create_user(NewUser {
            roles: vec!["admin".into()],
            ..NewUser::new("keep@example.com", None)
        })
        .await
        .unwrap();
    if store.capabilities().webauthn {
        store
            .create_webauthn(u.id, credential(b"cred-del", "key"))
            .await
            .unwrap();
    }
    assert!(store.delete_user(u.id).await.unwrap());
    assert!(store.find_user_by_id(u.id).await.unwrap().is_none());
    assert!(
        store
            .find_user_by_email("del@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.find_webauthn(b"cred-del").await.unwrap().is_none());
    assert!(store.find_role("admin").await.unwrap().is_some());
    assert!(
        store
            .find_user_by_id(keep.id)
            .await
            .unwrap()
            .unwrap()
            .has_role("admin")
    );
    assert_eq!(
        store
            .list_users(&UserFilter {
                role: Some("admin".into()),
                ..UserFilter::default()
            })
            .await
            .unwrap()
            .len(),
        1
    );
    // The email is free again.
    make(&store, "del@example.com").await;
}

/// Deleting a missing user is `false`.
pub async fn delete_missing_user_is_false(store: Store) {
    assert!(!store.delete_user(123_456).await.unwrap());
}

/// `set_active` says whether it changed anything.
pub async fn set_active_reports_changes(store: Store) {
    let u = make(&store, "act@example.com").await;
    assert!(!store.set_active(u.id, true).await.unwrap());
    assert!(store.set_active(u.id, false).await.unwrap());
    assert!(!store.find_user_by_id(u.id).await.unwrap().unwrap().active);
    assert!(store.set_active(u.id, true).await.unwrap());
}

/// Rotation replaces the uniquifier; the old one finds no one.
pub async fn rotate_uniquifier_replaces_it(store: Store) {
    let u = make(&store, "rot@example.com").await;
    let new = store.rotate_uniquifier(u.id).await.unwrap();
    assert_ne!(new, u.fs_uniquifier);
    assert!(
        store
            .find_user_by_uniquifier(&u.fs_uniquifier)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .find_user_by_uniquifier(&new)
            .await
            .unwrap()
            .map(|f| f.id),
        Some(u.id)
    );
}

/// Token uniquifiers rotate where supported; otherwise `Unsupported`.
pub async fn rotate_token_uniquifier_replaces_it_or_is_unsupported(store: Store) {
    let u = make(&store, "trot@example.com").await;
    if !store.capabilities().token_uniquifier {
        assert_kind!(store.rotate_token_uniquifier(u.id).await, Unsupported);
        return;
    }
    let old = u.fs_token_uniquifier.clone().unwrap();
    let new = store.rotate_token_uniquifier(u.id).await.unwrap();
    assert_ne!(new, old);
    assert!(
        store
            .find_user_by_token_uniquifier(&old)
            .await
            .unwrap()
            .is_none()
    );
    let f = store
        .find_user_by_token_uniquifier(&new)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        f.fs_uniquifier, u.fs_uniquifier,
        "the session uniquifier stays"
    );
}

/// Login tracking moves current to last and counts.
pub async fn record_login_shifts_and_counts(store: Store) {
    let u = make(&store, "track@example.com").await;
    let a = store
        .record_login(u.id, Some("192.0.2.1"), at(1000, 0))
        .await
        .unwrap();
    assert_eq!(
        (
            a.login_count,
            a.current_login_ip.as_deref(),
            a.last_login_ip.as_deref()
        ),
        (Some(1), Some("192.0.2.1"), Some("192.0.2.1"))
    );
    assert_eq!(a.last_login_at, Some(at(1000, 0)));
    let b = store
        .record_login(u.id, Some("2001:db8::1"), at(2000, 0))
        .await
        .unwrap();
    assert_eq!(b.login_count, Some(2));
    assert_eq!(b.last_login_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(b.current_login_ip.as_deref(), Some("2001:db8::1"));
    assert_eq!(
        (b.last_login_at, b.current_login_at),
        (Some(at(1000, 0)), Some(at(2000, 0)))
    );
    let c = store.record_login(u.id, None, at(3000, 0)).await.unwrap();
    assert_eq!(c.login_count, Some(3));
    assert_eq!(c.current_login_ip, None);
}

/// Concurrent logins are each counted.
pub async fn concurrent_logins_are_all_counted(store: Store) {
    let u = make(&store, "busy@example.com").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .record_login(u.id, Some("198.51.100.7"), at(5000 + i, 0))
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        store
            .find_user_by_id(u.id)
            .await
            .unwrap()
            .unwrap()
            .login_count,
        Some(20)
    );
}

/// A recovery code works once.
pub async fn take_recovery_code_is_single_use(store: Store) {
    let u = make(&store, "rc@example.com").await;
    store
        .update_user(
            u.id,
            UserPatch {
                mf_recovery_codes: Some(Some(vec![
                    SecretString::new("aaaa-bbbb-cccc"),
                    SecretString::new("dddd-eeee-ffff"),
                ])),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(
        store
            .take_recovery_code(u.id, "dddd-eeee-ffff")
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_recovery_code(u.id, "dddd-eeee-ffff")
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_recovery_code(u.id, "0000-0000-0000")
            .await
            .unwrap()
    );
    let left = store
        .find_user_by_id(u.id)
        .await
        .unwrap()
        .unwrap()
        .mf_recovery_codes
        .unwrap();
    assert_eq!(left, vec![SecretString::new("aaaa-bbbb-cccc")]);
}

/// Of many simultaneous uses of one code, exactly one succeeds.
pub async fn concurrent_takes_of_one_recovery_code_succeed_once(store: Store) {
    let u = make(&store, "rc2@example.com").await;
    store
        .update_user(
            u.id,
            UserPatch {
                mf_recovery_codes: Some(Some(vec![SecretString::new("1234-5678-9abc")])),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .take_recovery_code(u.id, "1234-5678-9abc")
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
}

/// `reset_user_access` clears second factors and rotates identities.
pub async fn reset_user_access_clears_factors_and_keeps_password(store: Store) {
    let u = make(&store, "reset@example.com").await;
    store
        .update_user(
            u.id,
            UserPatch {
                tf_primary_method: Some(Some("authenticator".into())),
                tf_totp_secret: Some(Some(SecretString::new("{}"))),
                tf_phone_number: Some(Some("+15550000001".into())),
                us_totp_secrets: Some(Some(SecretString::new("{}"))),
                us_phone_number: Some(Some("+15550000002".into())),
                mf_recovery_codes: Some(Some(vec![SecretString::new("aaaa-bbbb-cccc")])),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    if store.capabilities().webauthn {
        store
            .create_webauthn(u.id, credential(b"cred-reset", "key"))
            .await
            .unwrap();
    }
    let r = store.reset_user_access(u.id).await.unwrap();
    assert_ne!(r.fs_uniquifier, u.fs_uniquifier);
    if store.capabilities().token_uniquifier {
        assert_ne!(r.fs_token_uniquifier, u.fs_token_uniquifier);
    }
    assert!(
        r.tf_primary_method.is_none() && r.tf_totp_secret.is_none() && r.tf_phone_number.is_none()
    );
    assert!(r.us_totp_secrets.is_none() && r.us_phone_number.is_none());
    assert!(r.mf_recovery_codes.as_ref().is_none_or(Vec::is_empty));
    assert_eq!(r.password, u.password);
    assert!(store.find_webauthn(b"cred-reset").await.unwrap().is_none());
    assert_eq!(store.find_user_by_id(u.id).await.unwrap().unwrap(), r);
}

/// Listing filters by role and activity, pages, and orders by id.
pub async fn list_users_filters_and_pages(store: Store) {
    role(&store, "staff", &[]).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let roles = if i % 2 == 0 {
            vec!["staff".to_owned()]
        } else {
            vec![]
        };
        let u = store
            .create_user(NewUser {
                roles,
                active: i != 4,
                ..NewUser::new(format!("l{i}@example.com"), None)
            })
            .await
            .unwrap();
        ids.push(u.id);
    }
    let all: Vec<i64> = store
        .list_users(&UserFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(all, ids);
    let staff = store
        .list_users(&UserFilter {
            role: Some("staff".into()),
            ..UserFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        staff.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![ids[0], ids[2], ids[4], ids[6]]
    );
    assert!(staff.iter().all(|u| u.has_role("staff")));
    let inactive = store
        .list_users(&UserFilter {
            active: Some(false),
            ..UserFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        inactive.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![ids[4]]
    );
    let page = store
        .list_users(&UserFilter {
            offset: 2,
            limit: Some(3),
            ..UserFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|u| u.id).collect::<Vec<_>>(),
        ids[2..5].to_vec()
    );
    let staff_active = store
        .list_users(&UserFilter {
            role: Some("staff".into()),
            active: Some(true),
            offset: 1,
            limit: Some(10),
        })
        .await
        .unwrap();
    assert_eq!(
        staff_active.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![ids[2], ids[6]]
    );
    assert!(
        store
            .list_users(&UserFilter {
                role: Some("ghost".into()),
                ..UserFilter::default()
            })
            .await
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------- roles

/// Roles keep their description and permissions.
pub async fn create_and_find_role(store: Store) {
    let r = store
        .create_role(NewRole {
            name: "editor".into(),
            description: Some("Edits".into()),
            permissions: vec!["write".into(), "read".into()],
        })
        .await
        .unwrap();
    assert!(r.id > 0);
    let f = store.find_role("editor").await.unwrap().unwrap();
    assert_eq!(f.description.as_deref(), Some("Edits"));
    assert_eq!(
        f.permissions.iter().collect::<BTreeSet<_>>(),
        ["read".to_owned(), "write".to_owned()].iter().collect()
    );
    assert!(
        store.find_role("Editor").await.unwrap().is_none(),
        "role names are exact"
    );
}

/// Role names are unique.
pub async fn duplicate_role_name_is_already_exists(store: Store) {
    role(&store, "dup", &[]).await;
    assert_kind!(store.create_role(NewRole::new("dup")).await, AlreadyExists);
}

/// Roles are listed by name.
pub async fn list_roles_is_sorted_by_name(store: Store) {
    for n in ["zeta", "alpha", "mid"] {
        role(&store, n, &[]).await;
    }
    let names: Vec<String> = store
        .list_roles()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["alpha", "mid", "zeta"]);
}

/// Deleting a role unlinks it from users.
pub async fn delete_role_removes_its_links(store: Store) {
    role(&store, "temp", &["p"]).await;
    let u = store
        .create_user(NewUser {
            roles: vec!["temp".into()],
            ..NewUser::new("temp@example.com", None)
        })
        .await
        .unwrap();
    assert!(store.delete_role("temp").await.unwrap());
    assert!(!store.delete_role("temp").await.unwrap());
    let f = store.find_user_by_id(u.id).await.unwrap().unwrap();
    assert!(f.roles.is_empty());
    // The name can be used again, and the user does not get it back.
    role(&store, "temp", &[]).await;
    assert!(
        store
            .find_user_by_id(u.id)
            .await
            .unwrap()
            .unwrap()
            .roles
            .is_empty()
    );
}

/// Adding and removing roles report whether anything changed.
pub async fn add_and_remove_roles_report_changes(store: Store) {
    role(&store, "a", &["pa"]).await;
    let u = make(&store, "ar@example.com").await;
    assert!(store.add_role_to_user(u.id, "a").await.unwrap());
    assert!(!store.add_role_to_user(u.id, "a").await.unwrap());
    let f = store.find_user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(f.roles.len(), 1);
    assert!(f.has_permission("pa"));
    assert!(store.remove_role_from_user(u.id, "a").await.unwrap());
    assert!(!store.remove_role_from_user(u.id, "a").await.unwrap());
    assert!(
        store
            .find_user_by_id(u.id)
            .await
            .unwrap()
            .unwrap()
            .roles
            .is_empty()
    );
}

/// Links to a missing user or role are `NotFound`.
pub async fn role_links_to_missing_user_or_role_are_not_found(store: Store) {
    role(&store, "real", &[]).await;
    let u = make(&store, "rl@example.com").await;
    assert_kind!(store.add_role_to_user(u.id, "ghost").await, NotFound);
    assert_kind!(store.add_role_to_user(987_654, "real").await, NotFound);
    assert_kind!(store.remove_role_from_user(u.id, "ghost").await, NotFound);
    assert_kind!(store.remove_role_from_user(987_654, "real").await, NotFound);
}

/// Permissions are a set.
pub async fn permissions_union_and_difference(store: Store) {
    role(&store, "p", &["a", "b"]).await;
    let r = store
        .add_permissions("p", &["b".into(), "c".into()])
        .await
        .unwrap();
    assert_eq!(
        r.permissions.iter().cloned().collect::<BTreeSet<_>>(),
        ["a", "b", "c"].map(String::from).into()
    );
    let r = store
        .remove_permissions("p", &["a".into(), "zzz".into()])
        .await
        .unwrap();
    assert_eq!(
        r.permissions.iter().cloned().collect::<BTreeSet<_>>(),
        ["b", "c"].map(String::from).into()
    );
    let f = store.find_role("p").await.unwrap().unwrap();
    assert_eq!(f.permissions.len(), 2);
    assert_kind!(
        store.add_permissions("p", &["x,y".into()]).await,
        InvalidInput
    );
}

/// Permissions of a missing role are `NotFound`.
pub async fn permissions_of_missing_role_are_not_found(store: Store) {
    assert_kind!(
        store.add_permissions("ghost", &["a".into()]).await,
        NotFound
    );
    assert_kind!(
        store.remove_permissions("ghost", &["a".into()]).await,
        NotFound
    );
}

/// `find_or_create_role` makes one role however often it is called.
pub async fn find_or_create_role_is_idempotent_under_concurrency(store: Store) {
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .find_or_create_role(NewRole::new("once"))
                    .await
                    .unwrap()
                    .id
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(store.list_roles().await.unwrap().len(), 1);
}

// ---------------------------------------------------------------- WebAuthn

/// Without the WebAuthn capability, creating a credential must be refused
/// as `Unsupported`; returns whether the caller should stop there.
async fn skip_without_webauthn(store: &Store) -> bool {
    if store.capabilities().webauthn {
        return false;
    }
    let u = make(store, "no-webauthn@example.com").await;
    assert_kind!(
        store
            .create_webauthn(u.id, credential(b"unsupported", "key"))
            .await,
        Unsupported
    );
    true
}

/// Credentials are stored and found.
pub async fn webauthn_create_find_list(store: Store) {
    if skip_without_webauthn(&store).await {
        return;
    }
    let u = make(&store, "wan@example.com").await;
    let c = store
        .create_webauthn(u.id, credential(&[0, 159, 255, 1], "laptop"))
        .await
        .unwrap();
    assert_eq!(c.user_id, u.id);
    assert_eq!(c.transports, ["usb", "nfc"]);
    let f = store
        .find_webauthn(&[0, 159, 255, 1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f, c);
    assert_eq!(f.public_key, vec![0xa5, 0x01, 0x02, 0x03, 0x26]);
    store
        .create_webauthn(u.id, credential(b"second", "phone"))
        .await
        .unwrap();
    let names: Vec<String> = store
        .list_webauthn(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["laptop", "phone"]);
}

/// Credential ids are unique; names are unique per user.
pub async fn webauthn_duplicates_are_already_exists(store: Store) {
    if skip_without_webauthn(&store).await {
        return;
    }
    let a = make(&store, "wa@example.com").await;
    let b = make(&store, "wb@example.com").await;
    store
        .create_webauthn(a.id, credential(b"id-1", "key"))
        .await
        .unwrap();
    assert_kind!(
        store
            .create_webauthn(b.id, credential(b"id-1", "other"))
            .await,
        AlreadyExists
    );
    assert_kind!(
        store
            .create_webauthn(a.id, credential(b"id-2", "key"))
            .await,
        AlreadyExists
    );
    store
        .create_webauthn(b.id, credential(b"id-3", "key"))
        .await
        .unwrap();
    let mut too_long = credential(&[7; 1025], "big");
    assert_kind!(
        store.create_webauthn(a.id, too_long.clone()).await,
        InvalidInput
    );
    too_long.credential_id = vec![7; 1024];
    store.create_webauthn(a.id, too_long).await.unwrap();
}

/// Uses are recorded; credentials can be deleted.
pub async fn webauthn_record_use_and_delete(store: Store) {
    if skip_without_webauthn(&store).await {
        return;
    }
    let u = make(&store, "wu@example.com").await;
    let c = store
        .create_webauthn(u.id, credential(b"use", "key"))
        .await
        .unwrap();
    let used = portcullis_core::WebAuthnUse {
        sign_count: 42,
        backup_state: true,
        device_type: "multi_device".into(),
        at: at(1_800_000_000, 5),
    };
    store.record_webauthn_use(c.id, &used).await.unwrap();
    let f = store.find_webauthn(b"use").await.unwrap().unwrap();
    assert_eq!(
        (
            f.sign_count,
            f.backup_state,
            f.device_type.as_str(),
            f.lastuse_datetime
        ),
        (42, true, "multi_device", at(1_800_000_000, 5))
    );
    assert_kind!(
        store.record_webauthn_use(c.id + 1000, &used).await,
        NotFound
    );
    assert!(store.delete_webauthn(c.id).await.unwrap());
    assert!(!store.delete_webauthn(c.id).await.unwrap());
    assert!(store.list_webauthn(u.id).await.unwrap().is_empty());
}

/// Credentials need an existing user.
pub async fn webauthn_for_missing_user_is_not_found(store: Store) {
    if skip_without_webauthn(&store).await {
        return;
    }
    assert_kind!(
        store
            .create_webauthn(555_555, credential(b"orphan", "key"))
            .await,
        NotFound
    );
    assert!(store.find_webauthn(b"orphan").await.unwrap().is_none());
}

/// The store's [`SessionStore`](portcullis_core::store::SessionStore),
/// when [`Datastore::session_store`] offers one: [`session_store_contract`].
pub async fn sessions_keep_their_contract(store: Store) {
    if let Some(sessions) = store.session_store() {
        session_store_contract(&*sessions).await;
    }
}

/// The store's [`AttemptStore`](portcullis_core::store::AttemptStore),
/// when [`Datastore::attempt_store`] offers one: [`attempt_store_contract`].
pub async fn attempts_keep_their_contract(store: Store) {
    if let Some(attempts) = store.attempt_store() {
        attempt_store_contract(attempts).await;
    }
}

/// Session records for web adapters: create, load, replace, update only
/// while live, expire, delete, and a user's sessions listed and ended.
pub async fn session_store_contract(store: &dyn portcullis_core::store::SessionStore) {
    update_session_writes_only_live_records(store).await;
    use portcullis_core::store::SessionRecord;
    let now = at(1_800_000_000, 0);
    let mut data = serde_json::Map::new();
    data.insert("_user_id".into(), serde_json::json!("abc"));
    let rec = SessionRecord {
        id: "s1".into(),
        data: data.clone(),
        expires_at: at(1_800_000_100, 0),
        user: Some("abc".into()),
    };
    store.create_session(&rec).await.unwrap();
    assert_kind!(store.create_session(&rec).await, AlreadyExists);
    assert_eq!(
        store.load_session("s1", now).await.unwrap(),
        Some(rec.clone())
    );
    let mut changed = rec.clone();
    changed.data.insert("fs_paa".into(), serde_json::json!(1.5));
    store.save_session(&changed).await.unwrap();
    assert_eq!(
        store.load_session("s1", now).await.unwrap().unwrap().data["fs_paa"],
        1.5
    );
    assert!(
        store
            .load_session("s1", at(1_800_000_101, 0))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(store.load_session("nope", now).await.unwrap().is_none());
    let other = SessionRecord {
        id: "s2".into(),
        data: data.clone(),
        expires_at: at(1_900_000_000, 0),
        user: Some("abc".into()),
    };
    store.save_session(&other).await.unwrap();
    assert_eq!(
        store
            .delete_expired_sessions(at(1_800_000_200, 0))
            .await
            .unwrap(),
        1
    );
    assert!(store.load_session("s2", now).await.unwrap().is_some());
    store.delete_session("s2").await.unwrap();
    assert!(store.load_session("s2", now).await.unwrap().is_none());

    // A user's sessions: listed (live ones only), ended but for one.
    let rec = |user: Option<&str>, id: &str, expires: i64| SessionRecord {
        id: id.into(),
        data: data.clone(),
        expires_at: at(expires, 0),
        user: user.map(str::to_owned),
    };
    for r in [
        rec(Some("u1"), "a1", 1_900_000_000),
        rec(Some("u1"), "a2", 1_900_000_000),
        rec(Some("u1"), "a3", 1_800_000_050),
        rec(Some("u2"), "b1", 1_900_000_000),
        rec(None, "anon", 1_900_000_000),
    ] {
        store.create_session(&r).await.unwrap();
    }
    let later = at(1_800_000_060, 0);
    let mut listed: Vec<String> = store
        .list_user_sessions("u1", later)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            assert_eq!(r.user.as_deref(), Some("u1"));
            r.id
        })
        .collect();
    listed.sort();
    assert_eq!(listed, ["a1", "a2"], "expired and other users' left out");
    assert_eq!(
        store
            .load_session("a1", now)
            .await
            .unwrap()
            .unwrap()
            .user
            .as_deref(),
        Some("u1"),
        "the user is stored with the record"
    );
    // Logging out (saving without a user) takes a session out of the list.
    let mut out = store.load_session("a2", now).await.unwrap().unwrap();
    out.user = None;
    store.save_session(&out).await.unwrap();
    let listed = store.list_user_sessions("u1", later).await.unwrap();
    assert_eq!(listed.len(), 1);
    out.user = Some("u1".into());
    store.save_session(&out).await.unwrap();
    // End all but a1, then all.
    assert_eq!(
        store.delete_user_sessions("u1", Some("a1")).await.unwrap(),
        2
    );
    let left = store.list_user_sessions("u1", now).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, "a1");
    assert_eq!(store.delete_user_sessions("u1", None).await.unwrap(), 1);
    assert!(
        store
            .list_user_sessions("u1", now)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store.load_session("b1", now).await.unwrap().is_some(),
        "others untouched"
    );
    assert!(store.load_session("anon", now).await.unwrap().is_some());
    assert!(
        store
            .list_user_sessions("nobody", now)
            .await
            .unwrap()
            .is_empty()
    );
}

/// `update_session` replaces a live record and nothing else: a missing,
/// expired or deleted one stays gone (the revived-session race).
async fn update_session_writes_only_live_records(store: &dyn portcullis_core::store::SessionStore) {
    use portcullis_core::store::SessionRecord;
    let now = at(1_800_000_000, 0);
    let mut data = serde_json::Map::new();
    data.insert("_user_id".into(), serde_json::json!("upd"));
    let rec = SessionRecord {
        id: "upd1".into(),
        data: data.clone(),
        expires_at: at(1_800_000_100, 0),
        user: Some("upd".into()),
    };
    assert!(
        !store.update_session(&rec, now).await.unwrap(),
        "nothing to update"
    );
    assert!(
        store.load_session("upd1", now).await.unwrap().is_none(),
        "an update never creates"
    );
    store.create_session(&rec).await.unwrap();
    let mut changed = rec.clone();
    changed.data.insert("fs_paa".into(), serde_json::json!(2.5));
    changed.expires_at = at(1_800_000_200, 0);
    changed.user = None;
    assert!(store.update_session(&changed, now).await.unwrap());
    assert_eq!(
        store.load_session("upd1", now).await.unwrap(),
        Some(changed.clone())
    );
    assert!(
        store.update_session(&changed, now).await.unwrap(),
        "identical values still count as updated"
    );
    assert!(
        !store
            .update_session(&changed, at(1_800_000_200, 0))
            .await
            .unwrap(),
        "expired at now: not updated"
    );
    store.delete_session("upd1").await.unwrap();
    assert!(!store.update_session(&changed, now).await.unwrap());
    assert!(
        store.load_session("upd1", now).await.unwrap().is_none(),
        "a deleted session is not written back"
    );
}

/// The attempt store (`AttemptStore`): counting with windows, markers that
/// only go up, expiry, reset, and exact answers under 50 concurrent
/// callers. `store` must be empty; it is shared with spawned tasks.
pub async fn attempt_store_contract(
    store: std::sync::Arc<dyn portcullis_core::store::AttemptStore>,
) {
    use chrono::TimeDelta;
    let now = at(1_800_000_000, 0);
    let minute = TimeDelta::seconds(60);

    // Counting: 1, 2, 3 in one window; the window is not extended.
    let first = store.hit("pc:test:count", minute, now).await.unwrap();
    assert_eq!((first.count, first.resets_at), (1, now + minute));
    let later = now + TimeDelta::seconds(10);
    assert_eq!(
        store
            .hit("pc:test:count", minute, later)
            .await
            .unwrap()
            .count,
        2
    );
    let third = store.hit("pc:test:count", minute, later).await.unwrap();
    assert_eq!((third.count, third.resets_at), (3, now + minute));
    let got = store.get("pc:test:count", later).await.unwrap().unwrap();
    assert_eq!((got.value, got.expires_at), (3, now + minute));
    // After the window: gone for `get`, and counting starts again.
    let after = now + minute;
    assert!(store.get("pc:test:count", after).await.unwrap().is_none());
    let again = store.hit("pc:test:count", minute, after).await.unwrap();
    assert_eq!((again.count, again.resets_at), (1, after + minute));
    // Reset.
    store.clear("pc:test:count").await.unwrap();
    assert!(store.get("pc:test:count", after).await.unwrap().is_none());
    store.clear("pc:test:never").await.unwrap();
    assert_eq!(
        store
            .hit("pc:test:count", minute, after)
            .await
            .unwrap()
            .count,
        1
    );

    // Markers only go up, until they expire.
    let exp = now + TimeDelta::hours(1);
    assert!(store.raise("pc:test:step", 10, exp, now).await.unwrap());
    assert!(
        !store.raise("pc:test:step", 10, exp, now).await.unwrap(),
        "same value"
    );
    assert!(
        !store.raise("pc:test:step", 9, exp, now).await.unwrap(),
        "lower value"
    );
    assert!(store.raise("pc:test:step", 11, exp, now).await.unwrap());
    assert_eq!(
        store.get("pc:test:step", now).await.unwrap().unwrap().value,
        11
    );
    assert!(
        store
            .raise("pc:test:step", 1, exp + minute, exp)
            .await
            .unwrap(),
        "an expired marker is replaced"
    );
    assert_eq!(
        store.get("pc:test:step", exp).await.unwrap().unwrap().value,
        1
    );

    // Keys are bounded.
    let long = "k".repeat(portcullis_core::store::MAX_KEY + 1);
    assert_kind!(store.hit(&long, minute, now).await, InvalidInput);

    // Expired records are swept (backends with their own TTLs answer 0).
    store
        .raise("pc:test:old", 1, now + minute, now)
        .await
        .unwrap();
    let swept = store.delete_expired(now + minute).await.unwrap();
    assert!(store.get("pc:test:old", now).await.unwrap().is_none() || swept == 0);

    // 50 concurrent hits: every count from 1 to 50 once.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.hit("pc:test:storm", minute, now).await.map(|h| h.count)
        }));
    }
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.expect("task").expect("hit"));
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=50).collect::<Vec<i64>>());
    assert_eq!(
        store
            .get("pc:test:storm", now)
            .await
            .unwrap()
            .unwrap()
            .value,
        50
    );

    // 50 concurrent claims of one code step: exactly one wins.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.raise("pc:test:claim", 42, exp, now).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        if t.await.expect("task").expect("raise") {
            won += 1;
        }
    }
    assert_eq!(won, 1, "one claim of a step succeeds");
}

/// A key Flask-Security 5.9.2 registered (py_webauthn, soft-webauthn on
/// `http://localhost`; `portcullis-sqlite/tests/fixtures/webauthn`): its
/// stored bytes exactly as in its `web_authn` row, and its private half.
mod flask_security_key {
    pub(super) const CREDENTIAL_ID: &str =
        "5F141A883C00B93D5C6A9C964AB171E165C94FB254808F2F0C2C902234BA4F85";
    pub(super) const PUBLIC_KEY: &str = "A501020326200121582076C34D16378B589059F5834E6C7216A056B33BF0773CA100BA04E109915866012258201AFBACD89FCDA1B61B5BB9C63F3EE51A9F9E8EAB949F37EFA2174224F2859880";
    pub(super) const USER_HANDLE: &str = "ec143d3d1b554dbfa03a93c629076676";
    pub(super) const PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWjWY8xCusiZJc6bH
CTqM/XTASon8pF9/UEu9sDuEnJGhRANCAAR2w00WN4tYkFn1g05schagVrM78Hc8
oQC6BOEJkVhmARr7rNifzaG2G1u5xj8+5Rqfno6rlJ8376IXQiTyhZiA
-----END PRIVATE KEY-----
";

    pub(super) fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }
}

/// A key stored as Flask-Security stores it signs in through Portcullis'
/// ceremony on this store: the second factor of its user, with its counter,
/// backup state, device type and last use recorded, and a counter that
/// goes backwards refused.
pub async fn webauthn_flask_security_key_signs_in(store: Store) {
    use portcullis_core::flows::{ClientInfo, RelyingParty, WanPurpose};
    use portcullis_core::{ConfigLoader, NewWebAuthn, Security};

    use crate::webauthn::{SoftAuthenticator, SoftCredential};
    use flask_security_key as fs;

    if skip_without_webauthn(&store).await {
        return;
    }
    let mut new = NewUser::new("kim@example.com", None);
    new.fs_webauthn_user_handle = Some(fs::USER_HANDLE.into());
    let user = store.create_user(new).await.expect("create_user");
    let created = at(1_700_000_000, 0);
    let stored = store
        .create_webauthn(
            user.id,
            NewWebAuthn {
                credential_id: fs::hex(fs::CREDENTIAL_ID),
                public_key: fs::hex(fs::PUBLIC_KEY),
                name: "key-secondary".into(),
                sign_count: 0,
                usage: "secondary".into(),
                device_type: "single_device".into(),
                backup_state: false,
                transports: vec!["usb".into()],
                extensions: Some(r#"{"credProps": {"rk": true}}"#.into()),
            },
        )
        .await
        .expect("create_webauthn");
    assert_eq!(
        stored.public_key,
        fs::hex(fs::PUBLIC_KEY),
        "COSE key bytes kept"
    );
    // Last used long ago, so the sign-in's use shows.
    let long_ago = portcullis_core::WebAuthnUse {
        sign_count: 0,
        backup_state: false,
        device_type: "single_device".into(),
        at: created,
    };
    store
        .record_webauthn_use(stored.id, &long_ago)
        .await
        .expect("record_webauthn_use");
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "conformance"),
            ("SECURITY_PASSWORD_SALT", "conformance"),
            ("SECURITY_WEBAUTHN", "true"),
            ("SECURITY_DANGER_DISABLE_ATTEMPT_LIMITS", "true"),
        ])
        .build()
        .expect("settings");
    let s = Security::builder(config)
        .store(store.clone())
        .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
        .build()
        .expect("security");
    let rp = RelyingParty::from_host("localhost", false).expect("rp");
    let client = ClientInfo::default();
    let auth = SoftAuthenticator::new(&rp.origin);
    let mut key = SoftCredential::from_pem(
        fs::hex(fs::CREDENTIAL_ID),
        fs::PRIVATE_KEY,
        fs::USER_HANDLE.as_bytes().to_vec(),
        "localhost",
        0,
    )
    .expect("the key");
    let methods = s.tf_setup_methods(&user).await.expect("methods");
    assert_eq!(methods, ["webauthn"], "the key is the user's second factor");
    let options = s
        .wan_start_signin(Some(&user), &["secondary"], &rp)
        .await
        .expect("options");
    let text = auth.assert(&mut key, &options.credential_options);
    let done = s
        .wan_finish_signin(
            &options.state,
            Some(&text),
            WanPurpose::Secondary(&user),
            &rp,
            &client,
        )
        .await
        .expect("the Flask-Security key signs in");
    assert_eq!(done.user.id, user.id);
    let after = store
        .find_webauthn(&fs::hex(fs::CREDENTIAL_ID))
        .await
        .expect("find")
        .expect("still there");
    assert_eq!(after.sign_count, 1);
    assert_eq!(after.device_type, "single_device");
    assert!(after.lastuse_datetime > created);
    // The same counter again (a cloned key) is refused.
    key.counter = 0;
    let options = s
        .wan_start_signin(Some(&user), &["secondary"], &rp)
        .await
        .expect("options");
    let text = auth.assert(&mut key, &options.credential_options);
    let refused = s
        .wan_finish_signin(
            &options.state,
            Some(&text),
            WanPurpose::Secondary(&user),
            &rp,
            &client,
        )
        .await;
    assert!(refused.is_err(), "a counter that did not grow is refused");
}

fn tracker(
    family: &str,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> portcullis_core::NewRefreshTracker {
    portcullis_core::NewRefreshTracker {
        refresh_family: family.into(),
        name: "default".into(),
        expires_at: expires,
        at: now,
    }
}

/// The refresh store, or `None` (said in the test output) for a backend
/// without one.
#[allow(clippy::print_stdout)] // a skip is shown in the test's output, not hidden
fn refresh_store(store: &Store) -> Option<Arc<dyn portcullis_core::RefreshTrackerStore>> {
    let r = store.clone().refresh_store();
    if r.is_none() {
        println!(
            "SKIPPED: {} keeps no refresh trackers",
            store.backend_name()
        );
    }
    r
}

/// Refresh trackers: created at generation 1, found by family, listed by
/// user; duplicate family, missing user and over-long values refused.
pub async fn refresh_trackers_create_find_list(store: Store) {
    let Some(rt) = refresh_store(&store) else {
        return;
    };
    let u = make(&store, "rt1@example.com").await;
    let now = at(1_800_000_000, 123_456);
    let t = rt
        .create_refresh_tracker(u.id, tracker("fam-1", at(1_800_086_400, 7), now))
        .await
        .unwrap();
    assert_eq!(
        (t.generation, t.user_id, t.name.as_str(), t.revoked_at),
        (1, u.id, "default", None)
    );
    assert_eq!((t.last_used_at, t.create_datetime), (now, now));
    assert_eq!(t.expires_at, at(1_800_086_400, 7));
    assert_eq!(
        rt.find_refresh_tracker("fam-1").await.unwrap(),
        Some(t.clone())
    );
    assert_eq!(rt.find_refresh_tracker("FAM-1").await.unwrap(), None);
    assert_eq!(rt.find_refresh_tracker("fam-2").await.unwrap(), None);
    assert_kind!(
        rt.create_refresh_tracker(u.id, tracker("fam-1", now, now))
            .await,
        AlreadyExists
    );
    assert_kind!(
        rt.create_refresh_tracker(999_999, tracker("fam-x", now, now))
            .await,
        NotFound
    );
    assert_kind!(
        rt.create_refresh_tracker(u.id, tracker(&"f".repeat(65), now, now))
            .await,
        InvalidInput
    );
    let t2 = rt
        .create_refresh_tracker(u.id, tracker(&"f".repeat(64), now, now))
        .await
        .unwrap();
    let other = make(&store, "rt1b@example.com").await;
    rt.create_refresh_tracker(other.id, tracker("fam-other", now, now))
        .await
        .unwrap();
    let mine: Vec<i64> = rt
        .list_refresh_trackers(u.id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(mine, vec![t.id, t2.id]);
}

/// An exchange moves the generation on once: a stale generation or a
/// revoked tracker exchanges nothing, and of many simultaneous exchanges
/// of one generation exactly one succeeds.
pub async fn refresh_tracker_exchange_is_single_use(store: Store) {
    let Some(rt) = refresh_store(&store) else {
        return;
    };
    let u = make(&store, "rt2@example.com").await;
    let now = at(1_800_000_000, 0);
    let t = rt
        .create_refresh_tracker(u.id, tracker("fam-x", at(1_900_000_000, 0), now))
        .await
        .unwrap();
    let later = at(1_800_000_100, 42);
    let e = rt
        .exchange_refresh_tracker(t.id, 1, later)
        .await
        .unwrap()
        .expect("generation 1 exchanges");
    assert_eq!((e.generation, e.last_used_at), (2, later));
    assert_eq!(e.expires_at, t.expires_at);
    assert_eq!(
        rt.exchange_refresh_tracker(t.id, 1, later).await.unwrap(),
        None
    );
    assert_eq!(
        rt.exchange_refresh_tracker(999_999, 1, later)
            .await
            .unwrap(),
        None
    );
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let rt = rt.clone();
            tokio::spawn(async move { rt.exchange_refresh_tracker(t.id, 2, later).await.unwrap() })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        wins += usize::from(task.await.unwrap().is_some());
    }
    assert_eq!(wins, 1);
    assert_eq!(
        rt.find_refresh_tracker("fam-x")
            .await
            .unwrap()
            .unwrap()
            .generation,
        3
    );
    assert!(rt.revoke_refresh_tracker(t.id, later).await.unwrap());
    assert_eq!(
        rt.exchange_refresh_tracker(t.id, 3, later).await.unwrap(),
        None
    );
}

/// Revocation happens once (the first time is kept); cleanup deletes the
/// user's expired and/or revoked trackers only; deleting a user deletes
/// its trackers and resetting its access revokes them.
pub async fn refresh_trackers_revoke_cleanup_and_cascade(store: Store) {
    let Some(rt) = refresh_store(&store) else {
        return;
    };
    let u = make(&store, "rt3@example.com").await;
    let other = make(&store, "rt3b@example.com").await;
    let now = at(1_800_000_000, 0);
    let past = at(1_700_000_000, 0);
    let future = at(1_900_000_000, 0);
    let live = rt
        .create_refresh_tracker(u.id, tracker("live", future, now))
        .await
        .unwrap();
    let old = rt
        .create_refresh_tracker(u.id, tracker("old", past, past))
        .await
        .unwrap();
    let gone = rt
        .create_refresh_tracker(u.id, tracker("gone", future, now))
        .await
        .unwrap();
    let theirs = rt
        .create_refresh_tracker(other.id, tracker("theirs", past, past))
        .await
        .unwrap();
    let first = at(1_800_000_001, 5);
    assert!(rt.revoke_refresh_tracker(gone.id, first).await.unwrap());
    assert!(
        !rt.revoke_refresh_tracker(gone.id, at(1_800_000_009, 0))
            .await
            .unwrap()
    );
    assert!(!rt.revoke_refresh_tracker(999_999, first).await.unwrap());
    let g = rt.find_refresh_tracker("gone").await.unwrap().unwrap();
    assert_eq!(g.revoked_at, Some(first));
    assert_eq!(
        rt.cleanup_refresh_trackers(u.id, now, false, false)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        rt.cleanup_refresh_trackers(u.id, now, true, false)
            .await
            .unwrap(),
        1
    );
    assert!(rt.find_refresh_tracker("old").await.unwrap().is_none());
    assert!(rt.find_refresh_tracker("theirs").await.unwrap().is_some());
    assert_eq!(
        rt.cleanup_refresh_trackers(u.id, now, true, true)
            .await
            .unwrap(),
        1
    );
    let left: Vec<i64> = rt
        .list_refresh_trackers(u.id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(left, vec![live.id]);
    let _ = (old, theirs);
    store.reset_user_access(u.id).await.unwrap();
    let l = rt.find_refresh_tracker("live").await.unwrap().unwrap();
    assert!(l.revoked_at.is_some(), "reset_user_access revokes trackers");
    assert!(store.delete_user(u.id).await.unwrap());
    assert!(rt.find_refresh_tracker("live").await.unwrap().is_none());
    assert!(rt.list_refresh_trackers(u.id).await.unwrap().is_empty());
    assert_eq!(rt.list_refresh_trackers(other.id).await.unwrap().len(), 1);
}
