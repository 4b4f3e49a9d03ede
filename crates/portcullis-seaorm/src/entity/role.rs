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

/// No direct relations: users link through `roles_users`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

/// A role's users, through `roles_users`.
impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        super::roles_users::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::roles_users::Relation::Role.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
