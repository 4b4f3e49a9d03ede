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

/// The two sides of the link.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The user.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
    /// The role.
    #[sea_orm(
        belongs_to = "super::role::Entity",
        from = "Column::RoleId",
        to = "super::role::Column::Id"
    )]
    Role,
}

impl ActiveModelBehavior for ActiveModel {}
