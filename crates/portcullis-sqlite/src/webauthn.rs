//! `WebAuthnStore` on SQLite.

use portcullis_core::models::asa_list;
use portcullis_core::{Error, NewWebAuthn, Result, WebAuthnCredential, WebAuthnStore, WebAuthnUse};
use rusqlite::{OptionalExtension, params};

use crate::error::SqlResult;
use crate::rows::{WEBAUTHN_COLUMNS, fmt_time, webauthn_from_row};
use crate::store::SqliteStore;

#[async_trait::async_trait]
impl WebAuthnStore for SqliteStore {
    async fn create_webauthn(&self, user_id: i64, new: NewWebAuthn) -> Result<WebAuthnCredential> {
        new.check()?;
        let now = fmt_time(self.now());
        self.write(move |tx| {
            let user: Option<i64> = tx.query_row("SELECT id FROM user WHERE id = ?1", [user_id], |r| r.get(0)).optional().sql()?;
            user.ok_or_else(|| Error::not_found("no such user"))?;
            let clash: Option<i64> = tx
                .query_row("SELECT id FROM web_authn WHERE user_id = ?1 AND name = ?2", params![user_id, new.name], |r| r.get(0))
                .optional()
                .sql()?;
            if clash.is_some() {
                return Err(Error::already_exists("credential name"));
            }
            let transports = if new.transports.is_empty() { None } else { Some(asa_list::join(&new.transports)) };
            tx.execute(
                "INSERT INTO web_authn (credential_id, public_key, sign_count, transports, backup_state, device_type, \
                 extensions, create_datetime, lastuse_datetime, name, usage, user_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11)",
                params![new.credential_id, new.public_key, new.sign_count, transports, new.backup_state, new.device_type,
                        new.extensions, now, new.name, new.usage, user_id],
            )
            .sql()?;
            let id = tx.last_insert_rowid();
            tx.query_row(&format!("SELECT {WEBAUTHN_COLUMNS} FROM web_authn WHERE id = ?1"), [id], webauthn_from_row).sql()
        })
        .await
    }

    async fn find_webauthn(&self, credential_id: &[u8]) -> Result<Option<WebAuthnCredential>> {
        let id = credential_id.to_vec();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {WEBAUTHN_COLUMNS} FROM web_authn WHERE credential_id = ?1"),
                [id],
                webauthn_from_row,
            )
            .optional()
            .sql()
        })
        .await
    }

    async fn list_webauthn(&self, user_id: i64) -> Result<Vec<WebAuthnCredential>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {WEBAUTHN_COLUMNS} FROM web_authn WHERE user_id = ?1 ORDER BY id"
                ))
                .sql()?;
            stmt.query_map([user_id], webauthn_from_row)
                .sql()?
                .collect::<rusqlite::Result<Vec<_>>>()
                .sql()
        })
        .await
    }

    async fn record_webauthn_use(&self, id: i64, used: &WebAuthnUse) -> Result<()> {
        let at = fmt_time(used.at);
        let (sign_count, backup_state) = (used.sign_count, used.backup_state);
        let device_type = used.device_type.clone();
        self.write(move |tx| {
            let n = tx
                .execute("UPDATE web_authn SET sign_count = ?1, backup_state = ?2, device_type = ?3, lastuse_datetime = ?4 WHERE id = ?5", params![sign_count, backup_state, device_type, at, id])
                .sql()?;
            if n == 0 { Err(Error::not_found("no such credential")) } else { Ok(()) }
        })
        .await
    }

    async fn delete_webauthn(&self, id: i64) -> Result<bool> {
        self.write(move |tx| {
            Ok(tx
                .execute("DELETE FROM web_authn WHERE id = ?1", [id])
                .sql()?
                > 0)
        })
        .await
    }
}
