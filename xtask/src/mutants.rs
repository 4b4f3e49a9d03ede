//! `cargo xtask mutants [FILTER…]`: cargo-mutants over the security-critical
//! modules, one module at a time, each tested by the packages whose tests
//! exercise it; then a table per module (mutants, caught, missed, timeouts,
//! unviable) and the missed ones listed. Slow on two cores: outside
//! `.ci/run` by design. `docs/testing.md` records the last run and explains
//! every survivor.

use std::path::Path;
use std::process::Command;

use crate::tasks::{cargo_cmd as cargo, root_dir as root};

type Result<T = ()> = std::result::Result<T, String>;

/// A module under mutation: its package, its file, the packages whose
/// tests are run against each mutant and, when not all of their tests,
/// the integration test targets that drive the module (the modules named
/// so have no unit tests of their own). Fewer targets only make more
/// mutants survive, never fewer: a narrowed figure is a lower bound, and
/// much faster where every mutant would rebuild the library in test mode
/// and relink each test binary of a package.
struct Module {
    package: &'static str,
    file: &'static str,
    tests: &'static [&'static str],
    targets: &'static [&'static str],
}

const MODULES: &[Module] = &[
    Module {
        package: "portcullis-crypto",
        file: "crates/portcullis-crypto/src/serializer.rs",
        tests: &["portcullis-crypto"],
        targets: &[],
    },
    Module {
        package: "portcullis-crypto",
        file: "crates/portcullis-crypto/src/auth_token.rs",
        tests: &["portcullis-crypto"],
        targets: &[],
    },
    Module {
        package: "portcullis-core",
        file: "crates/portcullis-core/src/flows/tokens.rs",
        tests: &["portcullis-core"],
        targets: &[],
    },
    Module {
        package: "portcullis-core",
        file: "crates/portcullis-core/src/flows/password.rs",
        tests: &["portcullis-core"],
        targets: &[
            "flows_password",
            "flows_login",
            "flows_register_confirm",
            "flows_email_username",
        ],
    },
    Module {
        package: "portcullis-core",
        file: "crates/portcullis-core/src/flows/login.rs",
        tests: &["portcullis-core"],
        targets: &["flows_login", "login_step", "limits", "flows_password"],
    },
    Module {
        package: "portcullis-core",
        file: "crates/portcullis-core/src/flows/two_factor.rs",
        tests: &["portcullis-core"],
        targets: &["flows_two_factor", "flows_second_factors", "login_step"],
    },
    Module {
        package: "portcullis-core",
        file: "crates/portcullis-core/src/flows/unified.rs",
        tests: &["portcullis-core"],
        targets: &["flows_unified", "flows_second_factors", "login_step"],
    },
    Module {
        package: "portcullis-core",
        file: "crates/portcullis-core/src/flows/oauth.rs",
        tests: &["portcullis-core"],
        targets: &[],
    },
    Module {
        package: "portcullis-http",
        file: "crates/portcullis-http/src/csrf.rs",
        tests: &["portcullis-http", "portcullis-axum"],
        targets: &[],
    },
    Module {
        package: "portcullis-http",
        file: "crates/portcullis-http/src/auth.rs",
        tests: &["portcullis-http", "portcullis-axum"],
        targets: &[],
    },
    Module {
        package: "portcullis-http",
        file: "crates/portcullis-http/src/session.rs",
        tests: &["portcullis-http", "portcullis-axum"],
        targets: &[],
    },
    Module {
        package: "portcullis-http",
        file: "crates/portcullis-http/src/endpoints.rs",
        tests: &["portcullis-http", "portcullis-axum"],
        targets: &[],
    },
];

/// The outcome files cargo-mutants writes, and what each line means.
const OUTCOMES: [(&str, &str); 4] = [
    ("caught.txt", "caught"),
    ("missed.txt", "missed"),
    ("timeout.txt", "timeout"),
    ("unviable.txt", "unviable"),
];

pub(crate) fn mutants(args: &[String]) -> Result {
    let have = Command::new("cargo")
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        return Err("cargo-mutants is not installed: cargo install --locked cargo-mutants".into());
    }
    let root = root();
    let out_root = root.join("target/mutants");
    std::fs::create_dir_all(&out_root).map_err(|e| e.to_string())?;
    // `--in-place`: mutate the checkout itself and build in its target
    // directory (no copy, no baseline build from scratch); the tree must
    // be left alone while it runs.
    let in_place = args.iter().any(|a| a == "--in-place");
    let filters: Vec<&String> = args.iter().filter(|a| *a != "--in-place").collect();
    let chosen: Vec<&Module> = MODULES
        .iter()
        .filter(|m| filters.is_empty() || filters.iter().any(|a| m.file.contains(a.as_str())))
        .collect();
    if chosen.is_empty() {
        return Err(format!("no module matches {filters:?}"));
    }
    let mut rows = Vec::new();
    for m in chosen {
        let out = out_root.join(m.file.replace(['/', '.'], "_"));
        let _ = std::fs::remove_dir_all(&out);
        println!("==> mutants of {}", m.file);
        let mut cmd = cargo();
        cmd.args(["mutants", "--no-shuffle", "--timeout-multiplier", "3", "-p"])
            .arg(m.package)
            .args(["--file", m.file])
            .arg("--output")
            .arg(&out);
        for t in m.tests {
            cmd.args(["--test-package", t]);
        }
        if in_place {
            cmd.arg("--in-place");
        }
        if !m.targets.is_empty() {
            cmd.arg("--");
            for t in m.targets {
                cmd.args(["--test", t]);
            }
        }
        // cargo-mutants exits non-zero when a mutant survives; the table says.
        let _ = cmd.status().map_err(|e| e.to_string())?;
        rows.push((m.file, count(&out.join("mutants.out"))?));
    }
    println!("\n| module | mutants | caught | missed | timeout | unviable |");
    println!("|---|---|---|---|---|---|");
    for (file, c) in &rows {
        println!(
            "| `{file}` | {} | {} | {} | {} | {} |",
            c.iter().map(|(_, n, _)| n).sum::<usize>(),
            c[0].1,
            c[1].1,
            c[2].1,
            c[3].1
        );
    }
    for (file, c) in &rows {
        for line in &c[1].2 {
            println!("missed in {file}: {line}");
        }
    }
    Ok(())
}

/// `(outcome, how many, lines)` for each of [`OUTCOMES`].
fn count(dir: &Path) -> Result<Vec<(&'static str, usize, Vec<String>)>> {
    OUTCOMES
        .iter()
        .map(|(file, what)| {
            let lines: Vec<String> = std::fs::read_to_string(dir.join(file))
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect();
            Ok((*what, lines.len(), lines))
        })
        .collect()
}
