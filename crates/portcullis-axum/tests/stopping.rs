//! `serve`'s stop: the requests in hand finish, idle kept-alive
//! connections do not hold it up, and a request that outlasts
//! `shutdown_timeout` is given up on.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use portcullis_axum::{ServeOptions, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A server whose `/slow` answers after `delay`; returns its address, the
/// trigger that stops it and its join handle (yielding when `serve`
/// returned).
async fn server(
    delay: Duration,
    shutdown_timeout: Duration,
) -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Instant>,
) {
    let app = Router::new()
        .route(
            "/slow",
            get(move || async move {
                tokio::time::sleep(delay).await;
                "done"
            }),
        )
        .route("/fast", get(|| async { "fast" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let options = ServeOptions {
        shutdown_timeout,
        ..ServeOptions::default()
    };
    let handle = tokio::spawn(async move {
        serve(listener, app, options, async {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
        Instant::now()
    });
    (addr, stop, handle)
}

async fn send(addr: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    s
}

/// Reads until the connection closes or `want` shows up.
async fn read_until(s: &mut TcpStream, want: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("read in time")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&got).contains(want) {
            break;
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_hand_finishes_and_idle_connections_do_not_wait() {
    let (addr, stop, handle) = server(Duration::from_millis(600), Duration::from_secs(10)).await;
    // An idle kept-alive connection: one answered request, left open.
    let mut idle = send(addr, "/fast").await;
    assert!(read_until(&mut idle, "fast").await.contains("fast"));
    // A request in hand when the stop comes.
    let mut busy = send(addr, "/slow").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let asked = Instant::now();
    stop.send(()).unwrap();

    let answer = read_until(&mut busy, "done").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("done"),
        "the request in hand was cut: {answer}"
    );
    let returned = handle.await.unwrap();
    let took = returned - asked;
    assert!(
        took >= Duration::from_millis(400),
        "serve returned before the request in hand finished ({took:?})"
    );
    assert!(
        took < Duration::from_secs(5),
        "the idle connection held the stop up ({took:?})"
    );
    // The idle connection was closed, and nothing listens any more.
    assert_eq!(read_until(&mut idle, "never").await, "");
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_outlasting_the_timeout_is_given_up_on() {
    let (addr, stop, handle) = server(Duration::from_secs(3600), Duration::from_millis(300)).await;
    let _busy = send(addr, "/slow").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let asked = Instant::now();
    stop.send(()).unwrap();
    let returned = tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("serve returned after its shutdown timeout")
        .unwrap();
    let took = returned - asked;
    assert!(
        took >= Duration::from_millis(250),
        "serve gave up before its timeout ({took:?})"
    );
}
