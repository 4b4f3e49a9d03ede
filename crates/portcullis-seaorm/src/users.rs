//! `UserStore` over SeaORM.

use chrono::{DateTime, Utc};
use portcullis_core::models::asa_list;
use portcullis_core::store::{email_key, new_uniquifier};
use portcullis_core::{
    Error, NewUser, Result, Role, SecretString, User, UserFilter, UserPatch, UserStore,
};
use sea_orm::sea_query::{Alias, DynIden, Expr, ExprTrait, Func, IntoIden, LockType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Value,
};

use crate::entity::{fs_refresh_tracker, role, roles_users, user, web_authn};
use crate::error::DbResult;
use crate::fields::{self, UserColumns};
use crate::sql::{codes, key, role_from, secret, text, time, user_from};
use crate::store::SeaOrmStore;

fn not_found() -> Error {
    Error::not_found("no such user")
}

/// A user's roles, by name; duplicate link rows count once.
pub(crate) async fn roles_of<C: ConnectionTrait>(conn: &C, user_id: i32) -> Result<Vec<Role>> {
    let links = Query::select()
        .column(roles_users::Column::RoleId)
        .from(roles_users::Entity)
        .and_where(Expr::col(roles_users::Column::UserId).eq(user_id))
        .to_owned();
    Ok(role::Entity::find()
        .filter(role::Column::Id.in_subquery(links))
        .order_by_asc(role::Column::Name)
        .all(conn)
        .await
        .db()?
        .into_iter()
        .map(role_from)
        .collect())
}

async fn with_roles<C: ConnectionTrait>(
    conn: &C,
    cols: &UserColumns,
    m: Option<user::Model>,
) -> Result<Option<User>> {
    match m {
        Some(m) => {
            let id = m.id;
            let mut u = [user_from(m)];
            u[0].roles = roles_of(conn, id).await?;
            fields::attach(conn, cols, &mut u).await?;
            let [u] = u;
            Ok(Some(u))
        }
        None => Ok(None),
    }
}

/// Users matching `cond`, each with its roles, in one query (a LEFT JOIN
/// through `roles_users`): the hot path of every authenticated request.
/// Duplicate link rows, which Flask-Security's keyless join table allows,
/// count once; roles come sorted by name.
async fn with_roles_where<C: ConnectionTrait>(
    conn: &C,
    cols: &UserColumns,
    cond: sea_orm::Condition,
) -> Result<Vec<User>> {
    let rows = user::Entity::find()
        .filter(cond)
        .find_with_related(role::Entity)
        .all(conn)
        .await
        .db()?;
    let mut users: Vec<User> = rows
        .into_iter()
        .map(|(m, roles)| {
            let mut u = user_from(m);
            let mut roles: Vec<Role> = roles.into_iter().map(role_from).collect();
            roles.sort_by(|a, b| a.name.cmp(&b.name));
            roles.dedup_by_key(|r| r.id);
            u.roles = roles;
            u
        })
        .collect();
    fields::attach(conn, cols, &mut users).await?;
    Ok(users)
}

/// The first user whose `col` equals `value` exactly. MySQL's
/// case-insensitive collations may return a near match, so the value is
/// compared again here.
async fn by_column<C: ConnectionTrait>(
    conn: &C,
    cols: &UserColumns,
    col: user::Column,
    value: &str,
    get: fn(&User) -> Option<&str>,
) -> Result<Option<User>> {
    Ok(
        with_roles_where(conn, cols, sea_orm::Condition::all().add(col.eq(value)))
            .await?
            .into_iter()
            .find(|u| get(u) == Some(value)),
    )
}

pub(crate) async fn load<C: ConnectionTrait>(
    conn: &C,
    cols: &UserColumns,
    id: i64,
) -> Result<Option<User>> {
    let Some(k) = key(id) else {
        return Ok(None);
    };
    Ok(with_roles_where(
        conn,
        cols,
        sea_orm::Condition::all().add(user::Column::Id.eq(k)),
    )
    .await?
    .pop())
}

/// The condition selecting rows that may hold `email` case-insensitively,
/// through an index; callers compare [`email_key`]s. SQLite's `lower()`
/// folds ASCII only, so for other keys its candidates include every
/// non-ASCII address.
fn email_condition(backend: DbBackend, email: &str) -> sea_orm::Condition {
    let lower = || {
        Expr::expr(Func::lower(Expr::col(user::Column::Email))).eq(Func::lower(Expr::val(email)))
    };
    let cond = sea_orm::Condition::any();
    match backend {
        // The columns' case-insensitive collation does the folding.
        DbBackend::MySql => cond.add(user::Column::Email.eq(email)),
        DbBackend::Postgres => cond.add(lower()),
        _ if email_key(email).is_ascii() => cond.add(lower()),
        _ => cond.add(lower()).add(Expr::cust("email GLOB '*[^ -~]*'")),
    }
}

/// Rows that may hold `email` (see [`email_condition`]).
async fn email_candidates<C: ConnectionTrait>(conn: &C, email: &str) -> Result<Vec<user::Model>> {
    user::Entity::find()
        .filter(email_condition(conn.get_database_backend(), email))
        .all(conn)
        .await
        .db()
}

/// The id of the user holding `email`, compared as [`email_key`]s.
async fn email_owner<C: ConnectionTrait>(conn: &C, email: &str) -> Result<Option<user::Model>> {
    let k = email_key(email);
    Ok(email_candidates(conn, email)
        .await?
        .into_iter()
        .find(|m| email_key(&m.email) == k))
}

/// The `SET` assignments a patch makes.
fn assignments(backend: DbBackend, p: UserPatch) -> Vec<(user::Column, Value)> {
    use user::Column as C;
    let mut a: Vec<(C, Value)> = Vec::new();
    if let Some(v) = p.email {
        a.push((C::Email, Value::String(Some(v))));
    }
    if let Some(v) = p.username {
        a.push((C::Username, text(v)));
    }
    if let Some(v) = p.password {
        a.push((C::Password, secret(v)));
    }
    if let Some(v) = p.active {
        a.push((C::Active, Value::Bool(Some(v))));
    }
    if let Some(v) = p.fs_uniquifier {
        a.push((C::FsUniquifier, Value::String(Some(v))));
    }
    if let Some(v) = p.fs_token_uniquifier {
        a.push((C::FsTokenUniquifier, text(v)));
    }
    if let Some(v) = p.confirmed_at {
        a.push((C::ConfirmedAt, time(backend, v)));
    }
    if let Some(v) = p.last_login_at {
        a.push((C::LastLoginAt, time(backend, v)));
    }
    if let Some(v) = p.current_login_at {
        a.push((C::CurrentLoginAt, time(backend, v)));
    }
    if let Some(v) = p.last_login_ip {
        a.push((C::LastLoginIp, text(v)));
    }
    if let Some(v) = p.current_login_ip {
        a.push((C::CurrentLoginIp, text(v)));
    }
    if let Some(v) = p.login_count {
        a.push((
            C::LoginCount,
            Value::Int(v.map(|n| i32::try_from(n).unwrap_or(i32::MAX))),
        ));
    }
    if let Some(v) = p.tf_primary_method {
        a.push((C::TfPrimaryMethod, text(v)));
    }
    if let Some(v) = p.tf_totp_secret {
        a.push((C::TfTotpSecret, secret(v)));
    }
    if let Some(v) = p.tf_phone_number {
        a.push((C::TfPhoneNumber, text(v)));
    }
    if let Some(v) = p.us_totp_secrets {
        a.push((C::UsTotpSecrets, secret(v)));
    }
    if let Some(v) = p.us_phone_number {
        a.push((C::UsPhoneNumber, text(v)));
    }
    if let Some(v) = p.fs_webauthn_user_handle {
        a.push((C::FsWebauthnUserHandle, text(v)));
    }
    if let Some(v) = p.mf_recovery_codes {
        a.push((C::MfRecoveryCodes, codes(v)));
    }
    a
}

/// The application fields of a new user as insert columns and values.
fn app_columns(
    backend: DbBackend,
    cols: &UserColumns,
    values: &portcullis_core::UserFields,
) -> (Vec<DynIden>, Vec<sea_orm::sea_query::Expr>) {
    values
        .iter()
        .filter_map(|(name, v)| {
            let f = cols.app.iter().find(|f| &f.name == name)?;
            Some((
                Alias::new(name.as_str()).into_iden(),
                fields::expr(backend, f, v),
            ))
        })
        .unzip()
}

/// Applies a patch (and bumps `update_datetime`) to an existing user.
async fn apply<C: ConnectionTrait>(
    conn: &C,
    id: i32,
    patch: UserPatch,
    now: DateTime<Utc>,
) -> Result<()> {
    let backend = conn.get_database_backend();
    let mut q = Query::update();
    q.table(user::Entity);
    for (col, v) in assignments(backend, patch) {
        q.value(col, v);
    }
    q.value(user::Column::UpdateDatetime, time(backend, Some(now)))
        .and_where(Expr::col(user::Column::Id).eq(id));
    conn.execute(&q).await.db()?;
    Ok(())
}

/// The row of user `id`, locked for the rest of the transaction where the
/// database has row locks (SQLite's write transaction already excludes
/// other writers).
async fn lock_row<C: ConnectionTrait>(conn: &C, id: i32) -> Result<user::Model> {
    let mut q = user::Entity::find_by_id(id);
    if conn.get_database_backend() != DbBackend::Sqlite {
        q = q.lock(LockType::Update);
    }
    q.one(conn).await.db()?.ok_or_else(not_found)
}

#[async_trait::async_trait]
impl UserStore for SeaOrmStore {
    async fn find_user_by_id(&self, id: i64) -> Result<Option<User>> {
        let cols = self.columns();
        load(self.db(), &cols, id).await
    }

    async fn find_user_by_uniquifier(&self, uniquifier: &str) -> Result<Option<User>> {
        let cols = self.columns();
        let load = by_column(
            self.db(),
            &cols,
            user::Column::FsUniquifier,
            uniquifier,
            |m| Some(&m.fs_uniquifier),
        );
        self.cached_user(format!("u:{uniquifier}"), load).await
    }

    async fn find_user_by_token_uniquifier(&self, uid: &str) -> Result<Option<User>> {
        let cols = self.columns();
        let load = async {
            match by_column(
                self.db(),
                &cols,
                user::Column::FsTokenUniquifier,
                uid,
                |m| m.fs_token_uniquifier.as_deref(),
            )
            .await?
            {
                Some(u) => Ok(Some(u)),
                None => {
                    by_column(self.db(), &cols, user::Column::FsUniquifier, uid, |m| {
                        Some(&m.fs_uniquifier)
                    })
                    .await
                }
            }
        };
        self.cached_user(format!("t:{uid}"), load).await
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let cols = self.columns();
        // One joined query: candidates with their roles.
        let k = email_key(email);
        Ok(
            with_roles_where(self.db(), &cols, email_condition(self.backend(), email))
                .await?
                .into_iter()
                .find(|u| email_key(&u.email) == k),
        )
    }

    async fn find_user_by_username(
        &self,
        username: &str,
        case_insensitive: bool,
    ) -> Result<Option<User>> {
        let cols = self.columns();
        if !case_insensitive {
            return by_column(self.db(), &cols, user::Column::Username, username, |m| {
                m.username.as_deref()
            })
            .await;
        }
        let k = username.to_lowercase();
        let found = user::Entity::find()
            .filter(
                Expr::expr(Func::lower(Expr::col(user::Column::Username)))
                    .eq(Func::lower(Expr::val(username))),
            )
            .all(self.db())
            .await
            .db()?
            .into_iter()
            .find(|m| m.username.as_deref().map(str::to_lowercase).as_deref() == Some(&k));
        with_roles(self.db(), &cols, found).await
    }

    async fn find_user_by_phone(&self, phone: &str) -> Result<Option<User>> {
        let cols = self.columns();
        by_column(self.db(), &cols, user::Column::UsPhoneNumber, phone, |m| {
            m.us_phone_number.as_deref()
        })
        .await
    }

    async fn find_user_by_webauthn_handle(&self, handle: &str) -> Result<Option<User>> {
        let cols = self.columns();
        by_column(
            self.db(),
            &cols,
            user::Column::FsWebauthnUserHandle,
            handle,
            |m| m.fs_webauthn_user_handle.as_deref(),
        )
        .await
    }

    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>> {
        let cols = self.columns();
        let mut q = user::Entity::find().order_by_asc(user::Column::Id);
        if let Some(active) = filter.active {
            q = q.filter(user::Column::Active.eq(active));
        }
        if let Some(name) = &filter.role {
            let holders = Query::select()
                .column((roles_users::Entity, roles_users::Column::UserId))
                .from(roles_users::Entity)
                .inner_join(
                    role::Entity,
                    Expr::col((role::Entity, role::Column::Id))
                        .equals((roles_users::Entity, roles_users::Column::RoleId)),
                )
                .and_where(Expr::col((role::Entity, role::Column::Name)).eq(name.as_str()))
                .to_owned();
            q = q.filter(user::Column::Id.in_subquery(holders));
        }
        if filter.offset > 0 || filter.limit.is_some() {
            // MySQL and SQLite need a LIMIT with an OFFSET.
            q = q
                .offset(filter.offset)
                .limit(filter.limit.unwrap_or(i64::MAX as u64));
        }
        // The page's ids first (LIMIT applies to users, not to joined
        // rows), then the users with their roles in one joined query.
        let ids: Vec<i32> = q
            .select_only()
            .column(user::Column::Id)
            .into_tuple()
            .all(self.db())
            .await
            .db()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut users = with_roles_where(
            self.db(),
            &cols,
            sea_orm::Condition::all().add(user::Column::Id.is_in(ids)),
        )
        .await?;
        users.sort_by_key(|u| u.id);
        Ok(users)
    }

    async fn create_user(&self, new: NewUser) -> Result<User> {
        new.check()?;
        let cols = self.columns();
        cols.fields().check_create(&new.fields)?;
        let backend = self.backend();
        let now = self.now();
        let tx = self.begin().await?;
        let mut role_ids = Vec::new();
        for name in &new.roles {
            let r = role::Entity::find()
                .filter(role::Column::Name.eq(name.as_str()))
                .one(&tx)
                .await
                .db()?
                .filter(|r| &r.name == name)
                .ok_or_else(|| Error::not_found(format!("no role named {name:?}")))?;
            role_ids.push(r.id);
        }
        // The unique index decides races; this check gives the same answer
        // where the index folds case differently (SQLite's ASCII lower()).
        if email_owner(&tx, &new.email).await?.is_some() {
            return Err(Error::already_exists("email"));
        }
        let uniquifier = new.fs_uniquifier.unwrap_or_else(new_uniquifier);
        let (app_names, app_values) = app_columns(backend, &cols, &new.fields);
        let mut q = Query::insert();
        q.into_table(user::Entity)
            .columns(
                [
                    user::Column::Email,
                    user::Column::Username,
                    user::Column::Password,
                    user::Column::Active,
                    user::Column::FsUniquifier,
                    user::Column::FsTokenUniquifier,
                    user::Column::ConfirmedAt,
                    user::Column::UsPhoneNumber,
                    user::Column::FsWebauthnUserHandle,
                    user::Column::CreateDatetime,
                    user::Column::UpdateDatetime,
                ]
                .into_iter()
                .map(IntoIden::into_iden)
                .chain(app_names),
            )
            .values(
                [
                    Value::String(Some(new.email)).into(),
                    text(new.username).into(),
                    secret(new.password).into(),
                    Value::Bool(Some(new.active)).into(),
                    Value::String(Some(uniquifier.clone())).into(),
                    Value::String(Some(new.fs_token_uniquifier.unwrap_or_else(new_uniquifier)))
                        .into(),
                    time(backend, new.confirmed_at).into(),
                    text(new.us_phone_number).into(),
                    Value::String(Some(
                        new.fs_webauthn_user_handle.unwrap_or_else(new_uniquifier),
                    ))
                    .into(),
                    time(backend, Some(now)).into(),
                    time(backend, Some(now)).into(),
                ]
                .into_iter()
                .chain(app_values),
            )
            .map_err(|e| Error::internal("building the insert").with_source(e))?;
        tx.execute(&q).await.db()?;
        let m = user::Entity::find()
            .filter(user::Column::FsUniquifier.eq(uniquifier.as_str()))
            .all(&tx)
            .await
            .db()?
            .into_iter()
            .find(|m| m.fs_uniquifier == uniquifier)
            .ok_or_else(|| Error::internal("user vanished after insert"))?;
        for rid in role_ids {
            let mut link = Query::insert();
            link.into_table(roles_users::Entity)
                .columns([roles_users::Column::UserId, roles_users::Column::RoleId])
                .values([m.id.into(), rid.into()])
                .map_err(|e| Error::internal("building the insert").with_source(e))?;
            tx.execute(&link).await.db()?;
        }
        let id = m.id;
        let mut u = [user_from(m)];
        u[0].roles = roles_of(&tx, id).await?;
        fields::attach(&tx, &cols, &mut u).await?;
        let [u] = u;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(u)
    }

    async fn update_user(&self, id: i64, mut patch: UserPatch) -> Result<User> {
        let cols = self.columns();
        patch.check()?;
        cols.fields().check_write(&patch.fields)?;
        if patch.is_empty() {
            return self.find_user_by_id(id).await?.ok_or_else(not_found);
        }
        let k = key(id).ok_or_else(not_found)?;
        let now = self.now();
        let tx = self.begin().await?;
        lock_row(&tx, k).await?;
        if let Some(email) = &patch.email
            && email_owner(&tx, email)
                .await?
                .is_some_and(|owner| owner.id != k)
        {
            return Err(Error::already_exists("email"));
        }
        let app = std::mem::take(&mut patch.fields);
        apply(&tx, k, patch, now).await?;
        fields::write(&tx, &cols, k, &app).await?;
        let u = load(&tx, &cols, id).await?.ok_or_else(not_found)?;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(u)
    }

    async fn delete_user(&self, id: i64) -> Result<bool> {
        let Some(k) = key(id) else {
            return Ok(false);
        };
        let tx = self.begin().await?;
        roles_users::Entity::delete_many()
            .filter(roles_users::Column::UserId.eq(k))
            .exec(&tx)
            .await
            .db()?;
        web_authn::Entity::delete_many()
            .filter(web_authn::Column::UserId.eq(k))
            .exec(&tx)
            .await
            .db()?;
        fs_refresh_tracker::Entity::delete_many()
            .filter(fs_refresh_tracker::Column::UserId.eq(k))
            .exec(&tx)
            .await
            .db()?;
        let n = user::Entity::delete_by_id(k)
            .exec(&tx)
            .await
            .db()?
            .rows_affected;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(n > 0)
    }

    async fn set_active(&self, id: i64, active: bool) -> Result<bool> {
        let k = key(id).ok_or_else(not_found)?;
        let now = self.now();
        let tx = self.begin().await?;
        let was = lock_row(&tx, k).await?.active;
        if was != active {
            let patch = UserPatch {
                active: Some(active),
                ..UserPatch::default()
            };
            apply(&tx, k, patch, now).await?;
        }
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(was != active)
    }

    async fn record_login(&self, id: i64, ip: Option<&str>, at: DateTime<Utc>) -> Result<User> {
        let cols = self.columns();
        if let Some(ip) = ip {
            portcullis_core::store::limits::check("ip", ip, portcullis_core::store::limits::IP)?;
        }
        let k = key(id).ok_or_else(not_found)?;
        let backend = self.backend();
        let tx = self.begin().await?;
        // One statement: the right-hand sides see the row as it was (MySQL
        // evaluates assignments left to right, so `last_*` come first).
        let mut q = Query::update();
        q.table(user::Entity)
            .value(
                user::Column::LastLoginAt,
                Func::coalesce([
                    Expr::col(user::Column::CurrentLoginAt),
                    Expr::val(time(backend, Some(at))),
                ]),
            )
            .value(
                user::Column::LastLoginIp,
                Func::coalesce([
                    Expr::col(user::Column::CurrentLoginIp),
                    Expr::val(text(ip.map(str::to_owned))),
                ]),
            )
            .value(user::Column::CurrentLoginAt, time(backend, Some(at)))
            .value(user::Column::CurrentLoginIp, text(ip.map(str::to_owned)))
            .value(
                user::Column::LoginCount,
                Func::coalesce([Expr::col(user::Column::LoginCount), Expr::val(0)]).add(1),
            )
            .value(
                user::Column::UpdateDatetime,
                time(backend, Some(self.now())),
            )
            .and_where(Expr::col(user::Column::Id).eq(k));
        let n = tx.execute(&q).await.db()?.rows_affected();
        if n == 0 {
            return Err(not_found());
        }
        let u = load(&tx, &cols, id).await?.ok_or_else(not_found)?;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(u)
    }

    async fn take_recovery_code(&self, id: i64, code: &str) -> Result<bool> {
        let k = key(id).ok_or_else(not_found)?;
        let now = self.now();
        let tx = self.begin().await?;
        let row = lock_row(&tx, k).await?;
        let mut codes = asa_list::split(row.mf_recovery_codes.as_ref().map(|c| c.0.as_str()));
        let Some(pos) = portcullis_core::crypto::recovery::find_code(&codes, code) else {
            return Ok(false);
        };
        codes.remove(pos);
        let patch = UserPatch {
            mf_recovery_codes: Some(Some(codes.into_iter().map(SecretString::new).collect())),
            ..UserPatch::default()
        };
        apply(&tx, k, patch, now).await?;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(true)
    }

    async fn reset_user_access(&self, id: i64) -> Result<User> {
        let cols = self.columns();
        let k = key(id).ok_or_else(not_found)?;
        let now = self.now();
        let tx = self.begin().await?;
        lock_row(&tx, k).await?;
        let patch = UserPatch::reset_access();
        apply(&tx, k, patch, now).await?;
        web_authn::Entity::delete_many()
            .filter(web_authn::Column::UserId.eq(k))
            .exec(&tx)
            .await
            .db()?;
        crate::refresh::revoke_all(&tx, self.backend(), k, now).await?;
        let u = load(&tx, &cols, id).await?.ok_or_else(not_found)?;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(u)
    }
}
