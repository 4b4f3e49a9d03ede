//! Small helpers shared inside the crate.

/// Upper-case hex.
pub(crate) fn hex_upper(data: &[u8]) -> String {
    portcullis_crypto::encoding::hex_lower(data).to_ascii_uppercase()
}

/// Drives a future that never waits on I/O (tests of async code whose
/// test doubles answer at once).
#[cfg(test)]
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
