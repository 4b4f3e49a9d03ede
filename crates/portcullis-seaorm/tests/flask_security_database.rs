//! Adopting the database a real Flask-Security 5.9.2 app left behind, on
//! each database SeaORM serves:
//!
//! - SQLite: the fixture file itself (`fixtures/flask_security_fsqla_v3.sqlite`).
//! - PostgreSQL / MySQL: a scratch database given Flask-Security's schema
//!   (the dialect's `0001_fsqla_v3.sql`, SQLAlchemy's DDL) and the fixture's
//!   rows, ids and all, as Flask-Security would have written them there.
//!
//! Then: the database is recognised as adopted; every user's password
//! (argon2, bcrypt, pbkdf2, sha512_crypt…), roles, permissions and state
//! read back; grace's TOTP secret decrypts; a new user can register beside
//! them; email uniqueness is case-insensitive; migrating again does nothing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use portcullis_core::{ConfigLoader, ErrorKind, NewUser, RoleStore, UserStore};
use portcullis_seaorm::entity::{role, roles_users, user};
use portcullis_seaorm::scratch::ScratchDb;
use portcullis_seaorm::sea_orm::sea_query::{Query, SimpleExpr};
use portcullis_seaorm::sea_orm::{ConnectionTrait, Database, DbBackend, EntityTrait, Value};
use portcullis_seaorm::{Dialect, SeaOrmConfig, SeaOrmStore, migrate};
use serde_json::Value as Json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn meta() -> Json {
    serde_json::from_str(&std::fs::read_to_string(fixture("flask_security_fsqla_v3.json")).unwrap())
        .unwrap()
}

fn copy_fixture() -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-seaorm-fixture-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("flask.sqlite");
    std::fs::copy(fixture("flask_security_fsqla_v3.sqlite"), &db).unwrap();
    (dir.clone(), format!("sqlite://{}", db.display()))
}

/// Every user of the fixture, checked through `store`.
async fn every_user_carries_on(store: &SeaOrmStore) {
    let meta = meta();
    let totp_secrets = meta["totp_secrets"].to_string();
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", meta["secret_key"].as_str().unwrap()),
            (
                "SECURITY_PASSWORD_SALT",
                meta["password_salt"].as_str().unwrap(),
            ),
            ("SECURITY_TOTP_SECRETS", totp_secrets.as_str()),
        ])
        .build()
        .unwrap();
    let hasher = config.password_hasher().unwrap();
    let totp = config.totp_factory().unwrap();
    let mut users: Vec<Json> = meta["users"].as_array().unwrap().clone();
    let admin = &meta["seeded_admin"];
    users.push(serde_json::json!({"email": admin["email"], "password": admin["password"], "roles": admin["roles"], "active": true, "confirmed": true}));
    let mut checked = 0;
    for expected in &users {
        let email = expected["email"].as_str().unwrap();
        let user = store
            .find_user_by_email(&email.to_uppercase())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{email} not found"));
        assert_eq!(user.email, email);
        assert_eq!(
            user.active,
            expected["active"].as_bool().unwrap(),
            "{email} active"
        );
        assert_eq!(
            user.is_confirmed(),
            expected["confirmed"].as_bool().unwrap(),
            "{email} confirmed"
        );
        let roles: BTreeSet<&str> = user.roles.iter().map(|r| r.name.as_str()).collect();
        let want: BTreeSet<&str> = expected["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(roles, want, "{email} roles");
        for r in &user.roles {
            let perms: BTreeSet<&str> = r.permissions.iter().map(String::as_str).collect();
            let want: BTreeSet<&str> = meta["role_permissions"][&r.name]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            assert_eq!(perms, want, "permissions of {}", r.name);
        }
        let stored = user.password.as_ref().unwrap().expose().to_owned();
        if let Some(scheme) = expected.get("scheme").and_then(Json::as_str) {
            assert_eq!(
                hasher.context().identify(&stored).unwrap().name(),
                scheme,
                "{email} scheme"
            );
        }
        assert!(
            hasher
                .verify_password(expected["password"].as_str().unwrap(), &stored)
                .unwrap()
                .matches,
            "{email}'s password verifies"
        );
        assert!(
            !hasher
                .verify_password("Wrong-Passw0rd-2026", &stored)
                .unwrap()
                .matches
        );
        if let Some(key) = expected.get("totp_b32_key").and_then(Json::as_str) {
            let secret = totp
                .load(user.tf_totp_secret.as_ref().unwrap().expose())
                .unwrap();
            assert_eq!(secret.base32_key(), key, "{email}'s authenticator key");
        }
        assert!(user.fs_token_uniquifier.is_none());
        assert_eq!(
            store
                .find_user_by_token_uniquifier(&user.fs_uniquifier)
                .await
                .unwrap()
                .map(|u| u.id),
            Some(user.id)
        );
        checked += 1;
    }
    assert_eq!(checked, 8);
    // New users register beside them; email stays unique case-insensitively.
    let new = store
        .create_user(NewUser {
            roles: vec!["user".into()],
            ..NewUser::new("newcomer@example.com", None)
        })
        .await
        .unwrap();
    assert_eq!(new.roles.len(), 1);
    assert_eq!(
        store
            .create_user(NewUser::new("ALICE@example.com", None))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
    assert!(
        store
            .find_role("admin")
            .await
            .unwrap()
            .unwrap()
            .permissions
            .contains(&"admin-write".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_flask_security_database_is_adopted() {
    let (dir, url) = copy_fixture();
    let store = SeaOrmStore::open(SeaOrmConfig::new(&url)).await.unwrap();
    assert!(store.migration_report().adopted);
    assert_eq!(store.migration_report().applied, [1, 2, 3, 4, 5, 6, 7]);
    every_user_carries_on(&store).await;
    store.close().await.unwrap();
    let again = SeaOrmStore::open(SeaOrmConfig::new(&url)).await.unwrap();
    assert!(!again.migration_report().adopted);
    assert!(again.migration_report().applied.is_empty());
    again.close().await.unwrap();
    // The file stays readable by the rusqlite backend (same ledger, same formats).
    let _ = std::fs::remove_dir_all(dir);
}

/// The fixture's rows, read through SeaORM from an adopted copy.
async fn fixture_rows() -> (Vec<user::Model>, Vec<role::Model>, Vec<(i32, i32)>) {
    let (dir, url) = copy_fixture();
    let store = SeaOrmStore::open(SeaOrmConfig::new(&url)).await.unwrap();
    let db = store.connection();
    let users = user::Entity::find().all(db).await.unwrap();
    let roles = role::Entity::find().all(db).await.unwrap();
    let links = db
        .query_all_raw(portcullis_seaorm::sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            "SELECT user_id, role_id FROM roles_users",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
            )
        })
        .collect();
    store.close().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
    (users, roles, links)
}

fn v(x: impl Into<Value>) -> SimpleExpr {
    SimpleExpr::Value(x.into())
}

/// Gives a scratch database Flask-Security's schema and the fixture's rows.
async fn flask_security_made(url: &str, dialect: Dialect) {
    let conn = Database::connect(url.replace("mariadb://", "mysql://"))
        .await
        .unwrap();
    // Flask-Security's tables, as SQLAlchemy creates them (and nothing of Portcullis').
    let fsqla = &migrate::migrations(dialect)[0];
    assert_eq!(fsqla.name, "0001_fsqla_v3.sql");
    for stmt in fsqla.sql.split(';').map(|s| {
        s.lines()
            .map(|l| l.split("--").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }) {
        if !stmt.trim().is_empty() {
            conn.execute_unprepared(&stmt).await.unwrap();
        }
    }
    let (users, roles, links) = fixture_rows().await;
    for r in roles {
        let mut q = Query::insert();
        q.into_table(role::Entity)
            .columns([
                role::Column::Id,
                role::Column::Name,
                role::Column::Description,
                role::Column::Permissions,
                role::Column::UpdateDatetime,
            ])
            .values([
                v(r.id),
                v(r.name),
                v(r.description),
                v(r.permissions),
                v(r.update_datetime),
            ])
            .unwrap();
        conn.execute(&q).await.unwrap();
    }
    for u in users {
        use user::Column as C;
        let mut q = Query::insert();
        q.into_table(user::Entity)
            .columns([
                C::Id,
                C::Email,
                C::Username,
                C::Password,
                C::Active,
                C::FsUniquifier,
                C::ConfirmedAt,
                C::LastLoginAt,
                C::CurrentLoginAt,
                C::LastLoginIp,
                C::CurrentLoginIp,
                C::LoginCount,
                C::TfPrimaryMethod,
                C::TfTotpSecret,
                C::TfPhoneNumber,
                C::UsTotpSecrets,
                C::UsPhoneNumber,
                C::FsWebauthnUserHandle,
                C::MfRecoveryCodes,
                C::CreateDatetime,
                C::UpdateDatetime,
            ])
            .values([
                v(u.id),
                v(u.email),
                v(u.username),
                v(u.password.map(|p| p.0)),
                v(u.active),
                v(u.fs_uniquifier),
                v(u.confirmed_at),
                v(u.last_login_at),
                v(u.current_login_at),
                v(u.last_login_ip),
                v(u.current_login_ip),
                v(u.login_count),
                v(u.tf_primary_method),
                v(u.tf_totp_secret.map(|p| p.0)),
                v(u.tf_phone_number),
                v(u.us_totp_secrets.map(|p| p.0)),
                v(u.us_phone_number),
                v(u.fs_webauthn_user_handle),
                v(u.mf_recovery_codes.map(|p| p.0)),
                v(u.create_datetime),
                v(u.update_datetime),
            ])
            .unwrap();
        conn.execute(&q).await.unwrap();
    }
    for (uid, rid) in links {
        let mut q = Query::insert();
        q.into_table(roles_users::Entity)
            .columns([roles_users::Column::UserId, roles_users::Column::RoleId])
            .values([v(uid), v(rid)])
            .unwrap();
        conn.execute(&q).await.unwrap();
    }
    if dialect == Dialect::Postgres {
        // As if the rows had come from the sequences.
        for t in ["\"user\"", "role"] {
            conn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"
            ))
            .await
            .unwrap();
        }
    }
    conn.close().await.unwrap();
}

async fn adopt_on(var: &str, dialect: Dialect) {
    let Ok(server) = std::env::var(var) else {
        portcullis_testkit::skip(&format!(
            "{var} is not set, so adoption was not tried on that server (.ci/run sets it)"
        ));
        return;
    };
    let scratch = ScratchDb::create(&server).await.unwrap();
    flask_security_made(scratch.url(), dialect).await;
    let store = SeaOrmStore::open(SeaOrmConfig::new(scratch.url()))
        .await
        .unwrap();
    assert!(
        store.migration_report().adopted,
        "the Flask-Security database is recognised"
    );
    assert_eq!(store.migration_report().applied, [1, 2, 3, 4, 5, 6, 7]);
    every_user_carries_on(&store).await;
    assert!(store.migrate().await.unwrap().applied.is_empty());
    store.close().await.unwrap();
    let again = SeaOrmStore::open(SeaOrmConfig::new(scratch.url()))
        .await
        .unwrap();
    assert!(!again.migration_report().adopted);
    assert!(again.migration_report().applied.is_empty());
    assert!(
        again
            .migration_status()
            .await
            .unwrap()
            .iter()
            .all(|s| s.applied_at.is_some())
    );
    again.close().await.unwrap();
    scratch.drop_database().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_flask_security_database_is_adopted() {
    adopt_on("PORTCULLIS_TEST_POSTGRES_URL", Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_flask_security_database_is_adopted() {
    adopt_on("PORTCULLIS_TEST_MYSQL_URL", Dialect::MySql).await;
}
