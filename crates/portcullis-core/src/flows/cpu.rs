//! Where slow, CPU-bound work (password hashing, sha-crypt token hashes)
//! runs. The core has no async runtime, so adapters provide a [`CpuPool`]
//! that runs jobs off the executor (tokio's blocking pool, with a cap on
//! how many argon2 hashes — 64 MiB each — run at once). [`InlineCpu`] runs
//! them where they are called, for tests and command-line tools.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::{Error, Result};

/// A boxed job.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// Runs CPU-heavy jobs.
pub trait CpuPool: Send + Sync + fmt::Debug {
    /// Runs `job`; the future completes when it has run. An error means the
    /// job could not be run (the pool is shut down or over capacity).
    fn run(&self, job: Job) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>>;
}

/// Runs jobs immediately, on the calling thread.
#[derive(Debug, Default, Clone, Copy)]
pub struct InlineCpu;

impl CpuPool for InlineCpu {
    fn run(&self, job: Job) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
        job();
        Box::pin(async { Ok(()) })
    }
}

/// Runs `f` on `pool` and returns its result.
pub async fn run_on<T: Send + 'static>(
    pool: &dyn CpuPool,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let slot: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
    let out = Arc::clone(&slot);
    pool.run(Box::new(move || {
        let v = f();
        if let Ok(mut s) = out.lock() {
            *s = Some(v);
        }
    }))
    .await?;
    let taken = slot.lock().ok().and_then(|mut s| s.take());
    taken.ok_or_else(|| Error::internal("a CPU job ended without a result"))
}
