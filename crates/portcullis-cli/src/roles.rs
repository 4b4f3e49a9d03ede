//! `portcullis roles …`

use clap::Subcommand;
use portcullis_core::{Datastore, NewRole, Role};
use serde_json::{Value, json};

use crate::error::CliError;
use crate::users::find;
use crate::{Cli, Output, backend};

#[derive(Debug, Subcommand)]
pub(crate) enum RolesCmd {
    /// Create a role.
    Create {
        /// Role name.
        name: String,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Permissions, comma-separated.
        #[arg(long, value_delimiter = ',')]
        permissions: Vec<String>,
    },
    /// Give a user a role.
    Add {
        /// Email, username or #id.
        user: String,
        /// Role name.
        role: String,
    },
    /// Take a role from a user.
    Remove {
        /// Email, username or #id.
        user: String,
        /// Role name.
        role: String,
    },
    /// Add permissions to a role.
    #[command(alias = "add_permissions")]
    AddPermissions {
        /// Role name.
        role: String,
        /// Permissions, comma-separated.
        #[arg(value_delimiter = ',', required = true)]
        permissions: Vec<String>,
    },
    /// Remove permissions from a role.
    #[command(alias = "remove_permissions")]
    RemovePermissions {
        /// Role name.
        role: String,
        /// Permissions, comma-separated.
        #[arg(value_delimiter = ',', required = true)]
        permissions: Vec<String>,
    },
    /// List roles.
    List,
    /// Delete a role (users lose it).
    Delete {
        /// Role name.
        name: String,
    },
}

fn describe(r: &Role) -> Value {
    json!({"id": r.id, "name": r.name, "description": r.description, "permissions": r.permissions})
}

fn no_role(name: &str) -> CliError {
    CliError::not_found(format!(
        "no role {name:?} — `portcullis roles list` shows the roles, `portcullis roles create {name}` makes it"
    ))
}

fn clean(perms: &[String]) -> Vec<String> {
    perms
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

async fn role(store: &dyn Datastore, name: &str) -> Result<Role, CliError> {
    store.find_role(name).await?.ok_or_else(|| no_role(name))
}

pub(crate) async fn run(cli: &Cli, cmd: &RolesCmd) -> Result<Output, CliError> {
    let store = backend::open(cli, false).await?.datastore();
    let store: &dyn Datastore = store.as_ref();
    match cmd {
        RolesCmd::Create {
            name,
            description,
            permissions,
        } => {
            let r = store
                .create_role(NewRole {
                    name: name.clone(),
                    description: description.clone(),
                    permissions: clean(permissions),
                })
                .await?;
            Ok(Output::new(
                format!("created role {} ({})", r.name, r.permissions.join(",")),
                describe(&r),
            ))
        }
        RolesCmd::Add { user, role: name } | RolesCmd::Remove { user, role: name } => {
            let adding = matches!(cmd, RolesCmd::Add { .. });
            let u = find(store, user).await?;
            role(store, name).await?;
            let changed = if adding {
                store.add_role_to_user(u.id, name).await?
            } else {
                store.remove_role_from_user(u.id, name).await?
            };
            let human = match (adding, changed) {
                (true, true) => format!("{} now has role {name}", u.email),
                (true, false) => format!("{} already had role {name}", u.email),
                (false, true) => format!("{} no longer has role {name}", u.email),
                (false, false) => format!("{} did not have role {name}", u.email),
            };
            Ok(Output::new(
                human,
                json!({"user": u.email, "role": name, "changed": changed}),
            ))
        }
        RolesCmd::AddPermissions {
            role: name,
            permissions,
        }
        | RolesCmd::RemovePermissions {
            role: name,
            permissions,
        } => {
            role(store, name).await?;
            let perms = clean(permissions);
            let r = if matches!(cmd, RolesCmd::AddPermissions { .. }) {
                store.add_permissions(name, &perms).await?
            } else {
                store.remove_permissions(name, &perms).await?
            };
            Ok(Output::new(
                format!(
                    "role {} has permissions: {}",
                    r.name,
                    if r.permissions.is_empty() {
                        "-".to_owned()
                    } else {
                        r.permissions.join(",")
                    }
                ),
                describe(&r),
            ))
        }
        RolesCmd::List => {
            let roles = store.list_roles().await?;
            let human = if roles.is_empty() {
                "no roles".to_owned()
            } else {
                roles
                    .iter()
                    .map(|r| format!("{:<24} {}", r.name, r.permissions.join(",")))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Output::new(
                human,
                Value::Array(roles.iter().map(describe).collect()),
            ))
        }
        RolesCmd::Delete { name } => {
            if !store.delete_role(name).await? {
                return Err(no_role(name));
            }
            Ok(Output::new(
                format!("deleted role {name}"),
                json!({"deleted": name}),
            ))
        }
    }
}
