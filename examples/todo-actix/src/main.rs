//! `cargo run -p todo-actix` — Flask-Security's TodoMVC tutorial app on
//! Portcullis and actix-web, from the same settings as `cargo run -p todo`.
#![allow(clippy::print_stderr)]

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let settings = match todo::settings_from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("todo-actix: {e}");
            return ExitCode::from(2);
        }
    };
    let parts = match todo::parts(&settings, None, None).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("todo-actix: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match std::net::TcpListener::bind(&settings.bind) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("todo-actix: cannot listen on {}: {e}", settings.bind);
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "todo-actix: listening on http://{} (database {})",
        settings.bind, settings.database_url
    );
    // actix-web stops on Ctrl-C and SIGTERM by itself, lets the requests
    // in hand finish (SHUTDOWN_TIMEOUT) and then returns; the databases are
    // closed after it, so SQLite's WAL ends up in the database file.
    let closer = parts.closer.clone();
    let served = match todo_actix::serve(listener, parts, &settings) {
        Ok(server) => server.await,
        Err(e) => Err(e),
    };
    closer.close().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("todo-actix: {e}");
            ExitCode::FAILURE
        }
    }
}
