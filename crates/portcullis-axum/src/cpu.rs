//! Password hashing off the executor, with a cap.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use portcullis_core::flows::{CpuPool, Job};
use portcullis_core::{Error, Result};
use tokio::sync::Semaphore;

/// Runs CPU jobs on tokio's blocking pool, at most `limit` at a time (so a
/// login storm holds at most `limit` × 64 MiB of argon2 memory).
#[derive(Debug, Clone)]
pub struct TokioCpuPool {
    permits: Arc<Semaphore>,
}

impl TokioCpuPool {
    /// At most `limit` jobs at once (at least 1).
    pub fn new(limit: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit.max(1))),
        }
    }

    /// One job per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

impl CpuPool for TokioCpuPool {
    fn run(&self, job: Job) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
        Box::pin(async move {
            let _permit = self
                .permits
                .acquire()
                .await
                .map_err(|_| Error::unavailable("the CPU pool is closed"))?;
            tokio::task::spawn_blocking(job)
                .await
                .map_err(|e| Error::internal("a CPU job failed").with_source(e))
        })
    }
}
