//! `cargo run -p todo`, as a user runs it (the scenario is shared with
//! `todo-actix`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_todo");

#[path = "binary/scenario.rs"]
mod scenario;
