//! Serving an app with the edges a public server needs: a cap on open
//! connections, a deadline for a request's headers and one for its body,
//! and a stop that lets the requests in hand finish. `axum::serve` has
//! neither limit, so a client that opens connections and sends half a
//! request holds them for ever.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// Limits of [`serve`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Open connections at most; further clients wait in the listen
    /// backlog until one closes (default 1024).
    pub max_connections: usize,
    /// Time a client has to send a request's headers, on a new connection
    /// or a kept-alive one (default 10 s); then the connection is closed.
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's body (default 30 s); then the
    /// request fails.
    pub body_read_timeout: Duration,
    /// Once `shutdown` completes, time the requests in hand have to finish
    /// (default 10 s); idle kept-alive connections close at once. Then
    /// [`serve`] returns, and whatever is still running is dropped.
    pub shutdown_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, with the
/// client's address in each request (`ConnectInfo<SocketAddr>`, which
/// login tracking and attempt limits read) and the limits of `options`.
/// Then it stops accepting, lets the requests in hand finish (at most
/// `options.shutdown_timeout`) and returns, so the caller can close its
/// stores knowing no request is using them.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let app = app.layer(RequestBodyTimeoutLayer::new(options.body_read_timeout));
    let permits = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (app, builder) = (app.clone(), builder.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req)
            });
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(options.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            timeout = ?options.shutdown_timeout,
            "requests still running at shutdown were dropped"
        );
    }
    Ok(())
}
