//! Runs the built `portcullis` binary against temporary SQLite databases
//! (and scratch PostgreSQL / MariaDB databases when
//! `PORTCULLIS_TEST_POSTGRES_URL` / `PORTCULLIS_TEST_MYSQL_URL` are set):
//! every command, and its failures with their exit codes.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

struct Db {
    dir: PathBuf,
    /// A server database instead of the SQLite file.
    server_url: Option<String>,
}

impl Db {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "portcullis-cli-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let config = "SECRET_KEY = \"cli-test-secret\"\nSECURITY_PASSWORD_SALT = \"cli-test-salt\"\nSECURITY_PASSWORD_HASH_PASSLIB_OPTIONS = { argon2__memory_cost = 1024, argon2__time_cost = 1, argon2__parallelism = 1 }\n";
        std::fs::write(dir.join("portcullis.toml"), config).unwrap();
        Self {
            dir,
            server_url: None,
        }
    }

    fn on_server(url: &str) -> Self {
        let mut db = Self::new();
        db.server_url = Some(url.to_owned());
        db
    }

    fn url(&self) -> String {
        self.server_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.dir.join("test.db").display()))
    }

    fn config(&self) -> String {
        self.dir.join("portcullis.toml").display().to_string()
    }

    /// Runs `portcullis --database-url … --config … <args>`.
    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None)
    }

    fn run_with(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut full = vec![
            "--database-url".to_owned(),
            self.url(),
            "--config".to_owned(),
            self.config(),
        ];
        full.extend(args.iter().map(|s| (*s).to_owned()));
        run_raw(&full, stdin)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let r = self.run(&full);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos) * 1000 + NEXT.fetch_add(1, Ordering::SeqCst)
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_raw(args: &[String], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SECRET_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
}

fn fails(r: &Run, code: i32, says: &str) {
    assert_eq!(r.code, code, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(says),
        "expected {says:?} in: {}",
        r.stderr
    );
}

#[test]
fn migrations_and_database_errors() {
    let db = Db::new();
    fails(&db.run(&["users", "list"]), 6, "does not exist");
    let r = db.run(&["db", "migrate"]);
    ok(&r);
    assert!(
        r.stdout
            .contains("applied migrations [1, 2, 3, 4, 5, 6, 7]")
    );
    assert!(db.run(&["db", "migrate"]).stdout.contains("up to date"));
    let status = db.json(&["db", "status"]);
    assert_eq!(status.as_array().unwrap().len(), 7);
    assert!(status[2]["applied_at"].is_string());
    fails(
        &run_raw(&["users".into(), "list".into()], None),
        7,
        "no database given",
    );
    fails(
        &run_raw(
            &[
                "--database-url".into(),
                "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=300".into(),
                "users".into(),
                "list".into(),
            ],
            None,
        ),
        6,
        "cannot reach MongoDB",
    );
    // A server that does not answer: unavailable, exit 6.
    fails(
        &run_raw(
            &[
                "--database-url".into(),
                "postgres://nobody@127.0.0.1:1/x".into(),
                "users".into(),
                "list".into(),
            ],
            None,
        ),
        6,
        "cannot reach the database",
    );
    fails(
        &run_raw(
            &[
                "--database-url".into(),
                "ftp://x".into(),
                "roles".into(),
                "list".into(),
            ],
            None,
        ),
        7,
        "scheme Portcullis does not know",
    );
    // A usage error is clap's exit code 2.
    assert_eq!(db.run(&["users", "frobnicate"]).code, 2);
}

#[test]
fn roles_commands() {
    let db = Db::new();
    ok(&db.run(&["db", "migrate"]));
    ok(&db.run(&[
        "roles",
        "create",
        "admin",
        "--description",
        "Admins",
        "--permissions",
        "admin-read,admin-write",
    ]));
    fails(&db.run(&["roles", "create", "admin"]), 4, "already exists");
    fails(
        &db.run(&["roles", "create", &"r".repeat(81)]),
        5,
        "longer than 80",
    );
    ok(&db.run(&["roles", "create", "user"]));
    let r = db.json(&["roles", "add-permissions", "user", "user-read,user-write"]);
    assert_eq!(
        r["permissions"],
        serde_json::json!(["user-read", "user-write"])
    );
    let r = db.json(&["roles", "remove_permissions", "user", "user-write"]);
    assert_eq!(r["permissions"], serde_json::json!(["user-read"]));
    ok(&db.run(&["roles", "add_permissions", "user", "user-list"]));
    fails(
        &db.run(&["roles", "add-permissions", "ghost", "x"]),
        3,
        "no role \"ghost\"",
    );
    let list = db.json(&["roles", "list"]);
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["admin", "user"]
    );
    ok(&db.run(&[
        "users",
        "create",
        "u@example.com",
        "--password",
        "User-Passw0rd-2026",
    ]));
    let r = db.run(&["roles", "add", "u@example.com", "admin"]);
    ok(&r);
    assert!(r.stdout.contains("now has role admin"));
    assert!(
        db.run(&["roles", "add", "u@example.com", "admin"])
            .stdout
            .contains("already had")
    );
    fails(
        &db.run(&["roles", "add", "nobody@example.com", "admin"]),
        3,
        "no user",
    );
    fails(
        &db.run(&["roles", "add", "u@example.com", "ghost"]),
        3,
        "no role",
    );
    assert!(
        db.run(&["roles", "remove", "u@example.com", "admin"])
            .stdout
            .contains("no longer has role admin")
    );
    ok(&db.run(&["roles", "add", "u@example.com", "user"]));
    ok(&db.run(&["roles", "delete", "user"]));
    fails(&db.run(&["roles", "delete", "user"]), 3, "no role");
    assert_eq!(
        db.json(&["users", "show", "u@example.com"])["roles"],
        serde_json::json!([])
    );
}

#[test]
fn users_create_and_its_refusals() {
    let db = Db::new();
    ok(&db.run(&["db", "migrate"]));
    ok(&db.run(&[
        "roles",
        "create",
        "admin",
        "--permissions",
        "admin-read,admin-write",
    ]));
    let r = db.run(&[
        "users",
        "create",
        "Admin@Example.com",
        "--password",
        "Admin-Passw0rd-123",
        "--active",
        "--confirmed",
        "--role",
        "admin",
        "--username",
        "boss",
    ]);
    ok(&r);
    let u = db.json(&["users", "show", "admin@example.com"]);
    assert_eq!(u["email"], "Admin@example.com");
    assert_eq!(u["active"], true);
    assert!(u["confirmed_at"].is_string());
    assert_eq!(
        u["permissions"],
        serde_json::json!(["admin-read", "admin-write"])
    );
    assert_eq!(db.json(&["users", "show", "boss"])["id"], u["id"]);
    assert_eq!(
        db.json(&["users", "show", &format!("#{}", u["id"])])["email"],
        "Admin@example.com"
    );
    // Refusals, each leaving nothing behind.
    fails(
        &db.run(&[
            "users",
            "create",
            "ADMIN@example.com",
            "--password",
            "Other-Passw0rd-1",
        ]),
        4,
        "already exists",
    );
    fails(
        &db.run(&[
            "users",
            "create",
            "new@example.com",
            "--password",
            "Other-Passw0rd-1",
            "--role",
            "ghost",
        ]),
        3,
        "roles create ghost",
    );
    fails(
        &db.run(&[
            "users",
            "create",
            "not-an-email",
            "--password",
            "Other-Passw0rd-1",
        ]),
        5,
        "Invalid email address",
    );
    fails(
        &db.run(&["users", "create", "new@example.com", "--password", "short"]),
        5,
        "at least 8 characters",
    );
    fails(
        &db.run(&[
            "users",
            "create",
            "new@example.com",
            "--password",
            "Other-Passw0rd-1",
            "--username",
            "x!",
        ]),
        5,
        "username",
    );
    assert_eq!(db.json(&["users", "list"]).as_array().unwrap().len(), 1);
    // Inactive by default, as Flask-Security's CLI; the password may come on stdin.
    let r = db.run_with(
        &["users", "create", "piped@example.com"],
        Some("Piped-Passw0rd-1\nPiped-Passw0rd-1\n"),
    );
    ok(&r);
    assert!(r.stdout.contains("(inactive)"));
    fails(
        &db.run_with(
            &["users", "create", "typo@example.com"],
            Some("Piped-Passw0rd-1\nPiped-Passw0rd-2\n"),
        ),
        5,
        "differ",
    );
    fails(
        &db.run_with(&["users", "create", "empty@example.com"], Some("")),
        5,
        "no password given",
    );
    // Hashing needs the application's settings.
    let r = run_raw(
        &[
            "--database-url".into(),
            db.url(),
            "users".into(),
            "create".into(),
            "nocfg@example.com".into(),
            "--password".into(),
            "Other-Passw0rd-1".into(),
        ],
        None,
    );
    fails(&r, 7, "SECRET_KEY");
    // JSON errors.
    let r = db.run(&["--json", "users", "show", "nobody@example.com"]);
    assert_eq!(r.code, 3);
    let e: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(e["exit_code"], 3);
    assert!(e["error"].as_str().unwrap().contains("no user"));
}

#[test]
fn users_state_commands() {
    let db = Db::new();
    ok(&db.run(&["db", "migrate"]));
    ok(&db.run(&["roles", "create", "staff"]));
    for (i, active) in [(1, true), (2, false), (3, true)] {
        let email = format!("u{i}@example.com");
        let mut args = vec![
            "users",
            "create",
            email.as_str(),
            "--password",
            "Some-Passw0rd-2026",
        ];
        if active {
            args.push("--active");
        }
        if i != 2 {
            args.extend(["--role", "staff"]);
        }
        ok(&db.run(&args));
    }
    let ids = |v: Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(db.json(&["users", "list", "--inactive"])),
        ["u2@example.com"]
    );
    assert_eq!(
        ids(db.json(&["users", "list", "--role", "staff"])),
        ["u1@example.com", "u3@example.com"]
    );
    assert_eq!(
        ids(db.json(&["users", "list", "--offset", "1", "--limit", "1"])),
        ["u2@example.com"]
    );
    fails(&db.run(&["users", "list", "--role", "ghost"]), 3, "no role");
    assert!(db.run(&["users", "list", "--active", "--inactive"]).code == 2);

    assert!(
        db.run(&["users", "activate", "u2@example.com"])
            .stdout
            .contains("is now active")
    );
    assert!(
        db.run(&["users", "activate", "u2@example.com"])
            .stdout
            .contains("already active")
    );
    assert!(
        db.run(&["users", "deactivate", "u1@example.com"])
            .stdout
            .contains("is now inactive")
    );
    assert_eq!(
        db.json(&["users", "show", "u1@example.com"])["active"],
        false
    );
    fails(
        &db.run(&["users", "deactivate", "ghost@example.com"]),
        3,
        "no user",
    );

    ok(&db.run(&["users", "reset-access", "u3@example.com"]));
    ok(&db.run(&["users", "reset_access", "u3@example.com"]));
    let r = db.run(&[
        "users",
        "change-password",
        "u3@example.com",
        "--password",
        "Brand-New-Passw0rd",
    ]);
    ok(&r);
    assert!(new_password_verifies(
        &db,
        "u3@example.com",
        "Brand-New-Passw0rd"
    ));
    fails(
        &db.run(&[
            "users",
            "change_password",
            "u3@example.com",
            "--password",
            "short",
        ]),
        5,
        "at least 8",
    );
    fails(
        &db.run(&[
            "users",
            "change-password",
            "ghost@example.com",
            "--password",
            "Brand-New-Passw0rd",
        ]),
        3,
        "no user",
    );

    ok(&db.run(&["users", "delete", "u2@example.com"]));
    fails(&db.run(&["users", "show", "u2@example.com"]), 3, "no user");
    fails(
        &db.run(&["users", "delete", "u2@example.com"]),
        3,
        "no user",
    );
    fails(&db.run(&["users", "show", "#abc"]), 5, "not a user id");
}

#[test]
fn adopts_and_manages_a_flask_security_database() {
    let db = Db::new();
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../portcullis-sqlite/tests/fixtures/flask_security_fsqla_v3.sqlite");
    std::fs::copy(fixture, db.dir.join("test.db")).unwrap();
    fails(
        &db.run(&["users", "list"]),
        7,
        "run `portcullis db migrate` first",
    );
    assert!(
        db.run(&["db", "migrate"])
            .stdout
            .contains("adopted the existing Flask-Security database")
    );
    let users = db.json(&["users", "list"]);
    assert_eq!(users.as_array().unwrap().len(), 8);
    assert_eq!(
        db.json(&["users", "show", "carol@example.com"])["roles"],
        serde_json::json!(["admin", "user"])
    );
    assert_eq!(
        db.json(&["users", "list", "--inactive"])[0]["email"],
        "erin@example.com"
    );
    // reset-access clears the second factors a Flask-Security user set up.
    let (before, _) = second_factors(&db, "grace@example.com");
    assert_eq!(before.as_deref(), Some("authenticator"));
    seed_recovery_codes(&db, "grace@example.com");
    ok(&db.run(&["users", "reset-access", "grace@example.com"]));
    let (after, codes) = second_factors(&db, "grace@example.com");
    assert_eq!(after, None, "the authenticator is gone");
    assert_eq!(codes, 0, "the recovery codes are gone");
}

#[test]
fn shows_and_removes_the_keys_flask_security_registered() {
    let db = Db::new();
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../portcullis-sqlite/tests/fixtures/webauthn/flask_security_webauthn.sqlite");
    std::fs::copy(fixture, db.dir.join("test.db")).unwrap();
    ok(&db.run(&["db", "migrate"]));
    let kim = db.json(&["users", "show", "kim@example.com"]);
    let keys = kim["webauthn"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{kim}");
    assert_eq!(keys[0]["name"], "key-secondary");
    assert_eq!(keys[0]["usage"], "secondary");
    assert_eq!(keys[0]["transports"], serde_json::json!(["usb"]));
    assert!(keys[0].get("public_key").is_none());
    let human = db.run(&["users", "show", "kim@example.com"]).stdout;
    assert!(human.contains("key-secondary"), "{human}");
    let r = db.run(&["users", "reset-access", "kim@example.com"]);
    ok(&r);
    assert!(r.stdout.contains("WebAuthn keys removed"), "{}", r.stdout);
    let kim = db.json(&["users", "show", "kim@example.com"]);
    assert_eq!(kim["webauthn"], serde_json::json!([]));
    // Lee's passkey is untouched.
    let lee = db.json(&["users", "show", "lee@example.com"]);
    assert_eq!(lee["webauthn"][0]["usage"], "first");
}

/// Runs `f` with the test database's store (outside the CLI).
fn with_store<T, F: std::future::Future<Output = T>>(
    db: &Db,
    f: impl FnOnce(portcullis_sqlite::SqliteStore) -> F,
) -> T {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = portcullis_sqlite::SqliteStore::open_url(&db.url())
            .await
            .unwrap();
        f(store).await
    })
}

/// The user's two-factor method and how many recovery codes they have.
fn second_factors(db: &Db, email: &str) -> (Option<String>, usize) {
    use portcullis_core::UserStore;
    with_store(db, |store| async move {
        let u = store.find_user_by_email(email).await.unwrap().unwrap();
        assert_eq!(u.tf_primary_method.is_some(), u.tf_totp_secret.is_some());
        (
            u.tf_primary_method,
            u.mf_recovery_codes.map_or(0, |c| c.len()),
        )
    })
}

fn seed_recovery_codes(db: &Db, email: &str) {
    use portcullis_core::UserStore;
    with_store(db, |store| async move {
        let u = store.find_user_by_email(email).await.unwrap().unwrap();
        let patch = portcullis_core::UserPatch {
            mf_recovery_codes: Some(Some(vec!["aaaa-bbbb-cccc".into()])),
            ..Default::default()
        };
        store.update_user(u.id, patch).await.unwrap();
    });
}

/// Reads the stored hash back and checks it with the application's settings.
fn new_password_verifies(db: &Db, email: &str, password: &str) -> bool {
    use portcullis_core::UserStore;
    with_store(db, |store| async move {
        let user = store.find_user_by_email(email).await.unwrap().unwrap();
        let (config, _) = portcullis_core::ConfigLoader::new()
            .toml_file(db.config())
            .unwrap()
            .build()
            .unwrap();
        let hasher = config.password_hasher().unwrap();
        let stored = user.password.unwrap();
        hasher
            .verify_password(password, stored.expose())
            .unwrap()
            .matches
            && !hasher
                .verify_password("Some-Passw0rd-2026", stored.expose())
                .unwrap()
                .matches
    })
}

/// The commands on a server database: refused before migrating, then
/// migrate, roles, users, filters, and the same exit codes as on SQLite.
async fn on_server(var: &str) {
    let Ok(server) = std::env::var(var) else {
        portcullis_testkit::skip(&format!(
            "{var} is not set, so the CLI was not run against that server (.ci/run sets it)"
        ));
        return;
    };
    let scratch = portcullis_seaorm::scratch::ScratchDb::create(&server)
        .await
        .unwrap();
    let url = scratch.url().to_owned();
    tokio::task::spawn_blocking(move || {
        let db = Db::on_server(&url);
        fails(&db.run(&["users", "list"]), 7, "needs migrations");
        let r = db.run(&["db", "migrate"]);
        ok(&r);
        assert!(
            r.stdout
                .contains("applied migrations [1, 2, 3, 4, 5, 6, 7]"),
            "{}",
            r.stdout
        );
        assert!(db.run(&["db", "migrate"]).stdout.contains("up to date"));
        assert_eq!(db.json(&["db", "status"]).as_array().unwrap().len(), 7);
        ok(&db.run(&["roles", "create", "staff"]));
        fails(&db.run(&["roles", "create", "staff"]), 4, "already exists");
        ok(&db.run(&[
            "users",
            "create",
            "u1@example.com",
            "--password",
            "Some-Passw0rd-2026",
            "--active",
            "--role",
            "staff",
        ]));
        ok(&db.run(&[
            "users",
            "create",
            "u2@example.com",
            "--password",
            "Some-Passw0rd-2026",
        ]));
        fails(
            &db.run(&[
                "users",
                "create",
                "U1@EXAMPLE.COM",
                "--password",
                "Some-Passw0rd-2026",
            ]),
            4,
            "already exists",
        );
        let emails = |v: Value| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            emails(db.json(&["users", "list", "--role", "staff"])),
            ["u1@example.com"]
        );
        assert_eq!(
            emails(db.json(&["users", "list", "--inactive"])),
            ["u2@example.com"]
        );
        fails(
            &db.run(&["roles", "add", "nobody@example.com", "staff"]),
            3,
            "",
        );
    })
    .await
    .unwrap();
    scratch.drop_database().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_on_postgres() {
    on_server("PORTCULLIS_TEST_POSTGRES_URL").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_on_mariadb() {
    on_server("PORTCULLIS_TEST_MYSQL_URL").await;
}

/// `users unlock` ends a lock the attempt limits put on an account (here
/// set in the database's attempt store as a locked-out login would).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_unlock_ends_an_account_lock() {
    use portcullis_core::flows::attempt_keys;
    use portcullis_core::store::AttemptStore;
    let db = Db::new();
    let created = {
        let db = &db;
        tokio::task::block_in_place(|| {
            ok(&db.run(&["db", "migrate"]));
            db.json(&[
                "users",
                "create",
                "locked@example.com",
                "--password",
                "Some-Passw0rd-2026",
                "--active",
            ])
        })
    };
    let id = created["id"].as_i64().unwrap();
    let store = portcullis_sqlite::SqliteStore::open_url(&db.url())
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let lock = attempt_keys::account_lock(id);
    assert!(
        store
            .raise(&lock, 1, now + chrono::TimeDelta::hours(1), now)
            .await
            .unwrap()
    );
    let out = tokio::task::block_in_place(|| db.json(&["users", "unlock", "locked@example.com"]));
    assert_eq!(out["was_locked"], true, "{out}");
    assert!(
        store
            .get(&lock, chrono::Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    let again = tokio::task::block_in_place(|| db.run(&["users", "unlock", "locked@example.com"]));
    ok(&again);
    assert!(again.stdout.contains("was not locked"), "{}", again.stdout);
}

/// `users sessions` lists a user's web sessions by handle, `users
/// end-sessions` ends them (others' stay).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_sessions_lists_and_ends_web_sessions() {
    use portcullis_core::store::{SessionRecord, SessionStore, session_handle};
    let db = Db::new();
    use portcullis_core::UserStore;
    tokio::task::block_in_place(|| {
        ok(&db.run(&["db", "migrate"]));
        for e in ["web@example.com", "other@example.com"] {
            ok(&db.run(&[
                "users",
                "create",
                e,
                "--password",
                "Some-Passw0rd-2026",
                "--active",
            ]));
        }
    });
    let store = portcullis_sqlite::SqliteStore::open_url(&db.url())
        .await
        .unwrap();
    let mine = store
        .find_user_by_email("web@example.com")
        .await
        .unwrap()
        .unwrap();
    let theirs = store
        .find_user_by_email("other@example.com")
        .await
        .unwrap()
        .unwrap();
    let state = |u: &str| {
        serde_json::json!({"portcullis": {"_user_id": u, "portcullis_client_addr": "192.0.2.7"}})
            .as_object()
            .unwrap()
            .clone()
    };
    let later = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    for (id, u) in [("s-one", &mine), ("s-two", &mine), ("s-three", &theirs)] {
        store
            .create_session(&SessionRecord {
                id: id.into(),
                data: state(&u.fs_uniquifier),
                expires_at: later,
                user: Some(u.fs_uniquifier.clone()),
            })
            .await
            .unwrap();
    }
    let listed = tokio::task::block_in_place(|| db.json(&["users", "sessions", "web@example.com"]));
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{listed}");
    assert_eq!(rows[0]["address"], "192.0.2.7");
    assert!(
        rows.iter()
            .any(|r| r["id"] == session_handle("s-one").as_str())
    );
    assert!(!listed.to_string().contains("s-one"), "no session id shown");
    let ended =
        tokio::task::block_in_place(|| db.json(&["users", "end-sessions", "web@example.com"]));
    assert_eq!(ended["ended"], 2);
    let now = chrono::Utc::now();
    assert!(store.load_session("s-one", now).await.unwrap().is_none());
    assert!(store.load_session("s-three", now).await.unwrap().is_some());
}
