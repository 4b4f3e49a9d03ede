//! The tasks themselves. Only std: xtask must build fast.

use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T = ()> = std::result::Result<T, String>;

pub(crate) fn root_dir() -> PathBuf {
    root()
}

pub(crate) fn cargo_cmd() -> Command {
    cargo()
}

pub(crate) fn run_step(what: &str, cmd: &mut Command) -> Result {
    run(what, cmd)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    // `cargo xtask` runs this binary with the variables Cargo sets for a
    // crate (CARGO_PKG_NAME=xtask, CARGO_MANIFEST_DIR, …). Build scripts
    // that watch them (ring's, for one, with `rerun-if-env-changed`) would
    // see them change and rebuild, with every crate above them: a nested
    // cargo gets the environment a cargo typed at the shell would.
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy();
        let set_for_crates = n.starts_with("CARGO_PKG_")
            || n.starts_with("CARGO_MANIFEST_")
            || matches!(
                n.as_ref(),
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "OUT_DIR"
            );
        if set_for_crates {
            c.env_remove(&name);
        }
    }
    c
}

fn run(what: &str, cmd: &mut Command) -> Result {
    println!("==> {what}");
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

pub(crate) fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Crates that must never appear under the framework-free layers.
const FORBIDDEN_IN_CORE: &[&str] = &[
    "tokio",
    "axum",
    "actix-web",
    "actix-http",
    "hyper",
    "tower",
    "tower-sessions",
    "http",
    "rusqlite",
    "libsqlite3-sys",
    "sqlx",
    "sqlx-core",
    "sea-orm",
    "mongodb",
    "redis",
    "reqwest",
    "lettre",
];

/// Web frameworks and their plumbing: only adapters (and what combines
/// them: the facade, the CLI, examples, tests) may see them.
const FRAMEWORKS: &[&str] = &[
    "axum",
    "axum-core",
    "actix-web",
    "actix-http",
    "hyper",
    "tower",
    "tower-sessions",
    "portcullis-axum",
    "portcullis-actix",
];

/// Storage drivers and backends: adapters never see them.
const STORAGE: &[&str] = &[
    "portcullis-memory",
    "portcullis-sqlite",
    "portcullis-seaorm",
    "portcullis-mongodb",
    "portcullis-redis",
    "rusqlite",
    "libsqlite3-sys",
    "sqlx",
    "sqlx-core",
    "sea-orm",
    "mongodb",
    "redis",
];

/// Which crate may not depend (through normal dependencies) on which.
fn boundary_rules() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    let mut rules = vec![
        (
            "portcullis-crypto",
            FORBIDDEN_IN_CORE.to_vec(),
            "it must stay free of web frameworks, database drivers and async runtimes",
        ),
        (
            "portcullis-core",
            FORBIDDEN_IN_CORE.to_vec(),
            "it must stay free of web frameworks, database drivers and async runtimes",
        ),
        (
            "portcullis-http",
            [FRAMEWORKS, STORAGE].concat(),
            "the HTTP layer is framework- and storage-neutral",
        ),
        (
            "portcullis-mail",
            [FRAMEWORKS, STORAGE].concat(),
            "mailers see neither frameworks nor stores",
        ),
    ];
    for store in [
        "portcullis-memory",
        "portcullis-sqlite",
        "portcullis-seaorm",
        "portcullis-mongodb",
        "portcullis-redis",
        "portcullis-testkit",
    ] {
        let mut forbidden = FRAMEWORKS.to_vec();
        forbidden.push("portcullis-http");
        rules.push((store, forbidden, "datastores never see adapters"));
    }
    // OAuth providers speak HTTP as a client (reqwest, hence hyper), but
    // see no server framework, adapter, web layer or store.
    let mut oauth = STORAGE.to_vec();
    oauth.extend([
        "axum",
        "actix-web",
        "portcullis-axum",
        "portcullis-actix",
        "portcullis-http",
    ]);
    rules.push((
        "portcullis-oauth",
        oauth,
        "providers see neither frameworks, the web layer nor stores",
    ));
    for adapter in ["portcullis-axum", "portcullis-actix"] {
        rules.push((adapter, STORAGE.to_vec(), "adapters never see datastores"));
    }
    rules
}

pub(crate) fn check_boundaries() -> Result {
    println!("==> dependency boundaries");
    for (krate, forbidden, why) in boundary_rules() {
        let tree = output(cargo().args([
            "tree", "-p", krate, "-e", "normal", "--prefix", "none", "--format", "{p}",
        ]))?;
        let names: Vec<&str> = tree
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let bad: Vec<&&str> = forbidden.iter().filter(|f| names.contains(f)).collect();
        if !bad.is_empty() {
            return Err(format!("{krate} depends on {bad:?}: {why}"));
        }
        println!("    {krate}: {} crates, none forbidden", names.len());
    }
    // One libsqlite3-sys for the whole graph (rusqlite and sqlx share the `links` key).
    let dups = output(cargo().args([
        "tree",
        "--workspace",
        "-d",
        "--prefix",
        "none",
        "--format",
        "{p}",
        "-e",
        "normal,build",
    ]))?;
    if dups.lines().any(|l| l.starts_with("libsqlite3-sys ")) {
        return Err("two versions of libsqlite3-sys in the graph: keep rusqlite pinned to what sqlx accepts".into());
    }
    Ok(())
}

pub(crate) fn ci(args: &[String]) -> Result {
    let skip_tests = args.iter().any(|a| a == "--skip-tests");
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    run(
        "cargo clippy -D warnings",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run(
        "cargo clippy (danger-plaintext)",
        cargo().args([
            "clippy",
            "-p",
            "portcullis-crypto",
            "--all-targets",
            "--features",
            "danger-plaintext",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    if !skip_tests {
        run(
            "cargo test --workspace",
            cargo().args(["test", "--workspace"]),
        )?;
    }
    run(
        "cargo test (danger-plaintext)",
        cargo().args([
            "test",
            "-p",
            "portcullis-crypto",
            "--features",
            "danger-plaintext",
        ]),
    )?;
    check_boundaries()?;
    crate::features::check_feature_sets()
}

/// Every criterion benchmark: (crate, bench target).
const BENCHES: &[(&str, &str)] = &[
    ("portcullis-crypto", "crypto"),
    ("portcullis-sqlite", "datastore"),
    // What attempt limits add to a login (docs/benchmarks.md).
    ("portcullis-sqlite", "login"),
    // PostgreSQL/MySQL beside SQLite when PORTCULLIS_TEST_*_URL are set.
    ("portcullis-seaorm", "datastore"),
];

pub(crate) fn bench(args: &[String]) -> Result {
    let load_only = args.iter().any(|a| a == "--load");
    let criterion_only = args.iter().any(|a| a == "--criterion");
    let rest: Vec<&String> = args
        .iter()
        .filter(|a| *a != "--load" && *a != "--criterion")
        .collect();
    if !load_only {
        for (krate, target) in BENCHES {
            let mut c = cargo();
            c.args(["bench", "-p", krate, "--bench", target, "--"])
                .args(&rest);
            run(&format!("criterion: {krate}/{target}"), &mut c)?;
        }
    }
    if !criterion_only {
        crate::load::run()?;
    }
    Ok(())
}

/// A backend whose conformance suite `cargo xtask conformance` runs.
struct Backend {
    name: &'static str,
    krate: &'static str,
    test: &'static str,
    /// The variable naming the server it needs, if any.
    server: Option<&'static str>,
}

const BACKENDS: &[Backend] = &[
    Backend {
        name: "memory",
        krate: "portcullis-memory",
        test: "memory_conformance",
        server: None,
    },
    Backend {
        name: "sqlite",
        krate: "portcullis-sqlite",
        test: "sqlite_conformance",
        server: None,
    },
    Backend {
        name: "json-file",
        krate: "custom-datastore",
        test: "json_file_conformance",
        server: None,
    },
    Backend {
        name: "seaorm-sqlite",
        krate: "portcullis-seaorm",
        test: "seaorm_sqlite_conformance",
        server: None,
    },
    Backend {
        name: "seaorm-postgres",
        krate: "portcullis-seaorm",
        test: "seaorm_postgres_conformance",
        server: Some("PORTCULLIS_TEST_POSTGRES_URL"),
    },
    Backend {
        name: "seaorm-mysql",
        krate: "portcullis-seaorm",
        test: "seaorm_mysql_conformance",
        server: Some("PORTCULLIS_TEST_MYSQL_URL"),
    },
    Backend {
        name: "redis",
        krate: "portcullis-redis",
        test: "redis_conformance",
        server: Some("PORTCULLIS_TEST_REDIS_URL"),
    },
    Backend {
        name: "mongodb",
        krate: "portcullis-mongodb",
        test: "mongodb_conformance",
        // A real MongoDB, or mongoeco as `.ci/run` starts it.
        server: Some("PORTCULLIS_TEST_MONGODB_URL"),
    },
];

/// `cargo xtask conformance <backend|all> [--require]`: with `--require`,
/// a backend whose server variable is unset fails instead of skipping.
pub(crate) fn conformance(args: &[String]) -> Result {
    let require = args.iter().any(|a| a == "--require");
    let names: Vec<&str> = BACKENDS.iter().map(|b| b.name).collect();
    let wanted: Vec<&str> = match args.iter().find(|a| *a != "--require").map(String::as_str) {
        Some("all") => names.clone(),
        Some(b) => vec![b],
        None => return Err(format!("name a backend: {} or all", names.join(", "))),
    };
    let mut tests = Vec::new();
    for name in wanted {
        let backend = BACKENDS
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| format!("unknown backend {name:?} (known: {})", names.join(", ")))?;
        match backend.server {
            Some(var) if std::env::var_os(var).is_none() => {
                if require {
                    return Err(format!(
                        "conformance {name}: {var} is not set (it names the server to test against)"
                    ));
                }
                println!(
                    "conformance {name}: SKIPPED, {var} is not set (its mapping tests ran in cargo test)"
                );
                continue;
            }
            Some(var) => {
                println!(
                    "conformance {name} ({}): on the server {var} names, a fresh database per test",
                    backend.krate
                )
            }
            None => println!(
                "conformance {name} ({}): needs nothing (a fresh store per test)",
                backend.krate
            ),
        }
        tests.push(backend.test);
    }
    if tests.is_empty() {
        return Ok(());
    }
    // One cargo for every suite: one feature resolution, so what a
    // selection of test targets rebuilds is rebuilt once, not per backend.
    let mut cmd = cargo();
    cmd.args(["test", "--workspace"]);
    for t in &tests {
        cmd.args(["--test", t]);
    }
    run(
        &format!("conformance suites: {}", tests.join(", ")),
        &mut cmd,
    )?;
    Ok(())
}

fn find_python() -> Option<String> {
    for candidate in ["python3", "python"] {
        if Command::new(candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(candidate.to_owned());
        }
    }
    None
}

pub(crate) fn interop(args: &[String]) -> Result {
    let require = args.iter().any(|a| a == "--require");
    let skip = |why: String| -> Result {
        println!("interop: SKIPPED — {why}");
        if require { Err(why) } else { Ok(()) }
    };
    let root = root();
    let python = match std::env::var("PORTCULLIS_PYTHON") {
        Ok(p) => p,
        Err(_) => {
            let Some(system) = find_python() else {
                return skip("no python3 on PATH; install Python 3 (or set PORTCULLIS_PYTHON to a Python with flask-security 5.9.2)".into());
            };
            let packages = [
                "flask-security[fsqla,common,mfa]==5.9.2",
                "soft-webauthn==0.1.3",
                "flask-babel==4.0.0",
            ];
            match venv(&system, &root.join("target/interop-venv"), &packages)? {
                Some(py) => py.display().to_string(),
                None => {
                    return skip(
                        "pip could not install flask-security 5.9.2 (is PyPI reachable?)".into(),
                    );
                }
            }
        }
    };
    println!("==> Portcullis writes hashes, tokens and TOTP secrets");
    let emitted = output(cargo().args([
        "run",
        "--quiet",
        "-p",
        "portcullis-crypto",
        "--example",
        "interop_emit",
    ]))?;
    let out_dir = root.join("target/interop");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let file = out_dir.join("rust.json");
    std::fs::write(&file, emitted).map_err(|e| e.to_string())?;
    let flask_made = out_dir.join("flask.json");
    run(
        "Flask-Security 5.9.2 checks them, and issues what Portcullis must accept",
        Command::new(&python)
            .arg(root.join("xtask/interop/check.py"))
            .arg(&file)
            .arg(&flask_made),
    )?;
    run(
        "Portcullis accepts what Flask-Security issued",
        cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "portcullis-crypto",
                "--example",
                "interop_verify",
                "--",
            ])
            .arg(&flask_made),
    )?;
    let fixtures = root.join("crates/portcullis-sqlite/tests/fixtures");
    let adopted = out_dir.join("adopted.sqlite");
    std::fs::copy(fixtures.join("flask_security_fsqla_v3.sqlite"), &adopted)
        .map_err(|e| e.to_string())?;
    run(
        "Portcullis migrates the database a Flask-Security app left behind",
        cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "portcullis-sqlite",
                "--example",
                "migrate",
                "--",
            ])
            .arg(&adopted),
    )?;
    run(
        "Flask-Security 5.9.2 still runs on the migrated database",
        Command::new(&python)
            .arg(root.join("xtask/interop/check_adopted_db.py"))
            .arg(&adopted)
            .arg(fixtures.join("flask_security_fsqla_v3.json")),
    )?;
    webauthn_interop(&root, &python, &out_dir)?;
    refresh_interop(&root, &python, &out_dir)?;
    fields_interop(&root, &python, &out_dir)?;
    i18n_interop(&root, &python)
}

/// Translations: Flask-Security 5.9.2 with Flask-Babel and the todo
/// example reading the `.mo` files that Flask-Security installed answer a
/// wrong password and a password reset in `de_DE` and `ja_JP` with the
/// same texts.
fn i18n_interop(root: &std::path::Path, python: &str) -> Result {
    // The test build makes target/debug/todo (a no-op after `cargo test`).
    run(
        "build the todo example",
        cargo().args(["test", "--quiet", "--workspace", "--no-run"]),
    )?;
    run(
        "Flask-Security's catalogues, read by both, give the same texts (de_DE, ja_JP)",
        Command::new(python)
            .arg(root.join("xtask/interop/i18n_interop.py"))
            .arg(root.join("target/debug/todo")),
    )
}

/// Application fields: Flask-Security registers a user with
/// `first_name`/`last_name` through its extended form; the todo example
/// (axum) logs it in with them in `response.user` and registers another
/// with names; Flask-Security reads both back and logs both in.
fn fields_interop(root: &std::path::Path, python: &str, out_dir: &std::path::Path) -> Result {
    let script = root.join("xtask/interop/fields_interop.py");
    let dir = out_dir.join("fields");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    run(
        "Flask-Security 5.9.2 registers a user with first_name/last_name",
        Command::new(python)
            .arg(&script)
            .arg("fs-registers")
            .arg(dir.join("flask_security_fields.sqlite"))
            .arg(dir.join("flask_security_fields.json")),
    )?;
    run(
        "Portcullis logs it in with its names and registers another with names",
        cargo()
            .args([
                "test",
                "--quiet",
                "-p",
                "todo-http-suite",
                "--test",
                "axum",
                "a_flask_security_database_keeps_its_applications_fields",
            ])
            .env("PORTCULLIS_FIELDS_FIXTURE_DIR", &dir),
    )?;
    run(
        "Flask-Security 5.9.2 reads the names back and logs both users in",
        Command::new(python)
            .arg(&script)
            .arg("fs-reads")
            .arg(dir.join("portcullis-axum.sqlite")),
    )
}

/// WebAuthn keys both ways: Flask-Security registers (py_webauthn and a
/// software authenticator), Portcullis signs in with them; Portcullis
/// registers into that database, Flask-Security signs in.
fn webauthn_interop(root: &std::path::Path, python: &str, out_dir: &std::path::Path) -> Result {
    let script = root.join("xtask/interop/wan_interop.py");
    let fs_dir = out_dir.join("wan-fs");
    let _ = std::fs::remove_dir_all(&fs_dir);
    std::fs::create_dir_all(&fs_dir).map_err(|e| e.to_string())?;
    let fs_db = fs_dir.join("flask_security_webauthn.sqlite");
    let fs_meta = fs_dir.join("flask_security_webauthn.json");
    run(
        "Flask-Security 5.9.2 registers a security key and a passkey",
        Command::new(python)
            .arg(&script)
            .arg("fs-registers")
            .arg(&fs_db)
            .arg(&fs_meta),
    )?;
    run(
        "Portcullis signs in with the keys Flask-Security registered",
        cargo()
            .args([
                "test",
                "--quiet",
                "--workspace",
                "--test",
                "flask_security_webauthn",
            ])
            .env("PORTCULLIS_WAN_FIXTURE_DIR", &fs_dir),
    )?;
    let pc_db = out_dir.join("wan-portcullis.sqlite");
    let pc_keys = out_dir.join("wan-portcullis.json");
    std::fs::copy(&fs_db, &pc_db).map_err(|e| e.to_string())?;
    run(
        "Portcullis registers keys into the Flask-Security database",
        cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "portcullis-sqlite",
                "--example",
                "wan_register",
                "--",
            ])
            .arg(&pc_db)
            .arg(&fs_meta)
            .arg(&pc_keys),
    )?;
    run(
        "Flask-Security 5.9.2 signs in with the keys Portcullis registered",
        Command::new(python)
            .arg(&script)
            .arg("fs-signs-in")
            .arg(&pc_db)
            .arg(&pc_keys),
    )
}

/// Refresh tokens both ways on one Flask-Security database: Flask-Security
/// issues, Portcullis exchanges (and refuses the spent generation);
/// Portcullis moves Flask-Security's family on and starts its own,
/// Flask-Security exchanges both.
fn refresh_interop(root: &std::path::Path, python: &str, out_dir: &std::path::Path) -> Result {
    let script = root.join("xtask/interop/refresh_interop.py");
    let dir = out_dir.join("refresh");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = dir.join("flask_security_refresh.sqlite");
    let meta = dir.join("flask_security_refresh.json");
    run(
        "Flask-Security 5.9.2 issues a refresh token and exchanges it once",
        Command::new(python)
            .arg(&script)
            .arg("fs-issues")
            .arg(&db)
            .arg(&meta),
    )?;
    run(
        "Portcullis exchanges Flask-Security's refresh token and refuses its replay",
        cargo()
            .args([
                "test",
                "--quiet",
                "--workspace",
                "--test",
                "flask_security_refresh",
            ])
            .env("PORTCULLIS_REFRESH_FIXTURE_DIR", &dir),
    )?;
    let tokens = dir.join("portcullis_tokens.json");
    run(
        "Portcullis moves Flask-Security's family on and starts its own",
        cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "portcullis-sqlite",
                "--example",
                "refresh_interop",
                "--",
            ])
            .arg(&db)
            .arg(&meta)
            .arg(&tokens),
    )?;
    run(
        "Flask-Security 5.9.2 exchanges the refresh tokens Portcullis issued",
        Command::new(python)
            .arg(&script)
            .arg("fs-accepts")
            .arg(&db)
            .arg(&tokens),
    )
}

/// The Python of a venv at `dir` holding `packages` (exact pins), made
/// once: a marker file names what was installed, so a changed list
/// installs again. `None` when pip could not install them.
fn venv(system: &str, dir: &Path, packages: &[&str]) -> Result<Option<PathBuf>> {
    let py = dir.join("bin/python");
    let marker = dir.join(".installed");
    let want = packages.join("\n");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == want) {
        return Ok(Some(py));
    }
    run(
        &format!("create the venv {}", dir.display()),
        Command::new(system).args(["-m", "venv"]).arg(dir),
    )?;
    let pip = Command::new(&py)
        .args(["-m", "pip", "install", "--quiet"])
        .args(packages)
        .status();
    if !pip.is_ok_and(|s| s.success()) {
        return Ok(None);
    }
    std::fs::write(&marker, want).map_err(|e| e.to_string())?;
    Ok(Some(py))
}

/// Debian's Chromium, driven by Playwright, against the todo example's
/// HTML pages: passkeys and security keys with Chromium's virtual
/// authenticator (`xtask/browser/passkeys_in_chromium.py`), then the
/// tutorial — register, confirm, todos, two-factor and unified sign-in by
/// mailed code — with a screenshot of each page
/// (`xtask/browser/tutorial_in_chromium.py`), then the login page's OAuth
/// button against a real OpenID provider
/// (`xtask/browser/oauth_in_chromium.py`).
pub(crate) fn browser(args: &[String]) -> Result {
    let require = args.iter().any(|a| a == "--require");
    let skip = |why: String| -> Result {
        println!("browser: SKIPPED — {why}");
        if require { Err(why) } else { Ok(()) }
    };
    let root = root();
    let chromium =
        std::env::var("PORTCULLIS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return skip(format!(
            "no Chromium at {chromium} (apt-get install chromium chromium-driver, or set PORTCULLIS_CHROMIUM)"
        ));
    }
    let Some(system) = find_python() else {
        return skip("no python3 on PATH for Playwright".into());
    };
    let Some(py) = venv(
        &system,
        &root.join("target/browser-venv"),
        &["playwright==1.65.2"],
    )?
    else {
        return skip("pip could not install playwright (is PyPI reachable?)".into());
    };
    // The test build makes target/debug/todo with the workspace's test
    // feature set: after `cargo test --workspace` this is a no-op, where a
    // plain `cargo build` would rebuild the world with other features.
    run(
        "build the todo example",
        cargo().args(["test", "--quiet", "--workspace", "--no-run"]),
    )?;
    run(
        "passkeys and security keys in Chromium",
        Command::new(&py)
            .arg(root.join("xtask/browser/passkeys_in_chromium.py"))
            .arg(root.join("target/debug/todo"))
            .arg(&chromium),
    )?;
    run(
        "the tutorial in Chromium (screenshots in target/browser-screenshots)",
        Command::new(&py)
            .arg(root.join("xtask/browser/tutorial_in_chromium.py"))
            .arg(root.join("target/debug/todo"))
            .arg(&chromium)
            .arg(root.join("target/browser-screenshots")),
    )?;
    // The provider button against a real OpenID provider (npm's
    // oidc-provider, pinned by xtask/oidc/package-lock.json).
    let oidc = root.join("xtask/oidc");
    if !oidc.join("node_modules/oidc-provider").is_dir() {
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&oidc)
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            return skip("npm could not install xtask/oidc's oidc-provider, so the OAuth button was not tried".into());
        }
    }
    run(
        "the OAuth provider button in Chromium (screenshots in target/browser-screenshots/oauth)",
        Command::new(&py)
            .arg(root.join("xtask/browser/oauth_in_chromium.py"))
            .arg(root.join("target/debug/todo"))
            .arg(&chromium)
            .arg(root.join("target/browser-screenshots")),
    )
}
