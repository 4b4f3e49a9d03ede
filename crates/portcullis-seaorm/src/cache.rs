//! PostgreSQL only: users and sessions read per request, kept in memory
//! and dropped the moment any writer changes them (decision 0010).
//!
//! Triggers on `user`, `role`, `roles_users` and `portcullis_sessions`
//! `NOTIFY portcullis_cache` with what changed (`u <fs_uniquifier>
//! <fs_token_uniquifier>`, `s <session id>`, or `*` for everything); every
//! store listens on its own connection and evicts. The triggers fire for
//! every writer — another instance, the CLI, a Flask-Security app on the
//! same database — at its commit.
//!
//! The cache serves only while the listener is subscribed: before its
//! first `LISTEN`, and from a lost connection until a new `LISTEN`
//! succeeds, every read goes to the database, and the cache is emptied on
//! both edges. A generation counter, bumped by every eviction, keeps a read
//! that began before a change from storing what it read after the change
//! was announced. Entries also expire after [`MAX_AGE`], as a backstop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use portcullis_core::User;
use portcullis_core::store::SessionRecord;
use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// The channel the triggers notify.
const CHANNEL: &str = "portcullis_cache";

/// The longest an entry is served, notifications or not.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(30);

/// Entries kept at most per map; beyond, the map is emptied.
const CAPACITY: usize = 50_000;

/// The trigger function and triggers, each statement run alone (the
/// function body holds semicolons), under the migration lock.
const TRIGGERS: &[&str] = &[
    r#"CREATE OR REPLACE FUNCTION portcullis_cache_notify() RETURNS trigger AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    PERFORM pg_notify('portcullis_cache', '*');
  ELSIF TG_TABLE_NAME = 'user' THEN
    PERFORM pg_notify('portcullis_cache', 'u ' || OLD.fs_uniquifier || ' ' || coalesce(OLD.fs_token_uniquifier, ''));
  ELSE
    PERFORM pg_notify('portcullis_cache', 's ' || OLD.id);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql"#,
    r#"CREATE OR REPLACE TRIGGER portcullis_cache_user AFTER UPDATE OR DELETE ON "user" FOR EACH ROW EXECUTE FUNCTION portcullis_cache_notify()"#,
    r#"CREATE OR REPLACE TRIGGER portcullis_cache_user_truncate AFTER TRUNCATE ON "user" FOR EACH STATEMENT EXECUTE FUNCTION portcullis_cache_notify()"#,
    r#"CREATE OR REPLACE TRIGGER portcullis_cache_role AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role FOR EACH STATEMENT EXECUTE FUNCTION portcullis_cache_notify()"#,
    r#"CREATE OR REPLACE TRIGGER portcullis_cache_roles_users AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles_users FOR EACH STATEMENT EXECUTE FUNCTION portcullis_cache_notify()"#,
    r#"CREATE OR REPLACE TRIGGER portcullis_cache_session AFTER UPDATE OR DELETE ON portcullis_sessions FOR EACH ROW EXECUTE FUNCTION portcullis_cache_notify()"#,
    r#"CREATE OR REPLACE TRIGGER portcullis_cache_session_truncate AFTER TRUNCATE ON portcullis_sessions FOR EACH STATEMENT EXECUTE FUNCTION portcullis_cache_notify()"#,
];

/// An entry and when it was read.
struct Entry<T> {
    value: T,
    read_at: Instant,
}

/// The shared state of a store's cache.
struct Shared {
    users: RwLock<HashMap<String, Entry<User>>>,
    sessions: RwLock<HashMap<String, Entry<SessionRecord>>>,
    generation: AtomicU64,
    listening: AtomicBool,
    /// Dropped with the last clone of the store: the listener stops.
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// The cache of one store (clones share it).
#[derive(Clone)]
pub(crate) struct Cache(Arc<Shared>);

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("listening", &self.0.listening.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A read's ticket: the generation it began in.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(Option<u64>);

fn fresh<T: Clone>(map: &RwLock<HashMap<String, Entry<T>>>, key: &str) -> Option<T> {
    let map = map.read().ok()?;
    let e = map.get(key)?;
    (e.read_at.elapsed() < MAX_AGE).then(|| e.value.clone())
}

fn put<T>(map: &RwLock<HashMap<String, Entry<T>>>, key: String, value: T) {
    if let Ok(mut map) = map.write() {
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(
            key,
            Entry {
                value,
                read_at: Instant::now(),
            },
        );
    }
}

impl Cache {
    /// Installs the triggers and starts listening; `None` (the store then
    /// reads through) when the triggers cannot be installed.
    pub(crate) async fn start(db: &DatabaseConnection) -> Option<Self> {
        if let Err(e) = install(db).await {
            tracing::warn!(error = %e, "PostgreSQL cache off: cannot install its triggers");
            return None;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let cache = Cache(Arc::new(Shared {
            users: RwLock::new(HashMap::new()),
            sessions: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            _stop: stop,
        }));
        let weak = Arc::downgrade(&cache.0);
        tokio::spawn(async move {
            tokio::select! {
                () = listen(pool, weak) => {}
                _ = stopped => {}
            }
        });
        Some(cache)
    }

    /// Whether the cache serves now (the listener is subscribed).
    pub(crate) fn listening(&self) -> bool {
        self.0.listening.load(Ordering::Acquire)
    }

    /// Before a read from the database.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(
            self.listening()
                .then(|| self.0.generation.load(Ordering::Acquire)),
        )
    }

    /// Whether a read that began with `t` may be stored.
    fn current(&self, t: Ticket) -> bool {
        t.0.is_some_and(|g| self.listening() && self.0.generation.load(Ordering::Acquire) == g)
    }

    pub(crate) fn user(&self, key: &str) -> Option<User> {
        if !self.listening() {
            return None;
        }
        fresh(&self.0.users, key)
    }

    pub(crate) fn put_user(&self, t: Ticket, key: String, user: &User) {
        if self.current(t) {
            put(&self.0.users, key, user.clone());
        }
    }

    pub(crate) fn session(&self, id: &str) -> Option<SessionRecord> {
        if !self.listening() {
            return None;
        }
        fresh(&self.0.sessions, id)
    }

    pub(crate) fn put_session(&self, t: Ticket, record: &SessionRecord) {
        if self.current(t) {
            put(&self.0.sessions, record.id.clone(), record.clone());
        }
    }

    /// Forgets everything (this store wrote, or notifications may be lost).
    pub(crate) fn flush(&self) {
        flush(&self.0);
    }

    /// Forgets one session (this store changed it).
    pub(crate) fn forget_session(&self, id: &str) {
        self.0.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut m) = self.0.sessions.write() {
            m.remove(id);
        }
    }
}

fn flush(s: &Shared) {
    s.generation.fetch_add(1, Ordering::AcqRel);
    if let Ok(mut m) = s.users.write() {
        m.clear();
    }
    if let Ok(mut m) = s.sessions.write() {
        m.clear();
    }
}

/// Applies one notification.
fn apply(s: &Shared, payload: &str) {
    s.generation.fetch_add(1, Ordering::AcqRel);
    let mut parts = payload.split(' ');
    match parts.next() {
        Some("u") => {
            if let Ok(mut m) = s.users.write() {
                for key in parts.filter(|k| !k.is_empty()) {
                    m.remove(&format!("u:{key}"));
                    m.remove(&format!("t:{key}"));
                }
            }
        }
        Some("s") => {
            if let (Some(id), Ok(mut m)) = (parts.next(), s.sessions.write()) {
                m.remove(id);
            }
        }
        _ => flush(s),
    }
}

async fn install(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    use sea_orm::TransactionTrait;
    let tx = db.begin().await?;
    // The migrations' advisory lock: instances starting together take turns.
    tx.execute_unprepared(&format!(
        "SELECT pg_advisory_xact_lock({})",
        crate::migrate::PG_LOCK
    ))
    .await?;
    for stmt in TRIGGERS {
        tx.execute_unprepared(stmt).await?;
    }
    tx.commit().await
}

/// Listens until the store is gone: subscribes, serves, and on a lost
/// connection stops serving, empties the cache and subscribes again.
async fn listen(pool: PgPool, weak: std::sync::Weak<Shared>) {
    loop {
        let subscribed = async {
            let mut l = PgListener::connect_with(&pool).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(l)
        }
        .await;
        let Some(shared) = weak.upgrade() else { return };
        let mut listener = match subscribed {
            Ok(l) => l,
            Err(_) if pool.is_closed() => return,
            Err(e) => {
                tracing::debug!(error = %e, "PostgreSQL cache: cannot listen yet");
                drop(shared);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        flush(&shared);
        shared.listening.store(true, Ordering::Release);
        drop(shared);
        loop {
            let got = listener.try_recv().await;
            let Some(shared) = weak.upgrade() else { return };
            match got {
                Ok(Some(n)) => apply(&shared, n.payload()),
                // The connection was lost: notifications may be missing.
                Ok(None) | Err(_) => {
                    shared.listening.store(false, Ordering::Release);
                    flush(&shared);
                    break;
                }
            }
        }
    }
}
