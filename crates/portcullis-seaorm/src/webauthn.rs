//! `WebAuthnStore` over SeaORM.

use portcullis_core::models::asa_list;
use portcullis_core::{Error, NewWebAuthn, Result, WebAuthnCredential, WebAuthnStore, WebAuthnUse};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Value};

use crate::entity::{user, web_authn};
use crate::error::DbResult;
use crate::sql::{key, time, webauthn_from};
use crate::store::SeaOrmStore;

fn count(n: i64) -> Value {
    Value::Int(Some(i32::try_from(Ord::max(n, 0)).unwrap_or(i32::MAX)))
}

#[async_trait::async_trait]
impl WebAuthnStore for SeaOrmStore {
    async fn create_webauthn(&self, user_id: i64, new: NewWebAuthn) -> Result<WebAuthnCredential> {
        new.check()?;
        let backend = self.backend();
        let now = self.now();
        let uid = key(user_id).ok_or_else(|| Error::not_found("no such user"))?;
        let tx = self.begin().await?;
        user::Entity::find_by_id(uid)
            .one(&tx)
            .await
            .db()?
            .ok_or_else(|| Error::not_found("no such user"))?;
        let clash = web_authn::Entity::find()
            .filter(web_authn::Column::UserId.eq(uid))
            .filter(web_authn::Column::Name.eq(new.name.as_str()))
            .all(&tx)
            .await
            .db()?
            .into_iter()
            .any(|c| c.name == new.name);
        if clash {
            return Err(Error::already_exists("credential name"));
        }
        let transports = if new.transports.is_empty() {
            None
        } else {
            Some(asa_list::join(&new.transports))
        };
        let mut q = Query::insert();
        q.into_table(web_authn::Entity)
            .columns([
                web_authn::Column::CredentialId,
                web_authn::Column::PublicKey,
                web_authn::Column::SignCount,
                web_authn::Column::Transports,
                web_authn::Column::BackupState,
                web_authn::Column::DeviceType,
                web_authn::Column::Extensions,
                web_authn::Column::CreateDatetime,
                web_authn::Column::LastuseDatetime,
                web_authn::Column::Name,
                web_authn::Column::Usage,
                web_authn::Column::UserId,
            ])
            .values([
                Value::Bytes(Some(new.credential_id.clone())).into(),
                Value::Bytes(Some(new.public_key)).into(),
                count(new.sign_count).into(),
                Value::String(transports).into(),
                Value::Bool(Some(new.backup_state)).into(),
                Value::String(Some(new.device_type)).into(),
                Value::String(new.extensions).into(),
                time(backend, Some(now)).into(),
                time(backend, Some(now)).into(),
                Value::String(Some(new.name)).into(),
                Value::String(Some(new.usage)).into(),
                uid.into(),
            ])
            .map_err(|e| Error::internal("building the insert").with_source(e))?;
        tx.execute(&q).await.db()?;
        let m = web_authn::Entity::find()
            .filter(web_authn::Column::CredentialId.eq(new.credential_id))
            .one(&tx)
            .await
            .db()?
            .ok_or_else(|| Error::internal("credential vanished after insert"))?;
        tx.commit().await.db()?;
        Ok(webauthn_from(m))
    }

    async fn find_webauthn(&self, credential_id: &[u8]) -> Result<Option<WebAuthnCredential>> {
        Ok(web_authn::Entity::find()
            .filter(web_authn::Column::CredentialId.eq(credential_id.to_vec()))
            .one(self.db())
            .await
            .db()?
            .map(webauthn_from))
    }

    async fn list_webauthn(&self, user_id: i64) -> Result<Vec<WebAuthnCredential>> {
        let Some(uid) = key(user_id) else {
            return Ok(Vec::new());
        };
        Ok(web_authn::Entity::find()
            .filter(web_authn::Column::UserId.eq(uid))
            .order_by_asc(web_authn::Column::Id)
            .all(self.db())
            .await
            .db()?
            .into_iter()
            .map(webauthn_from)
            .collect())
    }

    async fn record_webauthn_use(&self, id: i64, used: &WebAuthnUse) -> Result<()> {
        let k = key(id).ok_or_else(|| Error::not_found("no such credential"))?;
        let db = self.db();
        if web_authn::Entity::find_by_id(k)
            .one(db)
            .await
            .db()?
            .is_none()
        {
            return Err(Error::not_found("no such credential"));
        }
        let mut q = Query::update();
        q.table(web_authn::Entity)
            .value(web_authn::Column::SignCount, count(used.sign_count))
            .value(web_authn::Column::BackupState, used.backup_state)
            .value(web_authn::Column::DeviceType, used.device_type.clone())
            .value(
                web_authn::Column::LastuseDatetime,
                time(self.backend(), Some(used.at)),
            )
            .and_where(Expr::col(web_authn::Column::Id).eq(k));
        db.execute(&q).await.db()?;
        Ok(())
    }

    async fn delete_webauthn(&self, id: i64) -> Result<bool> {
        let Some(k) = key(id) else {
            return Ok(false);
        };
        Ok(web_authn::Entity::delete_by_id(k)
            .exec(self.db())
            .await
            .db()?
            .rows_affected
            > 0)
    }
}
