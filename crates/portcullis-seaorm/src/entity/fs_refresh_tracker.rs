//! The `fs_refresh_tracker` table (Flask-Security 5.9's fsqla_v4).

use sea_orm::entity::prelude::*;

/// One refresh-token family.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fs_refresh_tracker")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The family (unique).
    pub refresh_family: String,
    /// The generation a valid token carries (column `gen`).
    #[sea_orm(column_name = "gen")]
    pub generation: Option<i32>,
    /// When the family expires.
    pub expires_at: DateTime,
    /// When it was revoked.
    pub revoked_at: Option<DateTime>,
    /// Last issue or exchange.
    pub last_used_at: DateTime,
    /// Creation time.
    pub create_datetime: DateTime,
    /// Its name.
    pub name: String,
    /// Owner.
    pub user_id: i32,
}

/// No relations are declared.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
