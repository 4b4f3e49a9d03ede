//! Registration (`RegisterFormV2`).

use super::tokens::LinkKind;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::errors::{FlowError, FormErrors};
use super::login::{Authenticated, ClientInfo, filled, filled_secret};
use super::service::Security;
use crate::config::SecurityConfig;
use crate::events::{AuthnVia, Event};
use crate::mail::MailKind;
use crate::messages::{Message, MessageKey};
use crate::models::User;
use crate::store::NewUser;
use crate::{ErrorKind, Result, SecretString};

/// Flask-Security's registration form.
#[derive(Clone, Default)]
pub struct RegisterForm {
    /// Email.
    pub email: Option<String>,
    /// Password.
    pub password: Option<SecretString>,
    /// The password again (with `SECURITY_PASSWORD_CONFIRM_REQUIRED`).
    pub password_confirm: Option<SecretString>,
    /// Username (with `SECURITY_USERNAME_ENABLE`).
    pub username: Option<String>,
    /// The form came as JSON (Flask's `request.is_json`): with
    /// `SECURITY_USE_REGISTER_V2` off, that chooses the legacy
    /// `ConfirmRegisterForm` (see [`SecurityConfig::register_password_confirm`]).
    pub json: bool,
    /// The submitted values of the application's own registration fields
    /// ([`SecurityBuilder::register_field`](super::SecurityBuilder::register_field));
    /// others are ignored, as Flask-Security's form ignores them.
    pub fields: serde_json::Map<String, Value>,
}

/// The registration form's password confirmation, as Flask-Security's
/// form in use has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordConfirm {
    /// No confirmation field: `PASSWORD_CONFIRM_REQUIRED` off, or the
    /// legacy `ConfirmRegisterForm`.
    Absent,
    /// Compared with the password when filled, else ignored (the legacy
    /// `RegisterForm` with unified sign-in on).
    IfGiven,
    /// Required whenever a password is given or required, and equal to it.
    Required,
}

impl SecurityConfig {
    /// Whether this service takes new addresses (registration or change of
    /// email) and checks them for deliverability: it needs a
    /// [`MailDns`](crate::validation::MailDns) then.
    pub fn wants_mail_dns(&self) -> bool {
        (self.registerable || self.change_email)
            && self.email_validator_args.checks_deliverability()
    }

    /// The password confirmation registration asks for: `RegisterFormV2`'s
    /// by `SECURITY_PASSWORD_CONFIRM_REQUIRED`; with
    /// `SECURITY_USE_REGISTER_V2` off, Flask-Security's view picks
    /// `ConfirmRegisterForm` (none) for JSON or when confirmable, else
    /// `RegisterForm` (required unless unified sign-in is on).
    pub fn register_password_confirm(&self, json: bool) -> PasswordConfirm {
        match (self.use_register_v2, self.confirmable || json) {
            (true, _) if self.password_confirm_required => PasswordConfirm::Required,
            (true, _) | (false, true) => PasswordConfirm::Absent,
            (false, false) if self.unified_signin => PasswordConfirm::IfGiven,
            (false, false) => PasswordConfirm::Required,
        }
    }
}

impl std::fmt::Debug for RegisterForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterForm")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What registration did.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The new user; `None` when generic responses hid an existing account
    /// (the response must look the same as a success).
    pub user: Option<User>,
    /// Set when the user is logged in right away (not confirmable, or
    /// `SECURITY_LOGIN_WITHOUT_CONFIRMATION`).
    pub login: Option<Authenticated>,
    /// The user would have been logged in, but a second factor is due
    /// first (`SECURITY_TWO_FACTOR_REQUIRED`): nothing was recorded.
    pub second_factor_due: bool,
}

/// One of the application's own registration fields (what a
/// Flask-Security app adds to its `RegisterForm`, e.g. `first_name`),
/// stored in the application field of the same name.
#[derive(Clone)]
pub struct RegisterField {
    required: bool,
    text: bool,
    validate: ValidateField,
}

/// An application's check of one registration field: the submitted value
/// in, the value to store (or the error text) out.
pub type ValidateField = Arc<dyn Fn(&Value) -> Result<Value, String> + Send + Sync>;

impl std::fmt::Debug for RegisterField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterField")
            .field("required", &self.required)
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl RegisterField {
    /// Text of at most `max` characters, stored as submitted (WTForms'
    /// `StringField` with `Length(max=…)`); optional unless
    /// [`required`](Self::required).
    pub fn text(max: usize) -> Self {
        Self {
            required: false,
            text: true,
            validate: Arc::new(move |v| match v {
                Value::String(s) if s.chars().count() <= max => Ok(v.clone()),
                Value::String(_) => Err(format!("Field cannot be longer than {max} characters.")),
                _ => Err("Not a valid string.".to_owned()),
            }),
        }
    }

    /// A field the application validates itself: `validate` turns the
    /// submitted value (a string from a form post, any JSON value from a
    /// JSON one) into the value stored, or says what is wrong (the text
    /// becomes the field's error).
    pub fn custom(
        validate: impl Fn(&Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            required: false,
            text: false,
            validate: Arc::new(validate),
        }
    }

    /// A registration without a value is refused ("This field is required.").
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Whether the value is required.
    pub fn is_required(&self) -> bool {
        self.required
    }

    /// Whether this is [`text`](Self::text) (its values are strings).
    pub fn is_text(&self) -> bool {
        self.text
    }
}

/// Whether a submitted value counts as not given.
fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

struct Existing {
    by_email: Option<User>,
    by_username: Option<User>,
}

impl Security {
    /// Registers a user: validates every field (all errors at once, as
    /// Flask-Security does), creates the user, sends the welcome mail (with
    /// a confirmation link when confirmable), emits `user-registered`, and
    /// logs the user in unless confirmation is needed first.
    pub async fn register(
        &self,
        form: RegisterForm,
        client: &ClientInfo,
    ) -> Result<Registered, FlowError> {
        let c = self.config();
        self.guard_register(client).await?;
        let generic = c.return_generic_responses;
        let mut errors = FormErrors::new();
        let mut existing = Existing {
            by_email: None,
            by_username: None,
        };

        let email = match filled(&form.email) {
            None => {
                errors.add("email", MessageKey::EmailNotProvided);
                None
            }
            Some(raw) => match self.new_address(raw).await {
                Err(m) => {
                    errors.add("email", m);
                    None
                }
                Ok(e) => {
                    if let Some(u) = self.store().find_user_by_email(&e).await? {
                        if !generic {
                            errors.add(
                                "email",
                                Message::new(MessageKey::EmailAlreadyAssociated)
                                    .arg("email", e.clone()),
                            );
                        }
                        existing.by_email = Some(u);
                    }
                    Some(e)
                }
            },
        };

        let mut username = None;
        if c.username_enable {
            match filled(&form.username) {
                None if c.username_required => {
                    errors.add("username", MessageKey::UsernameNotProvided)
                }
                None => {}
                Some(raw) => match self.username_policy().validate(raw) {
                    Err(m) => errors.add("username", m),
                    Ok(Some(u)) => {
                        if let Some(other) = self.store().find_user_by_username(&u, true).await? {
                            if !generic {
                                errors.add(
                                    "username",
                                    Message::new(MessageKey::UsernameAlreadyAssociated)
                                        .arg("username", u.clone()),
                                );
                            }
                            existing.by_username = Some(other);
                        }
                        username = Some(u);
                    }
                    Ok(None) => {}
                },
            }
        }

        let password = filled_secret(&form.password);
        let mut normalized = None;
        match password {
            None if c.password_required => errors.add("password", MessageKey::PasswordNotProvided),
            None => {}
            Some(pw) => {
                let inputs: Vec<&str> = email
                    .iter()
                    .chain(username.iter())
                    .map(String::as_str)
                    .collect();
                match self
                    .password_policy()
                    .validate(pw, &inputs, self.breach())
                    .await
                {
                    Ok(n) => normalized = Some(n),
                    Err(m) => errors.add("password", m),
                }
            }
        }
        let confirm = c.register_password_confirm(form.json);
        let needed =
            confirm == PasswordConfirm::Required && (password.is_some() || c.password_required);
        match filled_secret(&form.password_confirm) {
            _ if confirm == PasswordConfirm::Absent => {}
            None if needed => errors.add("password_confirm", MessageKey::PasswordNotProvided),
            Some(given) if Some(given) != password => {
                errors.add("password_confirm", MessageKey::RetypePasswordMismatch)
            }
            _ => {}
        }
        let fields = self.register_fields(&form.fields, &mut errors);
        errors.into_result()?;
        let Some(email) = email else {
            return Err(FlowError::Internal(crate::Error::internal(
                "validated email missing",
            )));
        };

        if existing.by_email.is_some() || existing.by_username.is_some() {
            return self
                .register_existing(existing, &email, username.as_deref(), password)
                .await;
        }

        let hash = match &normalized {
            Some(pw) => Some(SecretString::new(self.hash_password(pw).await?)),
            None => None,
        };
        let new = NewUser {
            username: username.clone(),
            fields,
            ..NewUser::new(email.clone(), hash)
        };
        let user = match self.store().create_user(new).await {
            Ok(u) => u,
            // Lost a race with another registration of the same address.
            Err(e) if e.kind() == ErrorKind::AlreadyExists && !generic => {
                return Err(FormErrors::field(
                    "email",
                    Message::new(MessageKey::EmailAlreadyAssociated).arg("email", email),
                )
                .into());
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                return Ok(Registered {
                    user: None,
                    login: None,
                    second_factor_due: false,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let user = self.us_setup_email(user).await?;

        let mut context = Map::new();
        if c.confirmable {
            let (link, token) = self.confirmation_link(&user).await?;
            context.insert("confirmation_link".into(), json!(link));
            context.insert("confirmation_token".into(), json!(token));
        }
        self.emit(Event::UserRegistered {
            user: Box::new(user.clone()),
        })
        .await;
        // The user is stored; a mail that cannot be sent now does not undo
        // that (and is no 5xx): the person asks again at `/confirm` (and
        // the attempt limits bound how often), or an administrator
        // confirms them with the CLI.
        if c.send_register_email
            && let Err(e) = self
                .send_mail(
                    MailKind::Welcome,
                    &user.email,
                    &c.email_subject_register,
                    Some(&user),
                    context,
                )
                .await
        {
            tracing::error!(
                error = %e,
                user = user.id,
                "the welcome mail could not be sent; the user can ask for the confirmation mail again"
            );
        }
        let (login, second_factor_due) = if self.requires_confirmation(&user) {
            (None, false)
        } else {
            self.auto_login(&user, AuthnVia::Register, client).await?
        };
        Ok(Registered {
            user: Some(user),
            login,
            second_factor_due,
        })
    }

    /// The application's registration fields from `given`: their stored
    /// values, or errors.
    fn register_fields(
        &self,
        given: &Map<String, Value>,
        errors: &mut FormErrors,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (name, field) in self.register_field_list() {
            match given.get(*name).filter(|v| !blank(v)) {
                None if field.required => errors.add(name, MessageKey::FieldRequired),
                None => {}
                Some(v) => match (field.validate)(v) {
                    Ok(stored) => {
                        out.insert((*name).to_owned(), stored);
                    }
                    Err(text) => errors.add(
                        name,
                        Message::new(MessageKey::AppFieldError).arg("message", text),
                    ),
                },
            }
        }
        out
    }

    /// Generic responses: the address (or username) is taken. Nothing is
    /// created; the owner is told by mail, and the answer looks like success.
    async fn register_existing(
        &self,
        existing: Existing,
        email: &str,
        username: Option<&str>,
        password: Option<&str>,
    ) -> Result<Registered, FlowError> {
        let c = self.config();
        // Spend the time a real registration would.
        self.burn_hash(password.unwrap_or("not-a-password")).await?;
        if let Some(owner) = &existing.by_email {
            let mut context = Map::new();
            if c.recoverable {
                let (link, token) = self.reset_link(owner).await?;
                context.insert("reset_link".into(), Value::String(link.clone()));
                context.insert("recovery_link".into(), Value::String(link));
                context.insert("reset_token".into(), Value::String(token));
            }
            if c.confirmable && owner.confirmed_at.is_none() {
                let (link, token) = self.confirmation_link(owner).await?;
                context.insert("confirmation_link".into(), Value::String(link));
                context.insert("confirmation_token".into(), Value::String(token));
            }
            if let Err(e) = self
                .send_mail(
                    MailKind::WelcomeExisting,
                    &owner.email,
                    &c.email_subject_register,
                    Some(owner),
                    context,
                )
                .await
            {
                tracing::error!(error = %e, "could not mail the owner of a taken address");
            }
        } else if let (Some(_), Some(name)) = (&existing.by_username, username) {
            let context = Map::from_iter([
                ("email".to_owned(), json!(email)),
                ("username".to_owned(), json!(name)),
            ]);
            if let Err(e) = self
                .send_mail(
                    MailKind::WelcomeExistingUsername,
                    email,
                    &c.email_subject_register,
                    None,
                    context,
                )
                .await
            {
                tracing::error!(error = %e, "could not mail about a taken username");
            }
        }
        self.emit(Event::UserNotRegistered {
            existing_email: existing.by_email.is_some(),
            existing_username: existing.by_username.is_some(),
            user: existing.by_email.or(existing.by_username).map(Box::new),
        })
        .await;
        Ok(Registered {
            user: None,
            login: None,
            second_factor_due: false,
        })
    }

    /// A confirmation link for `user`: (absolute URL, token).
    pub(crate) async fn confirmation_link(&self, user: &User) -> Result<(String, String)> {
        let payload = json!([user.fs_uniquifier, self.hash_data(&user.email).await?]);
        let token = self.sign_link(LinkKind::Confirm, &payload);
        Ok((
            self.url(&format!("{}/{token}", self.config().confirm_url)),
            token,
        ))
    }
}
