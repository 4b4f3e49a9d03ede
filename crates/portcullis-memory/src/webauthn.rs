//! `WebAuthnStore` for the memory store.

use portcullis_core::{Error, NewWebAuthn, Result, WebAuthnCredential, WebAuthnStore, WebAuthnUse};

use crate::MemoryStore;

#[async_trait::async_trait]
impl WebAuthnStore for MemoryStore {
    async fn create_webauthn(&self, user_id: i64, new: NewWebAuthn) -> Result<WebAuthnCredential> {
        new.check()?;
        let now = self.now();
        let mut inner = self.write()?;
        if !inner.users.contains_key(&user_id) {
            return Err(Error::not_found("no such user"));
        }
        if inner
            .credentials
            .values()
            .any(|c| c.credential_id == new.credential_id)
        {
            return Err(Error::already_exists("credential_id"));
        }
        if inner
            .credentials
            .values()
            .any(|c| c.user_id == user_id && c.name == new.name)
        {
            return Err(Error::already_exists("credential name"));
        }
        let id = inner.next();
        let c = WebAuthnCredential {
            id,
            credential_id: new.credential_id,
            public_key: new.public_key,
            sign_count: new.sign_count,
            transports: new.transports,
            backup_state: new.backup_state,
            device_type: new.device_type,
            extensions: new.extensions,
            create_datetime: now,
            lastuse_datetime: now,
            name: new.name,
            usage: new.usage,
            user_id,
        };
        inner.credentials.insert(id, c.clone());
        Ok(c)
    }

    async fn find_webauthn(&self, credential_id: &[u8]) -> Result<Option<WebAuthnCredential>> {
        Ok(self
            .read()?
            .credentials
            .values()
            .find(|c| c.credential_id == credential_id)
            .cloned())
    }

    async fn list_webauthn(&self, user_id: i64) -> Result<Vec<WebAuthnCredential>> {
        Ok(self
            .read()?
            .credentials
            .values()
            .filter(|c| c.user_id == user_id)
            .cloned()
            .collect())
    }

    async fn record_webauthn_use(&self, id: i64, used: &WebAuthnUse) -> Result<()> {
        let mut inner = self.write()?;
        let c = inner
            .credentials
            .get_mut(&id)
            .ok_or_else(|| Error::not_found("no such credential"))?;
        c.sign_count = used.sign_count;
        c.backup_state = used.backup_state;
        c.device_type.clone_from(&used.device_type);
        c.lastuse_datetime = portcullis_core::store::to_micros(used.at);
        Ok(())
    }

    async fn delete_webauthn(&self, id: i64) -> Result<bool> {
        Ok(self.write()?.credentials.remove(&id).is_some())
    }
}
