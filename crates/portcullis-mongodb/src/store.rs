//! The store: connecting, indexes, ids, and the datastore traits.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;
use mongodb::{Client, Collection, Cursor, Database};
use portcullis_core::store::{SessionRecord, SessionStore, new_uniquifier};
use portcullis_core::{
    Capabilities, Clock, Datastore, Error, NewRole, NewUser, NewWebAuthn, Result, Role, RoleStore,
    SystemClock, User, UserFilter, UserPatch, UserStore, WebAuthnCredential, WebAuthnStore,
    WebAuthnUse,
};

use crate::config::MongoConfig;
use crate::doc::{self, put_time};
use crate::error::MongoResult;
use crate::indexes;
use crate::query;

/// The MongoDB datastore. Cloning shares the client's pool.
#[derive(Clone)]
pub struct MongoStore {
    client: Client,
    db: Database,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for MongoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoStore")
            .field("database", &self.db.name())
            .finish_non_exhaustive()
    }
}

pub(crate) fn no_user() -> Error {
    Error::not_found("no such user")
}

fn no_role(name: &str) -> Error {
    Error::not_found(format!("no role named {name:?}"))
}

pub(crate) async fn collect(mut cursor: Cursor<Document>) -> Result<Vec<Document>> {
    let mut out = Vec::new();
    while cursor.advance().await.db()? {
        out.push(cursor.deserialize_current().db()?);
    }
    Ok(out)
}

impl MongoStore {
    /// Connects and (unless `config.create_indexes` is off) creates the
    /// indexes. Nothing is sent before the first operation, so an
    /// unreachable server shows up as `Unavailable` on the index step.
    pub async fn open(config: MongoConfig) -> Result<Self> {
        Self::open_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Connects to `url` with the defaults.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::open(MongoConfig::new(url)).await
    }

    /// As [`open`](Self::open), with timestamps from `clock`.
    pub async fn open_with_clock(config: MongoConfig, clock: Arc<dyn Clock>) -> Result<Self> {
        config.check()?;
        let client = Client::with_uri_str(config.url.expose()).await.db()?;
        let db = match &config.database {
            Some(name) => client.database(name),
            None => client
                .default_database()
                .unwrap_or_else(|| client.database("portcullis")),
        };
        let store = Self { client, db, clock };
        if config.create_indexes {
            store.create_indexes().await?;
        }
        Ok(store)
    }

    /// Creates every index (safe to repeat).
    pub async fn create_indexes(&self) -> Result<()> {
        for c in [
            "user",
            "role",
            "web_authn",
            "fs_refresh_tracker",
            "portcullis_sessions",
        ] {
            let models = indexes::models(c);
            if !models.is_empty() {
                self.coll(c).create_indexes(models).await.db()?;
            }
        }
        Ok(())
    }

    /// The database, for the application's own collections.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Drops the whole database (tests).
    pub async fn drop_database(&self) -> Result<()> {
        self.db.drop().await.db()
    }

    /// Closes the client when a server stops: waits for the sessions and
    /// cursors in use, then ends its connections. Every clone of this store
    /// shares the client, so one call closes them all.
    pub async fn close(&self) {
        self.client.clone().shutdown().await;
    }

    pub(crate) fn coll(&self, name: &str) -> Collection<Document> {
        self.db.collection(name)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        portcullis_core::store::now_utc(self.clock.as_ref())
    }

    /// The next id of a collection, from `portcullis_counters` (one atomic
    /// `$inc`).
    pub(crate) async fn next_id(&self, collection: &str) -> Result<i64> {
        let (filter, update) = query::next_id(collection);
        let d = self
            .coll("portcullis_counters")
            .find_one_and_update(filter, update)
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await
            .db()?
            .ok_or_else(|| Error::internal("the id counter vanished"))?;
        match d.get("seq") {
            Some(Bson::Int64(n)) => Ok(*n),
            Some(Bson::Int32(n)) => Ok(i64::from(*n)),
            _ => Err(Error::internal("the id counter is not a number")),
        }
    }

    /// Users matching `filter` (sorted by id), with their roles.
    async fn users(&self, filter: Document, skip: u64, limit: Option<u64>) -> Result<Vec<User>> {
        let users = self.coll("user");
        let mut find = users.find(filter).sort(doc! {"_id": 1});
        if skip > 0 {
            find = find.skip(skip);
        }
        if let Some(l) = limit {
            find = find.limit(i64::try_from(l).unwrap_or(i64::MAX));
        }
        let docs = collect(find.await.db()?).await?;
        let mut ids: Vec<i64> = docs.iter().flat_map(doc::role_ids).collect();
        ids.sort_unstable();
        ids.dedup();
        let roles: Vec<Role> = if ids.is_empty() {
            Vec::new()
        } else {
            collect(
                self.coll("role")
                    .find(query::roles_by_id(ids))
                    .sort(doc! {"name": 1})
                    .await
                    .db()?,
            )
            .await?
            .iter()
            .map(doc::role_from)
            .collect::<Result<_>>()?
        };
        docs.iter()
            .map(|d| {
                let mut u = doc::user_from(d)?;
                let mine = doc::role_ids(d);
                // Dangling ids (a role deleted meanwhile) are ignored.
                u.roles = roles
                    .iter()
                    .filter(|r| mine.contains(&r.id))
                    .cloned()
                    .collect();
                Ok(u)
            })
            .collect()
    }

    async fn user(&self, filter: Document) -> Result<Option<User>> {
        Ok(self.users(filter, 0, Some(1)).await?.pop())
    }

    async fn role_doc(&self, name: &str) -> Result<Option<Document>> {
        self.coll("role").find_one(doc! {"name": name}).await.db()
    }

    async fn set_user(&self, id: i64, set: Document) -> Result<()> {
        let r = self
            .coll("user")
            .update_one(doc! {"_id": id}, doc! {"$set": set})
            .await
            .db()?;
        if r.matched_count == 0 {
            return Err(no_user());
        }
        Ok(())
    }

    async fn change_permissions(&self, name: &str, update: Document) -> Result<Role> {
        let d = self
            .coll("role")
            .find_one_and_update(doc! {"name": name}, update)
            .return_document(ReturnDocument::After)
            .await
            .db()?
            .ok_or_else(|| no_role(name))?;
        doc::role_from(&d)
    }
}

#[async_trait::async_trait]
impl UserStore for MongoStore {
    async fn find_user_by_id(&self, id: i64) -> Result<Option<User>> {
        self.user(doc! {"_id": id}).await
    }

    async fn find_user_by_uniquifier(&self, uniquifier: &str) -> Result<Option<User>> {
        self.user(doc! {"fs_uniquifier": uniquifier}).await
    }

    async fn find_user_by_token_uniquifier(&self, uid: &str) -> Result<Option<User>> {
        match self.user(doc! {"fs_token_uniquifier": uid}).await? {
            Some(u) => Ok(Some(u)),
            None => self.find_user_by_uniquifier(uid).await,
        }
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.user(doc! {"email_key": portcullis_core::store::email_key(email)})
            .await
    }

    async fn find_user_by_username(
        &self,
        username: &str,
        case_insensitive: bool,
    ) -> Result<Option<User>> {
        if case_insensitive {
            self.user(doc! {"username_key": username.to_lowercase()})
                .await
        } else {
            self.user(doc! {"username": username}).await
        }
    }

    async fn find_user_by_phone(&self, phone: &str) -> Result<Option<User>> {
        self.user(doc! {"us_phone_number": phone}).await
    }

    async fn find_user_by_webauthn_handle(&self, handle: &str) -> Result<Option<User>> {
        self.user(doc! {"fs_webauthn_user_handle": handle}).await
    }

    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>> {
        let role_id = match &filter.role {
            Some(name) => match self.role_doc(name).await? {
                Some(r) => Some(doc::role_from(&r)?.id),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        self.users(
            query::user_list(filter.active, role_id),
            filter.offset,
            filter.limit,
        )
        .await
    }

    async fn create_user(&self, new: NewUser) -> Result<User> {
        new.check()?;
        doc::check_app_fields(&new.fields)?;
        let mut roles = Vec::new();
        for name in &new.roles {
            let r = self.role_doc(name).await?.ok_or_else(|| no_role(name))?;
            roles.push(doc::role_from(&r)?.id);
        }
        let id = self.next_id("user").await?;
        let uniquifiers = [
            new.fs_uniquifier.clone().unwrap_or_else(new_uniquifier),
            new.fs_token_uniquifier
                .clone()
                .unwrap_or_else(new_uniquifier),
            new.fs_webauthn_user_handle
                .clone()
                .unwrap_or_else(new_uniquifier),
        ];
        let d = doc::new_user_doc(id, new, uniquifiers, roles, self.now());
        // One document: the insert is atomic, and the unique indexes decide
        // races (of many simultaneous registrations one wins).
        self.coll("user").insert_one(d).await.db()?;
        self.find_user_by_id(id).await?.ok_or_else(no_user)
    }

    async fn update_user(&self, id: i64, patch: UserPatch) -> Result<User> {
        patch.check()?;
        doc::check_app_fields(&patch.fields)?;
        if !patch.is_empty() {
            self.set_user(id, doc::patch_set(patch, self.now())).await?;
        }
        self.find_user_by_id(id).await?.ok_or_else(no_user)
    }

    async fn delete_user(&self, id: i64) -> Result<bool> {
        // Credentials first: a crash in between leaves a user without
        // credentials, never credentials without a user.
        for c in ["web_authn", "fs_refresh_tracker"] {
            self.coll(c).delete_many(doc! {"user_id": id}).await.db()?;
        }
        Ok(self
            .coll("user")
            .delete_one(doc! {"_id": id})
            .await
            .db()?
            .deleted_count
            > 0)
    }

    async fn set_active(&self, id: i64, active: bool) -> Result<bool> {
        // Only a change matches, so "changed" is decided atomically.
        let (filter, update) = query::set_active(id, active, self.now());
        let r = self.coll("user").update_one(filter, update).await.db()?;
        if r.matched_count == 1 {
            return Ok(true);
        }
        match self.coll("user").find_one(doc! {"_id": id}).await.db()? {
            Some(_) => Ok(false),
            None => Err(no_user()),
        }
    }

    async fn record_login(&self, id: i64, ip: Option<&str>, at: DateTime<Utc>) -> Result<User> {
        if let Some(ip) = ip {
            portcullis_core::store::limits::check("ip", ip, portcullis_core::store::limits::IP)?;
        }
        let r = self
            .coll("user")
            .update_one(
                doc! {"_id": id},
                doc::record_login_update(ip, at, self.now()),
            )
            .await
            .db()?;
        if r.matched_count == 0 {
            return Err(no_user());
        }
        self.find_user_by_id(id).await?.ok_or_else(no_user)
    }

    async fn take_recovery_code(&self, id: i64, code: &str) -> Result<bool> {
        let user = self.find_user_by_id(id).await?.ok_or_else(no_user)?;
        let codes: Vec<String> = user
            .mf_recovery_codes
            .unwrap_or_default()
            .iter()
            .map(|c| c.expose().to_owned())
            .collect();
        let Some(pos) = portcullis_core::crypto::recovery::find_code(&codes, code) else {
            return Ok(false);
        };
        // Pull exactly the stored code, only if it is still there: of two
        // simultaneous takes, one matches.
        let (filter, update) = query::take_code(id, &codes[pos], self.now());
        let r = self.coll("user").update_one(filter, update).await.db()?;
        Ok(r.modified_count == 1)
    }

    async fn reset_user_access(&self, id: i64) -> Result<User> {
        let patch = UserPatch::reset_access();
        self.set_user(id, doc::patch_set(patch, self.now())).await?;
        self.coll("web_authn")
            .delete_many(doc! {"user_id": id})
            .await
            .db()?;
        crate::refresh::revoke_all(self, id).await?;
        self.find_user_by_id(id).await?.ok_or_else(no_user)
    }
}

#[async_trait::async_trait]
impl RoleStore for MongoStore {
    async fn create_role(&self, new: NewRole) -> Result<Role> {
        new.check()?;
        let mut perms: Vec<String> = Vec::new();
        for p in new.permissions {
            if !perms.contains(&p) {
                perms.push(p);
            }
        }
        let id = self.next_id("role").await?;
        let d = doc::new_role_doc(id, new.name, new.description, &perms, self.now());
        self.coll("role").insert_one(&d).await.db()?;
        doc::role_from(&d)
    }

    async fn find_role(&self, name: &str) -> Result<Option<Role>> {
        self.role_doc(name)
            .await?
            .map(|d| doc::role_from(&d))
            .transpose()
    }

    async fn list_roles(&self) -> Result<Vec<Role>> {
        let mut roles: Vec<Role> = collect(self.coll("role").find(doc! {}).await.db()?)
            .await?
            .iter()
            .map(doc::role_from)
            .collect::<Result<_>>()?;
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(roles)
    }

    async fn delete_role(&self, name: &str) -> Result<bool> {
        let Some(d) = self
            .coll("role")
            .find_one_and_delete(doc! {"name": name})
            .await
            .db()?
        else {
            return Ok(false);
        };
        let (filter, update) = query::forget_role(doc::role_from(&d)?.id);
        self.coll("user").update_many(filter, update).await.db()?;
        Ok(true)
    }

    async fn add_role_to_user(&self, user_id: i64, role: &str) -> Result<bool> {
        let rid = doc::role_from(&self.role_doc(role).await?.ok_or_else(|| no_role(role))?)?.id;
        let (filter, update) = query::add_role(user_id, rid);
        let r = self.coll("user").update_one(filter, update).await.db()?;
        if r.matched_count == 0 {
            return Err(no_user());
        }
        Ok(r.modified_count == 1)
    }

    async fn remove_role_from_user(&self, user_id: i64, role: &str) -> Result<bool> {
        let rid = doc::role_from(&self.role_doc(role).await?.ok_or_else(|| no_role(role))?)?.id;
        let (filter, update) = query::remove_role(user_id, rid);
        let r = self.coll("user").update_one(filter, update).await.db()?;
        if r.matched_count == 0 {
            return Err(no_user());
        }
        Ok(r.modified_count == 1)
    }

    async fn add_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        portcullis_core::store::limits::list_items("permissions", permissions)?;
        self.change_permissions(role, query::add_permissions(permissions, self.now()))
            .await
    }

    async fn remove_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        self.change_permissions(role, query::remove_permissions(permissions, self.now()))
            .await
    }
}

#[async_trait::async_trait]
impl WebAuthnStore for MongoStore {
    async fn create_webauthn(&self, user_id: i64, new: NewWebAuthn) -> Result<WebAuthnCredential> {
        new.check()?;
        if self
            .coll("user")
            .find_one(doc! {"_id": user_id})
            .await
            .db()?
            .is_none()
        {
            return Err(no_user());
        }
        let id = self.next_id("web_authn").await?;
        let d = doc::new_webauthn_doc(id, user_id, new, self.now());
        self.coll("web_authn").insert_one(&d).await.db()?;
        doc::webauthn_from(&d)
    }

    async fn find_webauthn(&self, credential_id: &[u8]) -> Result<Option<WebAuthnCredential>> {
        self.coll("web_authn")
            .find_one(doc! {"credential_id": doc::bytes(credential_id.to_vec())})
            .await
            .db()?
            .map(|d| doc::webauthn_from(&d))
            .transpose()
    }

    async fn list_webauthn(&self, user_id: i64) -> Result<Vec<WebAuthnCredential>> {
        collect(
            self.coll("web_authn")
                .find(doc! {"user_id": user_id})
                .sort(doc! {"_id": 1})
                .await
                .db()?,
        )
        .await?
        .iter()
        .map(doc::webauthn_from)
        .collect()
    }

    async fn record_webauthn_use(&self, id: i64, used: &WebAuthnUse) -> Result<()> {
        let mut set = doc! {
            "sign_count": used.sign_count,
            "backup_state": used.backup_state,
            "device_type": &used.device_type,
        };
        put_time(&mut set, "lastuse_datetime", Some(used.at));
        let r = self
            .coll("web_authn")
            .update_one(doc! {"_id": id}, doc! {"$set": set})
            .await
            .db()?;
        if r.matched_count == 0 {
            return Err(Error::not_found("no such credential"));
        }
        Ok(())
    }

    async fn delete_webauthn(&self, id: i64) -> Result<bool> {
        Ok(self
            .coll("web_authn")
            .delete_one(doc! {"_id": id})
            .await
            .db()?
            .deleted_count
            > 0)
    }
}

fn session_doc(r: &SessionRecord) -> Result<Document> {
    let data = serde_json::to_string(&r.data)
        .map_err(|e| Error::internal("session data").with_source(e))?;
    let mut d = doc! {"_id": &r.id, "data": data};
    put_time(&mut d, "expires_at", Some(r.expires_at));
    d.insert(
        "user_id",
        r.user
            .as_ref()
            .map_or(Bson::Null, |u| Bson::String(u.clone())),
    );
    Ok(d)
}

/// A stored session document as a record, unless expired at `now` or
/// unreadable.
fn session_record(d: &Document, now: DateTime<Utc>) -> Option<SessionRecord> {
    let expires_at = doc::get_time(d, "expires_at").filter(|t| *t > now)?;
    let data = serde_json::from_str(d.get_str("data").ok()?).ok()?;
    Some(SessionRecord {
        id: d.get_str("_id").ok()?.to_owned(),
        data,
        expires_at,
        user: d.get_str("user_id").ok().map(str::to_owned),
    })
}

#[async_trait::async_trait]
impl SessionStore for MongoStore {
    async fn create_session(&self, record: &SessionRecord) -> Result<()> {
        self.coll("portcullis_sessions")
            .insert_one(session_doc(record)?)
            .await
            .db()?;
        Ok(())
    }

    async fn save_session(&self, record: &SessionRecord) -> Result<()> {
        self.coll("portcullis_sessions")
            .replace_one(doc! {"_id": &record.id}, session_doc(record)?)
            .upsert(true)
            .await
            .db()?;
        Ok(())
    }

    async fn update_session(&self, record: &SessionRecord, now: DateTime<Utc>) -> Result<bool> {
        let filter = query::live_session(&record.id, now);
        let done = self
            .coll("portcullis_sessions")
            .replace_one(filter, session_doc(record)?)
            .await
            .db()?;
        Ok(done.matched_count == 1)
    }

    async fn load_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let Some(d) = self
            .coll("portcullis_sessions")
            .find_one(doc! {"_id": id})
            .await
            .db()?
        else {
            return Ok(None);
        };
        Ok(session_record(&d, now).filter(|r| r.id == id))
    }

    async fn list_user_sessions(
        &self,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>> {
        let mut cursor = self
            .coll("portcullis_sessions")
            .find(doc! {"user_id": user})
            .await
            .db()?;
        let mut out = Vec::new();
        while cursor.advance().await.db()? {
            let d = cursor.deserialize_current().db()?;
            out.extend(session_record(&d, now));
        }
        Ok(out)
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&str>) -> Result<u64> {
        let mut filter = doc! {"user_id": user};
        if let Some(k) = keep {
            filter.insert("_id", doc! {"$ne": k});
        }
        Ok(self
            .coll("portcullis_sessions")
            .delete_many(filter)
            .await
            .db()?
            .deleted_count)
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        self.coll("portcullis_sessions")
            .delete_one(doc! {"_id": id})
            .await
            .db()?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(self
            .coll("portcullis_sessions")
            .delete_many(query::expired_sessions(now))
            .await
            .db()?
            .deleted_count)
    }
}

impl Datastore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(true, true, false)
    }

    /// Any well-formed name that is not one of the document's own keys.
    fn application_fields(&self) -> portcullis_core::AppFields {
        portcullis_core::AppFields::Any
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
