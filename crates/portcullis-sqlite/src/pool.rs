//! A small connection pool. Work runs on tokio's blocking pool, except the
//! point reads of [`Pool::point_read`]: an indexed single-row read, run
//! inline when a connection is idle at once and refused (not waited for)
//! when SQLite is busy — see `docs/decisions/0006-inline-point-reads.md`.

use std::sync::{Arc, Mutex};

use portcullis_core::{Error, Result};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use tokio::sync::Semaphore;

use crate::config::SqliteConfig;
use crate::error::SqlResult;

#[derive(Debug)]
pub(crate) struct Pool {
    config: SqliteConfig,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

/// Opens and prepares one connection.
pub(crate) fn open(config: &SqliteConfig) -> Result<Connection> {
    let conn = match &config.path {
        Some(p) => Connection::open(p),
        None => Connection::open_in_memory(),
    }
    .sql()?;
    conn.busy_timeout(config.busy_timeout).sql()?;
    if config.path.is_some() {
        // WAL lets readers run beside the one writer.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .sql()?;
        conn.execute_batch("PRAGMA synchronous = NORMAL").sql()?;
    }
    conn.execute_batch("PRAGMA foreign_keys = ON").sql()?;
    // Unicode lower case, for case-insensitive lookups of non-ASCII values
    // (SQLite's own lower() folds ASCII only). Used in queries, never in
    // the schema, so other SQLite clients can still write the database.
    conn.create_scalar_function(
        "portcullis_lower",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| s.to_lowercase())),
    )
    .sql()?;
    Ok(conn)
}

impl Pool {
    pub(crate) fn new(config: SqliteConfig) -> Arc<Self> {
        let size = config.pool_size.max(1);
        Arc::new(Self {
            config,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(size),
        })
    }

    /// Runs `f`, a read of at most a few rows by an index, on the calling
    /// thread when inline point reads are on and a pooled connection is idle
    /// right now; otherwise (or when SQLite answers busy at once) on the
    /// blocking pool as [`run`](Self::run) does. Inline, the connection has
    /// no busy timeout, so the executor never waits on a lock: a WAL reader
    /// does not wait for writers, and the rare busy answer (a WAL reset or
    /// recovery) sends the read to the blocking pool, which waits.
    pub(crate) async fn point_read<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut Connection) -> Result<T> + Send + 'static,
    {
        if self.config.inline_point_reads
            && let Ok(permit) = self.permits.try_acquire()
        {
            let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
            if let Some(mut conn) = idle {
                let out = match conn.busy_timeout(std::time::Duration::ZERO) {
                    Ok(()) => {
                        let out = f(&mut conn);
                        conn.busy_timeout(self.config.busy_timeout).sql().and(out)
                    }
                    Err(e) => Err(crate::error::map(e)),
                };
                if let Ok(mut v) = self.idle.lock() {
                    v.push(conn);
                }
                drop(permit);
                match out {
                    Err(e) if e.kind() == portcullis_core::ErrorKind::Unavailable => {}
                    other => return other,
                }
            }
        }
        self.run(f).await
    }

    /// Waits for the work in hand to finish, then closes every connection
    /// and refuses further work (`Unavailable`, "connection pool closed").
    /// The last connection to a file database checkpoints SQLite's WAL into
    /// the file and deletes `-wal` and `-shm`, so the file alone holds
    /// every commit (copied, backed up, or opened by another program).
    pub(crate) async fn close(&self) -> Result<()> {
        let size = u32::try_from(self.config.pool_size.max(1)).unwrap_or(u32::MAX);
        if let Ok(all) = self.permits.acquire_many(size).await {
            all.forget();
        }
        self.permits.close();
        let conns = match self.idle.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        let closed = tokio::task::spawn_blocking(move || {
            conns
                .into_iter()
                .try_for_each(|c| c.close().map_err(|(_, e)| crate::error::map(e)))
        })
        .await;
        match closed {
            Ok(r) => r,
            Err(e) => Err(Error::internal("closing the database failed").with_source(e)),
        }
    }

    /// Runs `f` with a connection on the blocking pool.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::unavailable("connection pool closed"))?;
        let pool = Arc::clone(self);
        let joined = tokio::task::spawn_blocking(move || {
            let idle = pool.idle.lock().ok().and_then(|mut v| v.pop());
            let mut conn = match idle {
                Some(c) => c,
                None => open(&pool.config)?,
            };
            let out = f(&mut conn);
            if let Ok(mut v) = pool.idle.lock() {
                v.push(conn);
            }
            out
        })
        .await;
        match joined {
            Ok(r) => r,
            Err(e) => Err(Error::internal("a database task failed").with_source(e)),
        }
    }
}
