//! The `portcullis_sessions` table (server-side web sessions).

use sea_orm::entity::prelude::*;

/// One session record.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portcullis_sessions")]
pub struct Model {
    /// Session id (the cookie value).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// JSON data.
    pub data: String,
    /// Expiry.
    pub expires_at: DateTime,
    /// The logged-in user's `fs_uniquifier`.
    pub user_id: Option<String>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The id is a bearer credential; the data may hold CSRF tokens.
        f.debug_struct("Model")
            .field("id", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// No relations are declared.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
