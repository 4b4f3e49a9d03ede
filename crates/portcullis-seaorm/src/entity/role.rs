//! The `role` table.

use sea_orm::entity::prelude::*;

/// One row of `role`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Unique name.
    #[sea_orm(unique)]
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Permissions, comma-joined.
    pub permissions: Option<String>,
    /// Last change.
    pub update_datetime: DateTime,
}

/// No relations are declared (see [`super::user::Relation`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
