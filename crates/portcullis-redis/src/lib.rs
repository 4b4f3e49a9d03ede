#![doc = include_str!("../README.md")]

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use portcullis_core::store::{AttemptStore, Hit, Marker, check_key};
use portcullis_core::{Error, ErrorKind, Result};
use redis::aio::ConnectionManager;
use redis::{RedisError, Script};

mod sessions;

pub use self::sessions::RedisSessions;

/// Counts in the window that ends at `e`, or starts a new one.
const HIT: &str = r"
local d = redis.call('HMGET', KEYS[1], 'v', 'e')
local now, till = tonumber(ARGV[1]), tonumber(ARGV[2])
local v, e
if (not d[2]) or tonumber(d[2]) <= now then
  v, e = 1, till
else
  v, e = tonumber(d[1]) + 1, tonumber(d[2])
end
redis.call('HSET', KEYS[1], 'v', v, 'e', e)
redis.call('PEXPIREAT', KEYS[1], e)
return {v, e}
";

/// Stores the value when none is stored, it expired, or it is lower.
const RAISE: &str = r"
local d = redis.call('HMGET', KEYS[1], 'v', 'e')
local value, exp, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if d[2] and tonumber(d[2]) > now and tonumber(d[1]) >= value then
  return 0
end
redis.call('HSET', KEYS[1], 'v', value, 'e', exp)
redis.call('PEXPIREAT', KEYS[1], exp)
return 1
";

/// Attempt counters and markers in Redis (see the crate documentation).
#[derive(Clone)]
pub struct RedisAttempts {
    conn: ConnectionManager,
    prefix: String,
    hit: Script,
    raise: Script,
}

impl fmt::Debug for RedisAttempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisAttempts")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A Redis error as a portable one (the URL and credentials never appear).
fn map(e: RedisError) -> Error {
    let kind = if e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
    {
        ErrorKind::Unavailable
    } else {
        ErrorKind::Internal
    };
    Error::new(kind, "Redis error").with_source(e)
}

fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A self-reconnecting connection to the server `url` names.
pub(crate) async fn connect(url: &str) -> Result<ConnectionManager> {
    let client = redis::Client::open(url)
        .map_err(|e| Error::new(ErrorKind::Config, "not a Redis URL").with_source(e))?;
    client.get_connection_manager().await.map_err(map)
}

impl RedisAttempts {
    /// Connects to the server `url` names (`redis://host:port/db`,
    /// `rediss://` for TLS is not compiled in).
    pub async fn open(url: &str) -> Result<Self> {
        Ok(Self::new(connect(url).await?))
    }

    /// Over an existing connection manager.
    pub fn new(conn: ConnectionManager) -> Self {
        Self {
            conn,
            prefix: "portcullis:".into(),
            hit: Script::new(HIT),
            raise: Script::new(RAISE),
        }
    }

    /// Puts `prefix` before every key (default `portcullis:`).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn key(&self, key: &str) -> Result<String> {
        check_key(key)?;
        Ok(format!("{}{key}", self.prefix))
    }
}

#[async_trait::async_trait]
impl AttemptStore for RedisAttempts {
    async fn hit(&self, key: &str, window: TimeDelta, now: DateTime<Utc>) -> Result<Hit> {
        let key = self.key(key)?;
        let till = (now + window).timestamp_millis();
        let mut conn = self.conn.clone();
        let (count, resets): (i64, i64) = self
            .hit
            .key(key)
            .arg(now.timestamp_millis())
            .arg(till)
            .invoke_async(&mut conn)
            .await
            .map_err(map)?;
        Ok(Hit {
            count,
            resets_at: from_ms(resets),
        })
    }

    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Marker>> {
        let key = self.key(key)?;
        let mut conn = self.conn.clone();
        let (v, e): (Option<i64>, Option<i64>) = redis::cmd("HMGET")
            .arg(key)
            .arg("v")
            .arg("e")
            .query_async(&mut conn)
            .await
            .map_err(map)?;
        Ok(match (v, e) {
            (Some(value), Some(e)) if e > now.timestamp_millis() => Some(Marker {
                value,
                expires_at: from_ms(e),
            }),
            _ => None,
        })
    }

    async fn raise(
        &self,
        key: &str,
        value: i64,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let key = self.key(key)?;
        let mut conn = self.conn.clone();
        let stored: i64 = self
            .raise
            .key(key)
            .arg(value)
            .arg(expires_at.timestamp_millis())
            .arg(now.timestamp_millis())
            .invoke_async(&mut conn)
            .await
            .map_err(map)?;
        Ok(stored == 1)
    }

    async fn clear(&self, key: &str) -> Result<()> {
        let key = self.key(key)?;
        let mut conn = self.conn.clone();
        redis::cmd("DEL")
            .arg(key)
            .query_async::<i64>(&mut conn)
            .await
            .map_err(map)?;
        Ok(())
    }

    async fn delete_expired(&self, _now: DateTime<Utc>) -> Result<u64> {
        // Redis drops each record at its expiry (PEXPIREAT).
        Ok(0)
    }
}
