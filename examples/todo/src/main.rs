//! `cargo run -p todo` — Flask-Security's TodoMVC tutorial app on Portcullis.
#![allow(clippy::print_stderr)]

use std::process::ExitCode;

/// mimalloc instead of the system allocator: the request path allocates
/// and frees many small objects, and glibc's malloc was about a seventh of
/// its profile (see `docs/benchmarks.md`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Every request and every error is logged (`RUST_LOG` to change the
    // level); secrets never are: paths are redacted, queries left out.
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
            eprintln!("todo: {e}");
            return ExitCode::from(2);
        }
    };
    let parts = match todo::parts(&settings, None, None).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("todo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(&settings.bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("todo: cannot listen on {}: {e}", settings.bind);
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "todo: listening on http://{} (database {})",
        settings.bind, settings.database_url
    );
    // Ctrl-C or SIGTERM (what service managers send): stop accepting and
    // exit 0, rather than die by the signal.
    let shutdown = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    let closer = parts.closer.clone();
    let served = portcullis_axum::serve(
        listener,
        todo::router(parts),
        settings.serve.clone(),
        shutdown,
    )
    .await;
    // Every request has finished (or was given up on): close the databases,
    // so SQLite's WAL ends up in todo.db rather than beside it.
    closer.close().await;
    if let Err(e) = served {
        eprintln!("todo: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
