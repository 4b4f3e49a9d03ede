//! `cargo xtask sql-migrations`: the PostgreSQL and MySQL/MariaDB schemas
//! in `migrations/` applied to the real servers, twice, in a scratch
//! database each, through the servers' own command-line clients.

use std::path::PathBuf;
use std::process::Command;

use crate::tasks::root_dir;

type Result<T = ()> = std::result::Result<T, String>;

const TABLES: [&str; 4] = ["role", "roles_users", "user", "web_authn"];

fn files(dialect: &str) -> Result<Vec<PathBuf>> {
    let dir = root_dir().join("migrations").join(dialect);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    v.sort();
    if v.is_empty() {
        return Err(format!("no .sql files in {}", dir.display()));
    }
    Ok(v)
}

fn exec(what: &str, cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `scheme://[user[:password]@]host[:port][/db][?query]`, split.
struct Url {
    user: String,
    password: String,
    host: String,
    port: Option<String>,
}

fn parse(url: &str) -> Result<Url> {
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| format!("not a URL: {url:?}"))?;
    let rest = rest.split(['/', '?']).next().unwrap_or_default();
    let (auth, hostport) = rest.rsplit_once('@').unwrap_or(("", rest));
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.to_owned())),
        None => (hostport, None),
    };
    Ok(Url {
        user: user.to_owned(),
        password: password.to_owned(),
        host: host.to_owned(),
        port,
    })
}

impl Url {
    /// `scheme://user[:password]@host[:port]/db` on the same server.
    fn with_db(&self, scheme: &str, db: &str) -> String {
        let auth = match (self.user.is_empty(), self.password.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!("{}@", self.user),
            (false, false) => format!("{}:{}@", self.user, self.password),
        };
        let port = self
            .port
            .as_ref()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        format!("{scheme}://{auth}{}{port}/{db}", self.host)
    }

    /// The MariaDB/MySQL client, connected to this server (and `db`).
    fn mysql_client(&self, db: Option<&str>) -> Command {
        let client = if Command::new("mariadb").arg("--version").output().is_ok() {
            "mariadb"
        } else {
            "mysql"
        };
        let mut c = Command::new(client);
        c.args(["-h", &self.host, "-u", &self.user, "-N", "-B"]);
        if let Some(p) = &self.port {
            c.args(["-P", p, "--protocol=TCP"]);
        }
        if !self.password.is_empty() {
            c.env("MYSQL_PWD", &self.password);
        }
        if let Some(db) = db {
            c.arg(db);
        }
        c
    }
}

fn scratch_name() -> String {
    format!("portcullis_migcheck_{}", std::process::id())
}

fn postgres(url: &str) -> Result {
    let files = files("postgres")?;
    let admin = |sql: &str| {
        exec(
            "psql",
            Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql]),
        )
    };
    let db = scratch_name();
    let scratch_url = parse(url)?.with_db("postgresql", &db);
    admin(&format!("DROP DATABASE IF EXISTS {db}"))?;
    admin(&format!("CREATE DATABASE {db}"))?;
    let result = (|| {
        let psql = |args: &[&str]| {
            let mut c = Command::new("psql");
            c.args([scratch_url.as_str(), "-v", "ON_ERROR_STOP=1", "-qAt"])
                .args(args);
            c
        };
        for pass in 1..=2 {
            for f in &files {
                let name = f.display().to_string();
                exec(
                    &format!("postgres pass {pass}: {name}"),
                    &mut psql(&["-f", &name]),
                )?;
            }
        }
        let tables = exec(
            "postgres tables",
            &mut psql(&[
                "-c",
                "SELECT table_name FROM information_schema.tables \
                 WHERE table_schema = 'public' ORDER BY table_name",
            ]),
        )?;
        check_tables("postgres", &tables)?;
        exec(
            "postgres insert",
            &mut psql(&[
                "-c",
                r#"INSERT INTO "user" (email, active, fs_uniquifier) VALUES ('Ann@Example.com', true, 'u1')"#,
            ]),
        )?;
        let dup = exec(
            "postgres duplicate",
            &mut psql(&[
                "-c",
                r#"INSERT INTO "user" (email, active, fs_uniquifier) VALUES ('ann@example.COM', true, 'u2')"#,
            ]),
        );
        if dup.is_ok() {
            return Err("postgres: an email differing only in case was accepted".into());
        }
        Ok(())
    })();
    let dropped = admin(&format!("DROP DATABASE IF EXISTS {db}"));
    result.and(dropped.map(drop))
}

fn mysql(url: &str) -> Result {
    let files = files("mysql")?;
    let u = parse(url)?;
    let base = |db: Option<&str>| u.mysql_client(db);
    let db = scratch_name();
    let admin = |sql: &str| exec("mysql", base(None).args(["-e", sql]));
    admin(&format!("DROP DATABASE IF EXISTS {db}"))?;
    admin(&format!("CREATE DATABASE {db}"))?;
    let result = (|| {
        for pass in 1..=2 {
            for f in &files {
                let sql =
                    std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
                exec(
                    &format!("mysql pass {pass}: {}", f.display()),
                    base(Some(&db)).args(["-e", &sql]),
                )?;
            }
        }
        let tables = exec("mysql tables", base(Some(&db)).args(["-e", "SHOW TABLES"]))?;
        check_tables("mysql", &tables)?;
        exec(
            "mysql insert",
            base(Some(&db)).args([
                "-e",
                "INSERT INTO `user` (email, active, fs_uniquifier) VALUES ('Ann@Example.com', 1, 'u1')",
            ]),
        )?;
        let dup = exec(
            "mysql duplicate",
            base(Some(&db)).args([
                "-e",
                "INSERT INTO `user` (email, active, fs_uniquifier) VALUES ('ann@example.COM', 1, 'u2')",
            ]),
        );
        if dup.is_ok() {
            return Err("mysql: an email differing only in case was accepted".into());
        }
        Ok(())
    })();
    let dropped = admin(&format!("DROP DATABASE IF EXISTS {db}"));
    result.and(dropped.map(drop))
}

fn check_tables(dialect: &str, listed: &str) -> Result {
    let have: Vec<&str> = listed.lines().map(str::trim).collect();
    for t in TABLES {
        if !have.contains(&t) {
            return Err(format!(
                "{dialect}: table {t} missing after migrating (have {have:?})"
            ));
        }
    }
    Ok(())
}

/// Runs the check for every server whose URL is set.
pub(crate) fn sql_migrations(args: &[String]) -> Result {
    let require = args.iter().any(|a| a == "--require");
    let mut failures = Vec::new();
    for (var, dialect, check) in [
        (
            "PORTCULLIS_TEST_POSTGRES_URL",
            "postgres",
            postgres as fn(&str) -> Result,
        ),
        ("PORTCULLIS_TEST_MYSQL_URL", "mysql", mysql),
    ] {
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => {
                println!("==> migrations/{dialect} on {var}, applied twice");
                match check(&url) {
                    Ok(()) => println!("sql-migrations {dialect}: ok"),
                    Err(e) => failures.push(e),
                }
            }
            _ if require => failures.push(format!("{var} is not set")),
            _ => println!("sql-migrations {dialect}: SKIPPED — {var} is not set"),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// A fresh, empty database `name` on the PostgreSQL or MariaDB/MySQL
/// server `url` names (dropped first if it exists); its URL.
pub(crate) fn fresh_database(url: &str, name: &str) -> Result<String> {
    let u = parse(url)?;
    let scheme = url.split("://").next().unwrap_or_default();
    if scheme.starts_with("postgres") {
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            exec(
                "psql",
                Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-qAtc", &sql]),
            )?;
        }
    } else {
        let sql = format!("DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}");
        exec("mysql", u.mysql_client(None).args(["-e", &sql]))?;
    }
    Ok(u.with_db(scheme, name))
}
