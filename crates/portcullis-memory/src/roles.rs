//! `RoleStore` for the memory store.

use portcullis_core::{Error, NewRole, Result, Role, RoleStore};

use crate::MemoryStore;

fn no_role(name: &str) -> Error {
    Error::not_found(format!("no role named {name:?}"))
}

impl MemoryStore {
    fn change_role(&self, name: &str, f: impl FnOnce(&mut Role)) -> Result<Role> {
        let now = self.now();
        let mut inner = self.write()?;
        let id = inner
            .role_by_name(name)
            .map(|r| r.id)
            .ok_or_else(|| no_role(name))?;
        let role = inner.roles.get_mut(&id).ok_or_else(|| no_role(name))?;
        f(role);
        role.update_datetime = now;
        Ok(role.clone())
    }

    fn link_ids(&self, user_id: i64, role: &str) -> Result<(i64, i64)> {
        let inner = self.read()?;
        if !inner.users.contains_key(&user_id) {
            return Err(Error::not_found("no such user"));
        }
        let rid = inner
            .role_by_name(role)
            .map(|r| r.id)
            .ok_or_else(|| no_role(role))?;
        Ok((user_id, rid))
    }
}

#[async_trait::async_trait]
impl RoleStore for MemoryStore {
    async fn create_role(&self, new: NewRole) -> Result<Role> {
        new.check()?;
        let now = self.now();
        let mut inner = self.write()?;
        if inner.role_by_name(&new.name).is_some() {
            return Err(Error::already_exists("role name"));
        }
        let id = inner.next();
        let mut permissions: Vec<String> = Vec::new();
        for p in new.permissions {
            if !permissions.contains(&p) {
                permissions.push(p);
            }
        }
        let role = Role {
            id,
            name: new.name,
            description: new.description,
            permissions,
            update_datetime: now,
        };
        inner.roles.insert(id, role.clone());
        Ok(role)
    }

    async fn find_role(&self, name: &str) -> Result<Option<Role>> {
        Ok(self.read()?.role_by_name(name).cloned())
    }

    async fn list_roles(&self) -> Result<Vec<Role>> {
        let mut roles: Vec<Role> = self.read()?.roles.values().cloned().collect();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(roles)
    }

    async fn delete_role(&self, name: &str) -> Result<bool> {
        let mut inner = self.write()?;
        let Some(id) = inner.role_by_name(name).map(|r| r.id) else {
            return Ok(false);
        };
        inner.roles.remove(&id);
        inner.links.retain(|(_, rid)| *rid != id);
        Ok(true)
    }

    async fn add_role_to_user(&self, user_id: i64, role: &str) -> Result<bool> {
        let link = self.link_ids(user_id, role)?;
        Ok(self.write()?.links.insert(link))
    }

    async fn remove_role_from_user(&self, user_id: i64, role: &str) -> Result<bool> {
        let link = self.link_ids(user_id, role)?;
        Ok(self.write()?.links.remove(&link))
    }

    async fn add_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        portcullis_core::store::limits::list_items("permissions", permissions)?;
        self.change_role(role, |r| {
            for p in permissions {
                if !r.permissions.contains(p) {
                    r.permissions.push(p.clone());
                }
            }
        })
    }

    async fn remove_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        self.change_role(role, |r| r.permissions.retain(|p| !permissions.contains(p)))
    }
}
