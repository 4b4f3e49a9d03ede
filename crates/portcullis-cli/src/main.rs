//! `portcullis`: users, roles and migrations on any Portcullis backend.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod backend;
mod error;
mod roles;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};

use crate::error::CliError;

/// Users, roles and migrations for a Portcullis (or Flask-Security) database.
#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Database URL (sqlite://path/to.db, postgres://…, mysql://… or mariadb://…). Default: DATABASE_URL, then the config file's.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// TOML settings file (SECRET_KEY, SECURITY_PASSWORD_SALT, …), as the app uses.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Print results and errors as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage users.
    #[command(subcommand)]
    Users(users::UsersCmd),
    /// Manage roles and permissions.
    #[command(subcommand)]
    Roles(roles::RolesCmd),
    /// Migrations.
    #[command(subcommand)]
    Db(DbCmd),
}

#[derive(Debug, Subcommand)]
enum DbCmd {
    /// Apply the embedded migrations (creates the database file if needed).
    Migrate,
    /// Show which migrations are applied.
    Status,
}

/// What a command prints: a line for people, a value for `--json`.
pub(crate) struct Output {
    pub(crate) human: String,
    pub(crate) json: Value,
}

impl Output {
    pub(crate) fn new(human: impl Into<String>, json: Value) -> Self {
        Self {
            human: human.into(),
            json,
        }
    }
}

async fn run(cli: &Cli) -> Result<Output, CliError> {
    match &cli.command {
        Command::Db(DbCmd::Migrate) => {
            let store = backend::open(cli, true).await?;
            let Some(report) = store.migration_report() else {
                return Ok(Output::new(
                    "MongoDB keeps no migrations: its indexes are in place",
                    json!({"adopted": false, "applied": [], "already_applied": []}),
                ));
            };
            let human = if report.applied.is_empty() {
                "the database is up to date".to_owned()
            } else if report.adopted {
                format!(
                    "adopted the existing Flask-Security database; applied migrations {:?}",
                    report.applied
                )
            } else {
                format!("applied migrations {:?}", report.applied)
            };
            Ok(Output::new(
                human,
                json!({"adopted": report.adopted, "applied": report.applied, "already_applied": report.already_applied}),
            ))
        }
        Command::Db(DbCmd::Status) => {
            let store = backend::open_unmigrated(cli).await?;
            let status = store.migration_status().await?;
            let human = status
                .iter()
                .map(|s| {
                    format!(
                        "{:>4}  {:<30} {}",
                        s.version,
                        s.name,
                        s.applied_at.as_deref().unwrap_or("pending")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let json = status
                .iter()
                .map(|s| json!({"version": s.version, "name": s.name, "applied_at": s.applied_at}))
                .collect();
            Ok(Output::new(human, Value::Array(json)))
        }
        Command::Users(cmd) => users::run(cli, cmd).await,
        Command::Roles(cmd) => roles::run(cli, cmd).await,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(out) => {
            if cli.json {
                println!("{}", out.json);
            } else if !out.human.is_empty() {
                println!("{}", out.human);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if cli.json {
                println!("{}", json!({"error": e.message, "exit_code": e.code}));
            } else {
                eprintln!("portcullis: {e}");
            }
            e.exit_code()
        }
    }
}
