//! The `user` table.

use sea_orm::entity::prelude::*;

use super::SecretText;

/// One row of `user`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Email address (unique case-insensitively).
    pub email: String,
    /// Optional unique username.
    pub username: Option<String>,
    /// Password hash (passlib format).
    pub password: Option<SecretText>,
    /// Whether the account may log in.
    pub active: bool,
    /// Invalidates sessions and links when rotated.
    #[sea_orm(unique)]
    pub fs_uniquifier: String,
    /// Invalidates auth tokens when rotated (Portcullis addition; optional for Flask-Security).
    pub fs_token_uniquifier: Option<String>,
    /// When the email was confirmed.
    pub confirmed_at: Option<DateTime>,
    /// Previous login time.
    pub last_login_at: Option<DateTime>,
    /// Latest login time.
    pub current_login_at: Option<DateTime>,
    /// Previous login address.
    pub last_login_ip: Option<String>,
    /// Latest login address.
    pub current_login_ip: Option<String>,
    /// Number of logins.
    pub login_count: Option<i32>,
    /// Two-factor method.
    pub tf_primary_method: Option<String>,
    /// Two-factor TOTP secret (passlib encrypted JSON).
    pub tf_totp_secret: Option<SecretText>,
    /// Two-factor SMS number.
    pub tf_phone_number: Option<String>,
    /// Unified sign-in TOTP secrets (JSON).
    pub us_totp_secrets: Option<SecretText>,
    /// Unified sign-in phone number.
    pub us_phone_number: Option<String>,
    /// WebAuthn user handle.
    pub fs_webauthn_user_handle: Option<String>,
    /// Recovery codes, comma-joined.
    pub mf_recovery_codes: Option<SecretText>,
    /// Creation time.
    pub create_datetime: DateTime,
    /// Last change.
    pub update_datetime: DateTime,
}

/// No direct relations: roles link through `roles_users` (see the
/// `Related<role::Entity>` impl).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

/// A user's roles, through `roles_users`:
/// `user::Entity::find().find_with_related(role::Entity)`.
impl Related<super::role::Entity> for Entity {
    fn to() -> RelationDef {
        super::roles_users::Relation::Role.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::roles_users::Relation::User.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
