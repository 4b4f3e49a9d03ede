//! `cargo run -p todo-actix`, as a user runs it: the todo example's binary
//! scenario against the actix-web build.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_todo-actix");

#[path = "../../todo/tests/binary/scenario.rs"]
mod scenario;
