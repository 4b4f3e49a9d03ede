//! Roles and their links to users.

use super::types::NewRole;
use crate::models::Role;
use crate::{ErrorKind, Result};

/// Storing roles, their permissions, and which users have them.
#[async_trait::async_trait]
pub trait RoleStore: Send + Sync {
    /// Creates a role. `AlreadyExists` for a taken name.
    async fn create_role(&self, new: NewRole) -> Result<Role>;

    /// The role named `name` (exact match).
    async fn find_role(&self, name: &str) -> Result<Option<Role>>;

    /// Every role, ordered by name.
    async fn list_roles(&self) -> Result<Vec<Role>>;

    /// Deletes a role and its links to users; `false` when there was none.
    async fn delete_role(&self, name: &str) -> Result<bool>;

    /// Gives user `user_id` the role `role`; `false` when it already had
    /// it. `NotFound` when the user or the role does not exist.
    async fn add_role_to_user(&self, user_id: i64, role: &str) -> Result<bool>;

    /// Takes role `role` from user `user_id`; `false` when it did not have
    /// it. `NotFound` when the user or the role does not exist.
    async fn remove_role_from_user(&self, user_id: i64, role: &str) -> Result<bool>;

    /// Adds permissions to a role (a set union). `NotFound` for no role.
    async fn add_permissions(&self, role: &str, permissions: &[String]) -> Result<Role>;

    /// Removes permissions from a role. `NotFound` for no role.
    async fn remove_permissions(&self, role: &str, permissions: &[String]) -> Result<Role>;

    /// The role named `new.name`, created if missing (safe under
    /// concurrency: a creation lost to another caller finds the winner).
    async fn find_or_create_role(&self, new: NewRole) -> Result<Role> {
        if let Some(r) = self.find_role(&new.name).await? {
            return Ok(r);
        }
        let name = new.name.clone();
        match self.create_role(new).await {
            Err(e) if e.kind() == ErrorKind::AlreadyExists => self
                .find_role(&name)
                .await?
                .ok_or_else(|| crate::Error::internal("role vanished after a conflicting create")),
            other => other,
        }
    }
}
