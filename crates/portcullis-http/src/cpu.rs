//! Password hashing off the executor, with a cap and a bounded queue.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use portcullis_core::flows::{CpuPool, Job};
use portcullis_core::{Error, Result};
use tokio::sync::Semaphore;

/// Jobs queued per hashing slot by default (see
/// [`TokioCpuPool::with_queue`]).
pub const QUEUE_PER_SLOT: usize = 8;

/// Runs CPU jobs on tokio's blocking pool, at most `limit` at a time (so a
/// login storm holds at most `limit` × 64 MiB of argon2 memory), with at
/// most a bounded number waiting: past it, a job is refused at once with
/// [`ErrorKind::Unavailable`](portcullis_core::ErrorKind), which the web
/// layer answers with 503 and `Retry-After`, rather than making the
/// request wait for seconds behind hundreds of others.
#[derive(Debug, Clone)]
pub struct TokioCpuPool {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
}

/// Decrements the waiting count when a queued job leaves the queue.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TokioCpuPool {
    /// At most `limit` jobs at once (at least 1), and
    /// [`QUEUE_PER_SLOT`] × `limit` waiting.
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting: limit * QUEUE_PER_SLOT,
        }
    }

    /// One job per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// At most `max_waiting` jobs wait for a slot (0: none wait).
    pub fn with_queue(mut self, max_waiting: usize) -> Self {
        self.max_waiting = max_waiting;
        self
    }

    /// Jobs waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

impl CpuPool for TokioCpuPool {
    fn run(&self, job: Job) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
        Box::pin(async move {
            let closed = |_| Error::unavailable("the CPU pool is closed");
            let _permit = match self.permits.try_acquire() {
                Ok(p) => p,
                Err(tokio::sync::TryAcquireError::Closed) => {
                    return Err(Error::unavailable("the CPU pool is closed"));
                }
                Err(tokio::sync::TryAcquireError::NoPermits) => {
                    let before = self.waiting.fetch_add(1, Ordering::SeqCst);
                    let queued = Queued(&self.waiting);
                    if before >= self.max_waiting {
                        return Err(Error::unavailable(
                            "every hashing slot is busy and the queue is full",
                        ));
                    }
                    let p = self.permits.acquire().await.map_err(closed)?;
                    drop(queued);
                    p
                }
            };
            tokio::task::spawn_blocking(job)
                .await
                .map_err(|e| Error::internal("a CPU job failed").with_source(e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once() {
        let pool = Arc::new(TokioCpuPool::new(1).with_queue(1));
        let slow = |ms| -> Job { Box::new(move || std::thread::sleep(Duration::from_millis(ms))) };
        let (a, b) = (pool.clone(), pool.clone());
        let running = tokio::spawn(async move { a.run(slow(300)).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let queued = tokio::spawn(async move { b.run(slow(10)).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(pool.waiting(), 1);
        let started = std::time::Instant::now();
        let refused = pool.run(slow(10)).await;
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "refused at once"
        );
        let err = refused.expect_err("the queue is full");
        assert_eq!(err.kind(), portcullis_core::ErrorKind::Unavailable);
        running.await.expect("task").expect("ran");
        queued.await.expect("task").expect("ran after waiting");
        assert_eq!(pool.waiting(), 0);
    }
}
