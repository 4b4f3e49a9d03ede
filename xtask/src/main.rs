//! Portcullis' developer tasks.
//!
//! ```text
//! cargo xtask ci [--skip-tests]     fmt check, clippy -D warnings, tests, dependency boundaries, feature sets
//! cargo xtask features              the binaries build with the workspace's feature sets (workspace-hack)
//! cargo xtask interop [--require]   check Portcullis' hashes and tokens with Flask-Security itself
//! cargo xtask bench [ARGS…]         criterion benchmarks (args go to criterion)
//! cargo xtask mutants [FILTER…]   cargo-mutants over the security-critical modules (slow; outside CI)
//! cargo xtask conformance BACKEND|all [--require]   the conformance suite (server backends skip without their URL unless --require)
//! ```
#![allow(clippy::print_stdout)]

mod features;
mod load;
mod mutants;
mod sql;
mod tasks;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("help", &[][..]),
    };
    let result = match cmd {
        "ci" => tasks::ci(rest),
        "interop" => tasks::interop(rest),
        "browser" => tasks::browser(rest),
        "bench" => tasks::bench(rest),
        "mutants" => mutants::mutants(rest),
        "features" => features::check_feature_sets(),
        "conformance" => tasks::conformance(rest),
        "sql-migrations" => sql::sql_migrations(rest),
        _ => {
            println!("{}", include_str!("usage.txt"));
            return if cmd == "help" || cmd == "--help" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {cmd}: {e}");
            ExitCode::FAILURE
        }
    }
}
