//! The store: opening, migrating, and running work off the executor.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use portcullis_core::{Capabilities, Clock, Datastore, Result, SystemClock};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::config::SqliteConfig;
use crate::error::SqlResult;
use crate::fields::{self, UserColumns};
use crate::pool::Pool;
use crate::schema::{self, MigrationReport, MigrationStatus};

/// The SQLite datastore.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: Arc<Pool>,
    clock: Arc<dyn Clock>,
    report: MigrationReport,
    /// The `user` table's application columns, as last discovered.
    columns: Arc<RwLock<Arc<UserColumns>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database and, unless
    /// `config.migrate` is off, applies the migrations.
    pub async fn open(config: SqliteConfig) -> Result<Self> {
        Self::open_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Closes the database when a server stops: waits for the queries in
    /// hand, closes every connection (a file database's WAL is then
    /// checkpointed into the file and removed), and answers later calls
    /// with `Unavailable`. Every clone of this store shares the pool, so
    /// one call closes them all.
    pub async fn close(&self) -> Result<()> {
        self.pool.close().await
    }

    /// Opens the database at a `sqlite://…` URL.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::open(SqliteConfig::from_url(url)?).await
    }

    /// As [`open`](Self::open), with timestamps from `clock`.
    pub async fn open_with_clock(config: SqliteConfig, clock: Arc<dyn Clock>) -> Result<Self> {
        let migrate = config.migrate;
        let pool = Pool::new(config);
        let report = if migrate {
            pool.run(schema::migrate).await?
        } else {
            MigrationReport::default()
        };
        let columns = pool.run(|c| fields::discover(c)).await?;
        Ok(Self {
            pool,
            clock,
            report,
            columns: Arc::new(RwLock::new(Arc::new(columns))),
        })
    }

    /// Reads the `user` table's application columns again (they are read
    /// when the store opens and after [`migrate`](Self::migrate)): call it
    /// after the application's own migration adds one to an open store.
    pub async fn refresh_application_fields(&self) -> Result<()> {
        let found = self.pool.run(|c| fields::discover(c)).await?;
        *self
            .columns
            .write()
            .map_err(|_| portcullis_core::Error::internal("column list lock poisoned"))? =
            Arc::new(found);
        Ok(())
    }

    /// The application columns as last read.
    pub(crate) fn columns(&self) -> Arc<UserColumns> {
        self.columns
            .read()
            .map_or_else(|p| Arc::clone(&p.into_inner()), |c| Arc::clone(&c))
    }

    /// What the migrations did when this store was opened.
    pub fn migration_report(&self) -> &MigrationReport {
        &self.report
    }

    /// Applies any migration not yet applied.
    pub async fn migrate(&self) -> Result<MigrationReport> {
        let report = self.pool.run(schema::migrate).await?;
        self.refresh_application_fields().await?;
        Ok(report)
    }

    /// Which migrations are applied.
    pub async fn migration_status(&self) -> Result<Vec<MigrationStatus>> {
        self.pool.run(|c| schema::status(c)).await
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        portcullis_core::store::now_utc(self.clock.as_ref())
    }

    /// Runs read-only work on a pooled connection.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.pool.run(move |c| f(c)).await
    }

    /// Runs an indexed single-row read, inline when it can
    /// ([`Pool::point_read`]).
    pub(crate) async fn point_read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T> + Send + 'static,
    {
        self.pool.point_read(move |c| f(c)).await
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction: writers take turns, so
    /// checks made inside `f` still hold when it commits. An error rolls
    /// everything back.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.pool
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .sql()?;
                let out = f(&tx)?;
                tx.commit().sql()?;
                Ok(out)
            })
            .await
    }
}

impl Datastore for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    fn application_fields(&self) -> portcullis_core::AppFields {
        self.columns().fields().clone()
    }
    fn session_store(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn portcullis_core::store::SessionStore>> {
        Some(self)
    }

    fn attempt_store(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn portcullis_core::store::AttemptStore>> {
        Some(self)
    }

    fn refresh_store(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn portcullis_core::RefreshTrackerStore>> {
        Some(self)
    }
}
