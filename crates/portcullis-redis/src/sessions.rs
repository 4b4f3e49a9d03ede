//! Web sessions in Redis: [`RedisSessions`].
//!
//! A record is a hash `<prefix>s:<id>` (`d` the data as JSON, `u` the
//! user's `fs_uniquifier` or empty, `e` the expiry in ms) that Redis drops
//! at its expiry (`PEXPIREAT`). Two sorted sets index it, scored by expiry:
//! `<prefix>su:<user>` (a user's sessions, to list and end them) and
//! `<prefix>sx` (every session, for the expiry sweep). Every change is one
//! Lua script, so a record and its indexes never disagree.

use std::fmt;

use chrono::{DateTime, Utc};
use portcullis_core::store::{SessionRecord, SessionStore};
use portcullis_core::{Error, ErrorKind, Result};
use redis::Script;
use redis::aio::ConnectionManager;
use serde_json::{Map, Value};

use crate::{connect, from_ms, map};

/// Writes a record: `create` when the id is free, `update` when a live
/// record has it, `save` always. 1 when written.
const WRITE: &str = r"
local key, mode, id, data, user = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local e, now, p = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local old = redis.call('HMGET', key, 'u', 'e')
if mode == 'create' and old[2] then return 0 end
if mode == 'update' and not (old[2] and tonumber(old[2]) > now) then return 0 end
if old[1] and old[1] ~= '' and old[1] ~= user then
  redis.call('ZREM', p .. 'su:' .. old[1], id)
end
redis.call('DEL', key)
redis.call('HSET', key, 'd', data, 'u', user, 'e', e)
redis.call('PEXPIREAT', key, e)
redis.call('ZADD', p .. 'sx', e, id)
if user ~= '' then
  local uk = p .. 'su:' .. user
  redis.call('ZADD', uk, e, id)
  redis.call('ZREMRANGEBYSCORE', uk, '-inf', now)
  local last = redis.call('ZRANGE', uk, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', uk, last[2]) end
end
return 1
";

/// Deletes a record and its index entries; 1 when there was one.
const DELETE: &str = r"
local key, id, p = KEYS[1], ARGV[1], ARGV[2]
local u = redis.call('HGET', key, 'u')
if u and u ~= '' then redis.call('ZREM', p .. 'su:' .. u, id) end
redis.call('ZREM', p .. 'sx', id)
return redis.call('DEL', key)
";

/// Deletes up to `ARGV[3]` records expired at `ARGV[1]`: {deleted, seen}.
const EXPIRED: &str = r"
local now, p, batch = ARGV[1], ARGV[2], ARGV[3]
local ids = redis.call('ZRANGEBYSCORE', p .. 'sx', '-inf', now, 'LIMIT', 0, batch)
local n = 0
for _, id in ipairs(ids) do
  local key = p .. 's:' .. id
  local d = redis.call('HMGET', key, 'u', 'e')
  if d[2] and tonumber(d[2]) <= tonumber(now) then
    if d[1] and d[1] ~= '' then redis.call('ZREM', p .. 'su:' .. d[1], id) end
    n = n + redis.call('DEL', key)
  end
  redis.call('ZREM', p .. 'sx', id)
end
return {n, #ids}
";

/// A user's records live at `ARGV[2]`: {id, data, expiry, …}.
const LIST: &str = r"
local user, now, p = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local ids = redis.call('ZRANGEBYSCORE', p .. 'su:' .. user, '(' .. now, '+inf')
local out = {}
for _, id in ipairs(ids) do
  local d = redis.call('HMGET', p .. 's:' .. id, 'd', 'u', 'e')
  if d[2] == user and d[3] and tonumber(d[3]) > now then
    table.insert(out, id)
    table.insert(out, d[1])
    table.insert(out, d[3])
  end
end
return out
";

/// Deletes a user's records but `ARGV[2]` (empty: all); how many.
const DELETE_USER: &str = r"
local user, keep, p = ARGV[1], ARGV[2], ARGV[3]
local uk = p .. 'su:' .. user
local n = 0
for _, id in ipairs(redis.call('ZRANGE', uk, 0, -1)) do
  if id ~= keep then
    local key = p .. 's:' .. id
    if redis.call('HGET', key, 'u') == user then
      n = n + redis.call('DEL', key)
      redis.call('ZREM', p .. 'sx', id)
    end
    redis.call('ZREM', uk, id)
  end
end
return n
";

/// How many expired records one sweep script deletes at most.
const SWEEP_BATCH: i64 = 500;

/// Web sessions in Redis, shared by every instance (see the crate
/// documentation).
#[derive(Clone)]
pub struct RedisSessions {
    conn: ConnectionManager,
    prefix: String,
    write: Script,
    delete: Script,
    expired: Script,
    list: Script,
    delete_user: Script,
}

impl fmt::Debug for RedisSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSessions")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisSessions {
    /// Connects to the server `url` names (`redis://host:port/db`).
    pub async fn open(url: &str) -> Result<Self> {
        Ok(Self::new(connect(url).await?))
    }

    /// Over an existing connection manager.
    pub fn new(conn: ConnectionManager) -> Self {
        Self {
            conn,
            prefix: "portcullis:".into(),
            write: Script::new(WRITE),
            delete: Script::new(DELETE),
            expired: Script::new(EXPIRED),
            list: Script::new(LIST),
            delete_user: Script::new(DELETE_USER),
        }
    }

    /// Puts `prefix` before every key (default `portcullis:`).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn key(&self, id: &str) -> String {
        format!("{}s:{id}", self.prefix)
    }

    async fn write(&self, mode: &str, r: &SessionRecord, now: DateTime<Utc>) -> Result<bool> {
        let data = serde_json::to_string(&r.data)
            .map_err(|e| Error::new(ErrorKind::Internal, "session data").with_source(e))?;
        let mut conn = self.conn.clone();
        let written: i64 = self
            .write
            .key(self.key(&r.id))
            .arg(mode)
            .arg(&r.id)
            .arg(data)
            .arg(r.user.as_deref().unwrap_or(""))
            .arg(r.expires_at.timestamp_millis())
            .arg(now.timestamp_millis())
            .arg(&self.prefix)
            .invoke_async(&mut conn)
            .await
            .map_err(map)?;
        Ok(written == 1)
    }
}

fn record(id: String, data: &str, user: Option<String>, e: i64) -> Result<SessionRecord> {
    let data: Map<String, Value> = serde_json::from_str(data)
        .map_err(|e| Error::new(ErrorKind::Internal, "stored session data").with_source(e))?;
    Ok(SessionRecord {
        id,
        data,
        expires_at: from_ms(e),
        user: user.filter(|u| !u.is_empty()),
    })
}

#[async_trait::async_trait]
impl SessionStore for RedisSessions {
    async fn create_session(&self, record: &SessionRecord) -> Result<()> {
        if self.write("create", record, Utc::now()).await? {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::AlreadyExists, "session id taken"))
        }
    }

    async fn save_session(&self, record: &SessionRecord) -> Result<()> {
        self.write("save", record, Utc::now()).await.map(|_| ())
    }

    async fn update_session(&self, record: &SessionRecord, now: DateTime<Utc>) -> Result<bool> {
        self.write("update", record, now).await
    }

    async fn load_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let mut conn = self.conn.clone();
        let (d, u, e): (Option<String>, Option<String>, Option<i64>) = redis::cmd("HMGET")
            .arg(self.key(id))
            .arg("d")
            .arg("u")
            .arg("e")
            .query_async(&mut conn)
            .await
            .map_err(map)?;
        match (d, e) {
            (Some(d), Some(e)) if e > now.timestamp_millis() => {
                record(id.to_owned(), &d, u, e).map(Some)
            }
            _ => Ok(None),
        }
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        let mut conn = self.conn.clone();
        self.delete
            .key(self.key(id))
            .arg(id)
            .arg(&self.prefix)
            .invoke_async::<i64>(&mut conn)
            .await
            .map_err(map)?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        // Redis drops each record at its expiry by itself; the sweep
        // deletes those expired by the caller's clock and trims the index.
        let mut conn = self.conn.clone();
        let mut deleted = 0;
        loop {
            let (n, seen): (i64, i64) = self
                .expired
                .arg(now.timestamp_millis())
                .arg(&self.prefix)
                .arg(SWEEP_BATCH)
                .invoke_async(&mut conn)
                .await
                .map_err(map)?;
            deleted += u64::try_from(n).unwrap_or(0);
            if seen < SWEEP_BATCH {
                return Ok(deleted);
            }
        }
    }

    async fn list_user_sessions(
        &self,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>> {
        let mut conn = self.conn.clone();
        let flat: Vec<String> = self
            .list
            .arg(user)
            .arg(now.timestamp_millis())
            .arg(&self.prefix)
            .invoke_async(&mut conn)
            .await
            .map_err(map)?;
        flat.chunks_exact(3)
            .map(|c| {
                let e = c[2].parse().unwrap_or_default();
                record(c[0].clone(), &c[1], Some(user.to_owned()), e)
            })
            .collect()
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&str>) -> Result<u64> {
        let mut conn = self.conn.clone();
        let n: i64 = self
            .delete_user
            .arg(user)
            .arg(keep.unwrap_or(""))
            .arg(&self.prefix)
            .invoke_async(&mut conn)
            .await
            .map_err(map)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
