//! Opening the database a real Flask-Security 5.9.2 app left behind
//! (`fixtures/flask_security_fsqla_v3.sqlite`, users and secrets in the
//! sidecar JSON): every user's password, roles, permissions and state are
//! read; grace's TOTP secret decrypts; migrating adopts the schema without
//! changing a row, and migrating again changes nothing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use portcullis_core::{ConfigLoader, RoleStore, UserStore};
use portcullis_sqlite::{SqliteConfig, SqliteStore};
use rusqlite::Connection;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn copy_fixture() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-fixture-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("flask.sqlite");
    std::fs::copy(fixture("flask_security_fsqla_v3.sqlite"), &db).unwrap();
    (dir, db)
}

/// Every table's schema and rows, as text.
fn snapshot(db: &PathBuf) -> Vec<String> {
    let c = Connection::open(db).unwrap();
    let mut out = Vec::new();
    let mut tables = c
        .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        .unwrap();
    let rows: Vec<(String, String)> = tables
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, sql) in rows {
        out.push(sql.clone());
        if sql.starts_with("CREATE TABLE") && name != "portcullis_migrations" {
            out.extend(table_rows(&c, &name, None));
        }
    }
    out
}

/// A table's rows, limited to `columns` when given.
fn table_rows(c: &Connection, table: &str, columns: Option<&[String]>) -> Vec<String> {
    let cols = columns.map_or("*".to_owned(), |c| c.join(", "));
    let mut stmt = c
        .prepare(&format!("SELECT {cols} FROM \"{table}\" ORDER BY rowid"))
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn columns(c: &Connection, table: &str) -> Vec<String> {
    let mut stmt = c.prepare("SELECT name FROM pragma_table_info(?1)").unwrap();
    stmt.query_map([table], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flask_security_user_carries_on() {
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("flask_security_fsqla_v3.json")).unwrap(),
    )
    .unwrap();
    let (dir, db) = copy_fixture();

    // What Flask-Security wrote, before Portcullis touches it.
    let before: Vec<(String, Vec<String>, Vec<String>)> = {
        let c = Connection::open(&db).unwrap();
        ["user", "role", "roles_users", "web_authn"]
            .iter()
            .map(|t| {
                let cols = columns(&c, t);
                let rows = table_rows(&c, t, Some(&cols));
                ((*t).to_owned(), cols, rows)
            })
            .collect()
    };

    let store = SqliteStore::open(SqliteConfig::file(&db)).await.unwrap();
    assert!(
        store.migration_report().adopted,
        "the Flask-Security database is recognised"
    );
    assert_eq!(store.migration_report().applied, [1, 2, 3, 4, 5, 6, 7]);

    // Nothing Flask-Security wrote has changed.
    {
        let c = Connection::open(&db).unwrap();
        for (table, cols, rows) in &before {
            assert_eq!(
                &table_rows(&c, table, Some(cols)),
                rows,
                "rows of {table} changed"
            );
        }
    }

    // The same settings the Flask app ran with.
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

    let mut users: Vec<Value> = meta["users"].as_array().unwrap().clone();
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
        if let Some(scheme) = expected.get("scheme").and_then(Value::as_str) {
            assert_eq!(
                hasher.context().identify(&stored).unwrap().name(),
                scheme,
                "{email} scheme"
            );
        }
        let ok = hasher
            .verify_password(expected["password"].as_str().unwrap(), &stored)
            .unwrap();
        assert!(ok.matches, "{email}'s password verifies");
        assert!(
            !hasher
                .verify_password("Wrong-Passw0rd-2026", &stored)
                .unwrap()
                .matches
        );
        if let Some(key) = expected.get("totp_b32_key").and_then(Value::as_str) {
            assert_eq!(
                user.tf_primary_method.as_deref(),
                expected["tf_primary_method"].as_str()
            );
            let secret = totp
                .load(user.tf_totp_secret.as_ref().unwrap().expose())
                .unwrap();
            assert_eq!(secret.base32_key(), key, "{email}'s authenticator key");
            let now = 1_800_000_000;
            assert!(secret.verify(&secret.code_at(now), now, 0).is_some());
        }
        // Existing users keep their session identity; tokens name fs_uniquifier.
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
    let admin_role = store.find_role("admin").await.unwrap().unwrap();
    assert!(admin_role.permissions.contains(&"admin-write".to_owned()));

    // Migrating again changes nothing at all.
    let once = snapshot(&db);
    drop(store);
    let again = SqliteStore::open(SqliteConfig::file(&db)).await.unwrap();
    assert!(!again.migration_report().adopted);
    assert!(again.migration_report().applied.is_empty());
    assert_eq!(again.migrate().await.unwrap().applied, Vec::<i64>::new());
    assert_eq!(snapshot(&db), once);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portcullis_writes_flask_security_can_read() {
    // A user Portcullis creates in the adopted database has the row shape
    // Flask-Security's own users have (text datetimes, integer booleans).
    let (dir, db) = copy_fixture();
    let store = SqliteStore::open(SqliteConfig::file(&db)).await.unwrap();
    let u = store
        .create_user(portcullis_core::NewUser {
            roles: vec!["user".into()],
            ..portcullis_core::NewUser::new("new@example.com", None)
        })
        .await
        .unwrap();
    store
        .record_login(u.id, Some("127.0.0.1"), chrono::Utc::now())
        .await
        .unwrap();
    let c = Connection::open(&db).unwrap();
    let (active, created, login): (String, String, String) = c
        .query_row("SELECT typeof(active), typeof(create_datetime), current_login_at FROM user WHERE email = 'new@example.com'", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    assert_eq!((active.as_str(), created.as_str()), ("integer", "text"));
    assert_eq!(login.len(), "2026-11-23 10:13:19.150040".len());
    let _ = std::fs::remove_dir_all(dir);
}
