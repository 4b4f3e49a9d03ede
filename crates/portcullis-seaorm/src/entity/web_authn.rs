//! The `web_authn` table.

use sea_orm::entity::prelude::*;

/// One WebAuthn credential.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "web_authn")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Raw credential id (unique).
    pub credential_id: Vec<u8>,
    /// COSE public key.
    pub public_key: Vec<u8>,
    /// Signature counter.
    pub sign_count: Option<i32>,
    /// Transports, comma-joined.
    pub transports: Option<String>,
    /// Backup state flag.
    pub backup_state: bool,
    /// `single_device` or `multi_device`.
    pub device_type: String,
    /// Extensions JSON.
    pub extensions: Option<String>,
    /// Registration time.
    pub create_datetime: DateTime,
    /// Last use.
    pub lastuse_datetime: DateTime,
    /// Name the user gave it (unique per user).
    pub name: String,
    /// `first` or `secondary`.
    pub usage: String,
    /// Owner.
    pub user_id: i32,
}

/// No relations are declared.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
