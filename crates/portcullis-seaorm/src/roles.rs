//! `RoleStore` over SeaORM.

use portcullis_core::models::asa_list;
use portcullis_core::{Error, NewRole, Result, Role, RoleStore};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Value,
};

use crate::entity::{role, roles_users, user};
use crate::error::DbResult;
use crate::sql::{key, role_from, time};
use crate::store::SeaOrmStore;

fn no_role(name: &str) -> Error {
    Error::not_found(format!("no role named {name:?}"))
}

/// The role named exactly `name` (MySQL's collation may also return a
/// case variant, which is not it).
async fn find<C: ConnectionTrait>(conn: &C, name: &str, lock: bool) -> Result<Option<role::Model>> {
    let mut q = role::Entity::find().filter(role::Column::Name.eq(name));
    if lock && conn.get_database_backend() != DbBackend::Sqlite {
        q = q.lock(LockType::Update);
    }
    Ok(q.all(conn).await.db()?.into_iter().find(|r| r.name == name))
}

fn stored(perms: &[String]) -> Value {
    Value::String(if perms.is_empty() {
        None
    } else {
        Some(asa_list::join(perms))
    })
}

/// The user and role ids of a link, or `NotFound`.
async fn link_ids<C: ConnectionTrait>(conn: &C, user_id: i64, role: &str) -> Result<(i32, i32)> {
    let uid = key(user_id).ok_or_else(|| Error::not_found("no such user"))?;
    user::Entity::find_by_id(uid)
        .one(conn)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("no such user"))?;
    let rid = find(conn, role, false)
        .await?
        .ok_or_else(|| no_role(role))?
        .id;
    Ok((uid, rid))
}

impl SeaOrmStore {
    async fn change_permissions(
        &self,
        name: &str,
        f: impl FnOnce(&mut Vec<String>) + Send,
    ) -> Result<Role> {
        let now = self.now();
        let tx = self.begin().await?;
        let r = find(&tx, name, true).await?.ok_or_else(|| no_role(name))?;
        let mut perms = asa_list::split(r.permissions.as_deref());
        f(&mut perms);
        let mut q = Query::update();
        q.table(role::Entity)
            .value(role::Column::Permissions, stored(&perms))
            .value(
                role::Column::UpdateDatetime,
                time(self.backend(), Some(now)),
            )
            .and_where(Expr::col(role::Column::Id).eq(r.id));
        tx.execute(&q).await.db()?;
        let r = find(&tx, name, false).await?.ok_or_else(|| no_role(name))?;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(role_from(r))
    }
}

#[async_trait::async_trait]
impl RoleStore for SeaOrmStore {
    async fn create_role(&self, new: NewRole) -> Result<Role> {
        new.check()?;
        let now = self.now();
        let mut perms: Vec<String> = Vec::new();
        for p in new.permissions {
            if !perms.contains(&p) {
                perms.push(p);
            }
        }
        let tx = self.begin().await?;
        let mut q = Query::insert();
        q.into_table(role::Entity)
            .columns([
                role::Column::Name,
                role::Column::Description,
                role::Column::Permissions,
                role::Column::UpdateDatetime,
            ])
            .values([
                Value::String(Some(new.name.clone())).into(),
                Value::String(new.description).into(),
                stored(&perms).into(),
                time(self.backend(), Some(now)).into(),
            ])
            .map_err(|e| Error::internal("building the insert").with_source(e))?;
        tx.execute(&q).await.db()?;
        let r = find(&tx, &new.name, false)
            .await?
            .ok_or_else(|| Error::internal("role vanished after insert"))?;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(role_from(r))
    }

    async fn find_role(&self, name: &str) -> Result<Option<Role>> {
        Ok(find(self.db(), name, false).await?.map(role_from))
    }

    async fn list_roles(&self) -> Result<Vec<Role>> {
        let mut roles: Vec<Role> = role::Entity::find()
            .order_by_asc(role::Column::Name)
            .all(self.db())
            .await
            .db()?
            .into_iter()
            .map(role_from)
            .collect();
        // One order on every database, whatever its collation.
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(roles)
    }

    async fn delete_role(&self, name: &str) -> Result<bool> {
        let tx = self.begin().await?;
        let Some(r) = find(&tx, name, true).await? else {
            return Ok(false);
        };
        roles_users::Entity::delete_many()
            .filter(roles_users::Column::RoleId.eq(r.id))
            .exec(&tx)
            .await
            .db()?;
        role::Entity::delete_by_id(r.id).exec(&tx).await.db()?;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(true)
    }

    async fn add_role_to_user(&self, user_id: i64, role: &str) -> Result<bool> {
        let tx = self.begin().await?;
        let (uid, rid) = link_ids(&tx, user_id, role).await?;
        let has = roles_users::Entity::find()
            .select_only()
            .column(roles_users::Column::UserId)
            .filter(roles_users::Column::UserId.eq(uid))
            .filter(roles_users::Column::RoleId.eq(rid))
            .into_tuple::<i32>()
            .one(&tx)
            .await
            .db()?
            .is_some();
        if has {
            return Ok(false);
        }
        let mut q = Query::insert();
        q.into_table(roles_users::Entity)
            .columns([roles_users::Column::UserId, roles_users::Column::RoleId])
            .values([uid.into(), rid.into()])
            .map_err(|e| Error::internal("building the insert").with_source(e))?;
        tx.execute(&q).await.db()?;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(true)
    }

    async fn remove_role_from_user(&self, user_id: i64, role: &str) -> Result<bool> {
        let tx = self.begin().await?;
        let (uid, rid) = link_ids(&tx, user_id, role).await?;
        let n = roles_users::Entity::delete_many()
            .filter(roles_users::Column::UserId.eq(uid))
            .filter(roles_users::Column::RoleId.eq(rid))
            .exec(&tx)
            .await
            .db()?
            .rows_affected;
        tx.commit().await.db()?;
        self.flush_cache();
        Ok(n > 0)
    }

    async fn add_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        portcullis_core::store::limits::list_items("permissions", permissions)?;
        let add = permissions.to_vec();
        self.change_permissions(role, move |perms| {
            for p in add {
                if !perms.contains(&p) {
                    perms.push(p);
                }
            }
        })
        .await
    }

    async fn remove_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        let remove = permissions.to_vec();
        self.change_permissions(role, move |perms| perms.retain(|p| !remove.contains(p)))
            .await
    }
}
