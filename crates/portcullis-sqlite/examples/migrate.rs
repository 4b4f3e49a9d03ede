//! Applies Portcullis' migrations to a SQLite file and prints what happened:
//! `cargo run -p portcullis-sqlite --example migrate -- path/to/db.sqlite`.
#![allow(clippy::print_stdout, missing_docs)]

use portcullis_sqlite::{SqliteConfig, SqliteStore};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: migrate <database file>")?;
    let store = SqliteStore::open(SqliteConfig::file(&path)).await?;
    let r = store.migration_report();
    println!(
        "adopted: {}, applied: {:?}, already applied: {:?}",
        r.adopted, r.applied, r.already_applied
    );
    Ok(())
}
