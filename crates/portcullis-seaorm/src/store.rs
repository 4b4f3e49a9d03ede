//! The store: connecting, migrating, transactions.

use std::fmt;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use portcullis_core::{Capabilities, Clock, Datastore, Result, SystemClock};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::cache::Cache;
use crate::config::{Dialect, SeaOrmConfig};
use crate::error::DbResult;
use crate::fields::{self, UserColumns};
use crate::migrate::{self, MigrationReport, MigrationStatus};

/// The SeaORM datastore, over one connection pool. Cloning shares the pool.
#[derive(Clone)]
pub struct SeaOrmStore {
    db: DatabaseConnection,
    dialect: Dialect,
    clock: Arc<dyn Clock>,
    report: MigrationReport,
    cache: Option<Cache>,
    /// The `user` table's application columns, as last discovered.
    columns: Arc<RwLock<Arc<UserColumns>>>,
}

impl fmt::Debug for SeaOrmStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeaOrmStore")
            .field("dialect", &self.dialect)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

impl SeaOrmStore {
    /// Connects and, unless `config.migrate` is off, applies the migrations.
    pub async fn open(config: SeaOrmConfig) -> Result<Self> {
        Self::open_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Connects to `url` with the defaults.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::open(SeaOrmConfig::new(url)).await
    }

    /// As [`open`](Self::open), with timestamps from `clock`.
    pub async fn open_with_clock(config: SeaOrmConfig, clock: Arc<dyn Clock>) -> Result<Self> {
        let dialect = config.dialect()?;
        let mut opts = ConnectOptions::new(config.driver_url()?);
        opts.max_connections(config.max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(config.acquire_timeout)
            .connect_timeout(config.acquire_timeout)
            .sqlx_logging(false);
        if dialect == Dialect::Sqlite {
            opts.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(std::time::Duration::from_secs(5))
            });
        }
        let db = Database::connect(opts).await.db()?;
        let report = if config.migrate {
            migrate::migrate(&db, dialect).await?
        } else {
            MigrationReport::default()
        };
        let cache = if dialect == Dialect::Postgres && config.cache {
            Cache::start(&db).await
        } else {
            None
        };
        let columns = fields::discover(&db).await?;
        Ok(Self {
            db,
            dialect,
            clock,
            report,
            cache,
            columns: Arc::new(RwLock::new(Arc::new(columns))),
        })
    }

    /// Wraps a connection the application already has (for example its own
    /// SeaORM pool), without migrating. Call [`migrate`](Self::migrate) to
    /// apply the schema (or
    /// [`refresh_application_fields`](Self::refresh_application_fields) to
    /// read the `user` table's application columns without migrating).
    pub fn from_connection(db: DatabaseConnection) -> Result<Self> {
        let dialect = match db.get_database_backend() {
            DbBackend::Postgres => Dialect::Postgres,
            DbBackend::MySql => Dialect::MySql,
            DbBackend::Sqlite => Dialect::Sqlite,
            other => {
                return Err(portcullis_core::Error::unsupported(format!(
                    "{other:?} databases are not supported"
                )));
            }
        };
        Ok(Self {
            db,
            dialect,
            clock: Arc::new(SystemClock),
            report: MigrationReport::default(),
            cache: None,
            columns: Arc::default(),
        })
    }

    /// The pool, for the application's own queries (the [`crate::entity`]
    /// module describes Portcullis' tables).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// What the migrations did when this store was opened.
    pub fn migration_report(&self) -> &MigrationReport {
        &self.report
    }

    /// Applies any migration not yet applied.
    pub async fn migrate(&self) -> Result<MigrationReport> {
        let report = migrate::migrate(&self.db, self.dialect).await?;
        self.refresh_application_fields().await?;
        Ok(report)
    }

    /// Reads the `user` table's application columns again (they are read
    /// when the store opens and after [`migrate`](Self::migrate)): call it
    /// after the application's own migration adds one to an open store.
    pub async fn refresh_application_fields(&self) -> Result<()> {
        let found = fields::discover(&self.db).await?;
        *self
            .columns
            .write()
            .map_err(|_| portcullis_core::Error::internal("column list lock poisoned"))? =
            Arc::new(found);
        self.flush_cache();
        Ok(())
    }

    /// The application columns as last read.
    pub(crate) fn columns(&self) -> Arc<UserColumns> {
        self.columns
            .read()
            .map_or_else(|p| Arc::clone(&p.into_inner()), |c| Arc::clone(&c))
    }

    /// Which migrations are applied.
    pub async fn migration_status(&self) -> Result<Vec<MigrationStatus>> {
        migrate::status(&self.db, self.dialect).await
    }

    /// Closes the pool when a server stops: idle connections at once, the
    /// ones in use when they come back; later calls fail. Every clone of
    /// this store (and of its [`connection`](Self::connection)) shares the
    /// pool, so one call closes them all. On SQLite the last connection
    /// checkpoints the WAL into the file and removes it.
    pub async fn close(&self) -> Result<()> {
        self.db.close_by_ref().await.db()
    }

    pub(crate) fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The PostgreSQL cache, when on (decision 0010).
    pub(crate) fn cache(&self) -> Option<&Cache> {
        self.cache.as_ref()
    }

    /// After this store wrote users or roles: nothing cached survives.
    pub(crate) fn flush_cache(&self) {
        if let Some(c) = &self.cache {
            c.flush();
        }
    }

    /// A user by a cache key (`u:…`, `t:…`), from the cache or `load`.
    pub(crate) async fn cached_user(
        &self,
        key: String,
        load: impl std::future::Future<Output = Result<Option<portcullis_core::User>>>,
    ) -> Result<Option<portcullis_core::User>> {
        let Some(c) = &self.cache else {
            return load.await;
        };
        if let Some(u) = c.user(&key) {
            return Ok(Some(u));
        }
        let ticket = c.ticket();
        let found = load.await?;
        if let Some(u) = &found {
            c.put_user(ticket, key, u);
        }
        Ok(found)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        portcullis_core::store::now_utc(self.clock.as_ref())
    }

    /// A write transaction: `BEGIN IMMEDIATE` on SQLite (writers take turns,
    /// so checks made inside still hold at commit), the server's default
    /// isolation elsewhere (unique indexes and row locks keep the rules).
    /// Dropped without commit, it rolls back.
    pub(crate) async fn begin(&self) -> Result<DatabaseTransaction> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
            .db()
    }
}

impl Datastore for SeaOrmStore {
    fn backend_name(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "seaorm-postgres",
            Dialect::MySql => "seaorm-mysql",
            Dialect::Sqlite => "seaorm-sqlite",
        }
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
