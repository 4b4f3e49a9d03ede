//! `portcullis users …`

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

use clap::Subcommand;
use portcullis_core::store::AttemptStore;
use portcullis_core::validation::{PasswordPolicy, UsernamePolicy};
use portcullis_core::{Datastore, NewUser, SecretString, Security, User, UserFilter};
use portcullis_mail::{ConsoleMailer, Templates};
use serde_json::{Value, json};

use crate::error::CliError;
use crate::{Cli, Output, backend};

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCmd {
    /// Create a user (inactive unless --active, as Flask-Security's CLI).
    Create {
        /// Email address.
        identity: String,
        /// Password (prompted, twice, when not given).
        #[arg(long)]
        password: Option<String>,
        /// Username.
        #[arg(long)]
        username: Option<String>,
        /// Make the user active.
        #[arg(long)]
        active: bool,
        /// Mark the email as confirmed.
        #[arg(long)]
        confirmed: bool,
        /// A role to give (repeatable; the role must exist).
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// Let a user log in again.
    Activate {
        /// Email, username or #id.
        user: String,
    },
    /// Stop a user from logging in (sessions and tokens stop working at once).
    Deactivate {
        /// Email, username or #id.
        user: String,
    },
    /// End every session and token, clear second factors and remove
    /// WebAuthn keys; keeps the password.
    #[command(alias = "reset_access")]
    ResetAccess {
        /// Email, username or #id.
        user: String,
    },
    /// End an account's lock after too many failed sign-ins, and reset its
    /// failure count (what the mailed unlock link does).
    Unlock {
        /// Email, username or #id.
        user: String,
        /// Where the attempt counters live when not in the database
        /// (`redis://…`, as the app's `ATTEMPTS_URL`).
        #[arg(long, env = "ATTEMPTS_URL")]
        attempts_url: Option<String>,
        /// The app's key prefix in Redis (`ATTEMPTS_PREFIX`).
        #[arg(long, env = "ATTEMPTS_PREFIX")]
        attempts_prefix: Option<String>,
    },
    /// List a user's web sessions (when they logged in, last seen, from where).
    Sessions {
        /// Email, username or #id.
        user: String,
    },
    /// End every web session of a user (their tokens stay valid; see
    /// reset-access for those).
    #[command(alias = "end_sessions")]
    EndSessions {
        /// Email, username or #id.
        user: String,
    },
    /// Set a new password (policy-checked); every session and token ends.
    #[command(alias = "change_password")]
    ChangePassword {
        /// Email, username or #id.
        user: String,
        /// The new password (prompted, twice, when not given).
        #[arg(long)]
        password: Option<String>,
    },
    /// Delete a user, with its role links and WebAuthn keys.
    Delete {
        /// Email, username or #id.
        user: String,
    },
    /// Show a user.
    Show {
        /// Email, username or #id.
        user: String,
    },
    /// List users.
    List {
        /// Only users with this role.
        #[arg(long)]
        role: Option<String>,
        /// Only active users.
        #[arg(long, conflicts_with = "inactive")]
        active: bool,
        /// Only inactive users.
        #[arg(long)]
        inactive: bool,
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// At most this many.
        #[arg(long)]
        limit: Option<u64>,
    },
}

/// Finds a user by `#id`, email or username.
pub(crate) async fn find(store: &dyn Datastore, who: &str) -> Result<User, CliError> {
    let found = if let Some(id) = who.strip_prefix('#') {
        let id: i64 = id
            .parse()
            .map_err(|_| CliError::invalid(format!("{who:?} is not a user id (use #<number>)")))?;
        store.find_user_by_id(id).await?
    } else if who.contains('@') {
        store.find_user_by_email(who).await?
    } else {
        store.find_user_by_username(who, true).await?
    };
    found.ok_or_else(|| {
        CliError::not_found(format!(
            "no user {who:?} — `portcullis users list` shows who exists"
        ))
    })
}

pub(crate) fn describe(u: &User) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "username": u.username,
        "active": u.active,
        "confirmed_at": u.confirmed_at.map(|t| t.to_rfc3339()),
        "roles": u.roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        "permissions": u.permissions(),
        "login_count": u.login_count,
        "last_login_at": u.current_login_at.map(|t| t.to_rfc3339()),
        "two_factor": u.tf_primary_method,
        "has_password": u.password.is_some(),
    })
}

/// A WebAuthn key as `users show` lists it (never its public key).
fn describe_key(k: &portcullis_core::WebAuthnCredential) -> Value {
    json!({
        "name": k.name,
        "usage": k.usage,
        "credential_id": portcullis_core::crypto::encoding::urlsafe_encode(&k.credential_id),
        "transports": k.transports,
        "sign_count": k.sign_count,
        "device_type": k.device_type,
        "backup_state": k.backup_state,
        "created_at": k.create_datetime.to_rfc3339(),
        "last_used_at": k.lastuse_datetime.to_rfc3339(),
    })
}

fn line(u: &User) -> String {
    let roles: Vec<&str> = u.roles.iter().map(|r| r.name.as_str()).collect();
    format!(
        "#{:<5} {:<32} {:<8} {:<11} roles: {}",
        u.id,
        u.email,
        if u.active { "active" } else { "inactive" },
        if u.confirmed_at.is_some() {
            "confirmed"
        } else {
            "unconfirmed"
        },
        if roles.is_empty() {
            "-".to_owned()
        } else {
            roles.join(",")
        }
    )
}

/// The password from the flag, or prompted twice (read from standard input
/// when it is not a terminal).
fn password(given: &Option<String>) -> Result<String, CliError> {
    if let Some(p) = given {
        return Ok(p.clone());
    }
    let (first, second) = if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("Password: ")
            .map_err(|e| CliError::invalid(format!("cannot read the password: {e}")))?;
        let b = rpassword::prompt_password("Repeat it: ")
            .map_err(|e| CliError::invalid(format!("cannot read the password: {e}")))?;
        (a, b)
    } else {
        let mut lines = std::io::stdin().lock().lines();
        let mut next = || lines.next().transpose().ok().flatten().unwrap_or_default();
        (next(), next())
    };
    if first.is_empty() {
        return Err(CliError::invalid(
            "no password given: pass --password or type it when asked",
        ));
    }
    if first != second {
        return Err(CliError::invalid(
            "the two passwords differ; nothing was changed",
        ));
    }
    Ok(first)
}

async fn service(
    cli: &Cli,
    store: Arc<dyn Datastore>,
    attempts: Arc<dyn AttemptStore>,
) -> Result<Security, CliError> {
    let (config, _) = backend::settings(cli)?;
    Ok(Security::builder(config)
        .store(store)
        .attempt_store(attempts)
        .mailer(Arc::new(ConsoleMailer::stdout(Templates::builtin())))
        .build()?)
}

/// The attempt store: Redis when a URL is given, else the database's.
async fn attempt_store(
    in_db: Arc<dyn AttemptStore>,
    url: Option<&str>,
    prefix: Option<&str>,
) -> Result<Arc<dyn AttemptStore>, CliError> {
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        return Ok(in_db);
    };
    let redis = portcullis_redis::RedisAttempts::open(url).await?;
    Ok(Arc::new(match prefix {
        Some(p) => redis.with_prefix(p),
        None => redis,
    }))
}

pub(crate) async fn run(cli: &Cli, cmd: &UsersCmd) -> Result<Output, CliError> {
    let backend::Stores {
        datastore: store,
        attempts,
        sessions,
    } = backend::open(cli, false).await?.stores();
    match cmd {
        UsersCmd::Create {
            identity,
            password: pw,
            username,
            active,
            confirmed,
            roles,
        } => {
            let (config, _) = backend::settings(cli)?;
            let email = config
                .email_validator_args
                .validate(identity)
                .map_err(|m| {
                    CliError::invalid(format!("{identity:?}: {}", config.messages.render(&m)))
                })?;
            let username = match username {
                Some(u) => UsernamePolicy::from_config(&config)?
                    .validate(u)
                    .map_err(|m| {
                        CliError::invalid(format!("username: {}", config.messages.render(&m)))
                    })?,
                None => None,
            };
            for r in roles {
                if store.find_role(r).await?.is_none() {
                    return Err(CliError::not_found(format!(
                        "no role {r:?} — create it first with `portcullis roles create {r}`"
                    )));
                }
            }
            let pw = password(pw)?;
            let inputs: Vec<&str> = std::iter::once(email.as_str())
                .chain(username.as_deref())
                .collect();
            let normalized = PasswordPolicy::from_config(&config)?
                .validate(&pw, &inputs, None)
                .await
                .map_err(|m| {
                    CliError::invalid(format!("password: {}", config.messages.render(&m)))
                })?;
            let hash = config
                .password_hasher()?
                .hash_password(&normalized)
                .map_err(portcullis_core::Error::from)?;
            let new = NewUser {
                username,
                active: *active,
                confirmed_at: confirmed.then(chrono_now),
                roles: roles.clone(),
                ..NewUser::new(email, Some(SecretString::new(hash)))
            };
            let u = store.create_user(new).await?;
            Ok(Output::new(
                format!(
                    "created user #{} {} ({})",
                    u.id,
                    u.email,
                    if u.active { "active" } else { "inactive" }
                ),
                describe(&u),
            ))
        }
        UsersCmd::Activate { user } | UsersCmd::Deactivate { user } => {
            let on = matches!(cmd, UsersCmd::Activate { .. });
            let u = find(store.as_ref(), user).await?;
            let changed = store.set_active(u.id, on).await?;
            let state = if on { "active" } else { "inactive" };
            let human = if changed {
                format!("{} is now {state}", u.email)
            } else {
                format!("{} was already {state}", u.email)
            };
            Ok(Output::new(
                human,
                json!({"id": u.id, "email": u.email, "active": on, "changed": changed}),
            ))
        }
        UsersCmd::ResetAccess { user } => {
            let u = find(store.as_ref(), user).await?;
            let r = store.reset_user_access(u.id).await?;
            Ok(Output::new(
                format!(
                    "reset access for {}: sessions and tokens ended, second factors and WebAuthn keys removed",
                    r.email
                ),
                describe(&r),
            ))
        }
        UsersCmd::Unlock {
            user,
            attempts_url,
            attempts_prefix,
        } => {
            let u = find(store.as_ref(), user).await?;
            let attempts = attempt_store(
                attempts,
                attempts_url.as_deref(),
                attempts_prefix.as_deref(),
            )
            .await?;
            let security = service(cli, store.clone(), attempts).await?;
            let until = security.account_locked_until(&u).await?;
            security.unlock_account(&u).await?;
            let human = match until {
                Some(t) => format!("unlocked {} (it was locked until {t})", u.email),
                None => format!("{} was not locked; its failure count is reset", u.email),
            };
            Ok(Output::new(
                human,
                json!({"id": u.id, "email": u.email, "was_locked": until.is_some()}),
            ))
        }
        UsersCmd::Sessions { user } => {
            let u = find(store.as_ref(), user).await?;
            let mut list = sessions
                .list_user_sessions(&u.fs_uniquifier, chrono_now())
                .await?;
            list.sort_by_key(|r| r.expires_at);
            let rows: Vec<Value> = list
                .iter()
                .map(|r| portcullis_http::session_summary(r, None))
                .collect();
            let human = if rows.is_empty() {
                format!("{} has no sessions", u.email)
            } else {
                let lines: Vec<String> = rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{}  logged in {}  last seen {}  from {}  {}",
                            r["id"].as_str().unwrap_or_default(),
                            r["created"],
                            r["last_seen"],
                            r["address"].as_str().unwrap_or("?"),
                            r["user_agent"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                format!(
                    "{} session(s) of {}:\n{}",
                    rows.len(),
                    u.email,
                    lines.join("\n")
                )
            };
            Ok(Output::new(human, json!(rows)))
        }
        UsersCmd::EndSessions { user } => {
            let u = find(store.as_ref(), user).await?;
            let n = sessions
                .delete_user_sessions(&u.fs_uniquifier, None)
                .await?;
            Ok(Output::new(
                format!("ended {n} session(s) of {}", u.email),
                json!({"id": u.id, "email": u.email, "ended": n}),
            ))
        }
        UsersCmd::ChangePassword { user, password: pw } => {
            let u = find(store.as_ref(), user).await?;
            let security = service(cli, store.clone(), attempts).await?;
            let pw = password(pw)?;
            let r = security.admin_change_password(&u, &pw, false).await?;
            Ok(Output::new(
                format!(
                    "changed the password of {}; their sessions and tokens ended",
                    r.email
                ),
                describe(&r),
            ))
        }
        UsersCmd::Delete { user } => {
            let u = find(store.as_ref(), user).await?;
            store.delete_user(u.id).await?;
            Ok(Output::new(
                format!("deleted user #{} {}", u.id, u.email),
                json!({"deleted": u.id, "email": u.email}),
            ))
        }
        UsersCmd::Show { user } => {
            let u = find(store.as_ref(), user).await?;
            let mut d = describe(&u);
            let keys = if store.capabilities().webauthn {
                store.list_webauthn(u.id).await?
            } else {
                Vec::new()
            };
            d["webauthn"] = keys.iter().map(describe_key).collect();
            Ok(Output::new(
                serde_json::to_string_pretty(&d).unwrap_or_default(),
                d,
            ))
        }
        UsersCmd::List {
            role,
            active,
            inactive,
            offset,
            limit,
        } => {
            if let Some(r) = role
                && store.find_role(r).await?.is_none()
            {
                return Err(CliError::not_found(format!(
                    "no role {r:?} — `portcullis roles list` shows the roles"
                )));
            }
            let filter = UserFilter {
                role: role.clone(),
                active: if *active {
                    Some(true)
                } else if *inactive {
                    Some(false)
                } else {
                    None
                },
                offset: *offset,
                limit: *limit,
            };
            let users = store.list_users(&filter).await?;
            let human = if users.is_empty() {
                "no users".to_owned()
            } else {
                users.iter().map(line).collect::<Vec<_>>().join("\n")
            };
            Ok(Output::new(
                human,
                Value::Array(users.iter().map(describe).collect()),
            ))
        }
    }
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    portcullis_core::store::to_micros(chrono::Utc::now())
}
