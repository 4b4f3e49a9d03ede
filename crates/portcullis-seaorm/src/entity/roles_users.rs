//! The `roles_users` join table. Flask-Security creates it without a
//! primary key; the entity declares `(user_id, role_id)` as one so SeaORM
//! can address rows, and Portcullis never relies on the database having it.

use sea_orm::entity::prelude::*;

/// One link of a user to a role.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roles_users")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// The role.
    #[sea_orm(primary_key, auto_increment = false)]
    pub role_id: i32,
}

/// No relations are declared.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
