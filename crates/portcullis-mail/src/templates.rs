//! Rendering Flask-Security's mail templates.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::{Kwargs, Value as JinjaValue};
use minijinja::{Environment, Error as JinjaError, ErrorKind as JinjaErrorKind, State};
use portcullis_core::{Email, Error, Result};

/// The built-in templates: Flask-Security 5.9.2's, unchanged, and
/// Portcullis' own (the unlock link and the security notices).
const BUILTIN: &[(&str, &str)] = &[
    (
        "email_changed_notice.html",
        include_str!("../templates/email_changed_notice.html"),
    ),
    (
        "email_changed_notice.txt",
        include_str!("../templates/email_changed_notice.txt"),
    ),
    (
        "factor_added_notice.html",
        include_str!("../templates/factor_added_notice.html"),
    ),
    (
        "factor_added_notice.txt",
        include_str!("../templates/factor_added_notice.txt"),
    ),
    (
        "factor_removed_notice.html",
        include_str!("../templates/factor_removed_notice.html"),
    ),
    (
        "factor_removed_notice.txt",
        include_str!("../templates/factor_removed_notice.txt"),
    ),
    (
        "change_email_instructions.html",
        include_str!("../templates/change_email_instructions.html"),
    ),
    (
        "change_email_instructions.txt",
        include_str!("../templates/change_email_instructions.txt"),
    ),
    (
        "change_notice.html",
        include_str!("../templates/change_notice.html"),
    ),
    (
        "change_notice.txt",
        include_str!("../templates/change_notice.txt"),
    ),
    (
        "change_username_notice.html",
        include_str!("../templates/change_username_notice.html"),
    ),
    (
        "change_username_notice.txt",
        include_str!("../templates/change_username_notice.txt"),
    ),
    (
        "confirmation_instructions.html",
        include_str!("../templates/confirmation_instructions.html"),
    ),
    (
        "confirmation_instructions.txt",
        include_str!("../templates/confirmation_instructions.txt"),
    ),
    (
        "login_instructions.html",
        include_str!("../templates/login_instructions.html"),
    ),
    (
        "login_instructions.txt",
        include_str!("../templates/login_instructions.txt"),
    ),
    (
        "reset_instructions.html",
        include_str!("../templates/reset_instructions.html"),
    ),
    (
        "reset_instructions.txt",
        include_str!("../templates/reset_instructions.txt"),
    ),
    (
        "reset_notice.html",
        include_str!("../templates/reset_notice.html"),
    ),
    (
        "reset_notice.txt",
        include_str!("../templates/reset_notice.txt"),
    ),
    (
        "two_factor_instructions.html",
        include_str!("../templates/two_factor_instructions.html"),
    ),
    (
        "two_factor_instructions.txt",
        include_str!("../templates/two_factor_instructions.txt"),
    ),
    (
        "two_factor_rescue.html",
        include_str!("../templates/two_factor_rescue.html"),
    ),
    (
        "two_factor_rescue.txt",
        include_str!("../templates/two_factor_rescue.txt"),
    ),
    (
        "us_instructions.html",
        include_str!("../templates/us_instructions.html"),
    ),
    (
        "us_instructions.txt",
        include_str!("../templates/us_instructions.txt"),
    ),
    (
        "username_recovery.html",
        include_str!("../templates/username_recovery.html"),
    ),
    (
        "username_recovery.txt",
        include_str!("../templates/username_recovery.txt"),
    ),
    (
        "unlock_instructions.html",
        include_str!("../templates/unlock_instructions.html"),
    ),
    (
        "unlock_instructions.txt",
        include_str!("../templates/unlock_instructions.txt"),
    ),
    ("welcome.html", include_str!("../templates/welcome.html")),
    ("welcome.txt", include_str!("../templates/welcome.txt")),
    (
        "welcome_existing.html",
        include_str!("../templates/welcome_existing.html"),
    ),
    (
        "welcome_existing.txt",
        include_str!("../templates/welcome_existing.txt"),
    ),
    (
        "welcome_existing_username.html",
        include_str!("../templates/welcome_existing_username.html"),
    ),
    (
        "welcome_existing_username.txt",
        include_str!("../templates/welcome_existing_username.txt"),
    ),
];

/// A mail ready to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Recipient.
    pub to: String,
    /// Sender.
    pub from: String,
    /// Subject.
    pub subject: String,
    /// Text body (with `SECURITY_EMAIL_PLAINTEXT`).
    pub text: Option<String>,
    /// HTML body (with `SECURITY_EMAIL_HTML`).
    pub html: Option<String>,
}

impl std::fmt::Debug for Rendered {
    /// Bodies carry live links, so they are not printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Flask-Security's `_fsdomain`: the text in the request's locale (see
/// `portcullis_core::i18n`), then its `%(name)s` interpolation.
fn fsdomain(text: String, kwargs: Kwargs) -> std::result::Result<String, JinjaError> {
    let text = portcullis_core::i18n::gettext(&text).into_owned();
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for key in kwargs.args().map(str::to_owned).collect::<Vec<_>>() {
        let v: JinjaValue = kwargs.get(&key)?;
        values.insert(
            key,
            if v.is_none() || v.is_undefined() {
                String::new()
            } else {
                v.to_string()
            },
        );
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("%(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find(')')
            .filter(|&e| matches!(after.as_bytes().get(e + 1), Some(b's' | b'd')))
        {
            Some(end) => {
                out.push_str(values.get(&after[..end]).map_or("", String::as_str));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("%(");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `url_for_security('forgot_password', _external=True)`: absolute URLs
/// the service puts into the context as `security_urls`.
fn url_for_security(
    state: &State<'_, '_>,
    endpoint: String,
    kwargs: Kwargs,
) -> std::result::Result<String, JinjaError> {
    let _external: Option<bool> = kwargs.get("_external")?;
    let urls = state.lookup("security_urls").unwrap_or_default();
    let url = urls
        .get_attr(&endpoint)
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_none());
    url.map(|v| v.to_string()).ok_or_else(|| {
        JinjaError::new(
            JinjaErrorKind::UndefinedError,
            format!("no URL for endpoint {endpoint:?}"),
        )
    })
}

/// The mail templates: built-ins, optionally overridden from a directory.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Templates {
    /// Flask-Security's templates.
    pub fn builtin() -> Self {
        Self::build(None)
    }

    /// Built-ins, but a file in `dir` (an app's template folder) wins:
    /// the mail's template as its `SECURITY_*_EMAIL_TEMPLATE` setting
    /// names it plus `.txt` / `.html` (by default
    /// `security/email/welcome.txt`, as in a Flask app's `templates`
    /// folder), or the flat `welcome.txt`. A template the setting names
    /// that is found nowhere is logged and the built-in mail sent.
    pub fn with_overrides(dir: impl Into<PathBuf>) -> Self {
        Self::build(Some(dir.into()))
    }

    fn build(dir: Option<PathBuf>) -> Self {
        let mut env = Environment::new();
        env.set_formatter(jinja_autoescape);
        // Like Jinja2's ChainableUndefined: an app template may name something we do not provide.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.set_loader(move |name: &str| {
            // Flask-Security's default names are its own folder's.
            let own = name.strip_prefix("security/email/").unwrap_or(name);
            if let Some(dir) = dir
                .as_ref()
                .filter(|_| portcullis_core::html::is_safe_template_name(name))
            {
                // The name as configured, then the flat file beside it.
                for candidate in [name, own] {
                    match std::fs::read_to_string(dir.join(candidate)) {
                        Ok(s) => return Ok(Some(s)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(JinjaError::new(
                                JinjaErrorKind::InvalidOperation,
                                "cannot read template",
                            )
                            .with_source(e));
                        }
                    }
                }
            }
            Ok(BUILTIN
                .iter()
                .find(|(n, _)| *n == own)
                .map(|(_, src)| (*src).to_owned()))
        });
        env.add_function("_fsdomain", fsdomain);
        env.add_function("_", fsdomain);
        env.add_function("url_for_security", url_for_security);
        Self { env: Arc::new(env) }
    }

    /// Renders `template` + `ext`, or the kind's built-in `base` + `ext`
    /// when no folder has the configured one.
    fn render_one(
        &self,
        template: &str,
        base: &str,
        ext: &str,
        ctx: &JinjaValue,
    ) -> Result<String> {
        let name = format!("{template}.{ext}");
        let found = match self.env.get_template(&name) {
            Err(e) if e.kind() == JinjaErrorKind::TemplateNotFound => {
                tracing::warn!(
                    template = name.as_str(),
                    "no such mail template; the built-in mail is sent"
                );
                self.env.get_template(&format!("{base}.{ext}"))
            }
            other => other,
        };
        let t =
            found.map_err(|e| Error::internal(format!("mail template {name}")).with_source(e))?;
        t.render(ctx)
            .map(|s| s.trim().to_owned() + "\n")
            .map_err(|e| Error::internal(format!("mail template {name}")).with_source(e))
    }

    /// Renders `email`'s text and HTML bodies (each only when
    /// `security.email_plaintext` / `security.email_html` is not false).
    pub fn render(&self, email: &Email) -> Result<Rendered> {
        let ctx = JinjaValue::from(minijinja::value::Serde(&email.context));
        let flag = |name: &str| {
            email
                .context
                .get("security")
                .and_then(|s| s.get(name))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(true)
        };
        let base = email.kind.template();
        let text = if flag("email_plaintext") {
            Some(self.render_one(&email.template, base, "txt", &ctx)?)
        } else {
            None
        };
        let html = if flag("email_html") {
            Some(self.render_one(&email.template, base, "html", &ctx)?)
        } else {
            None
        };
        Ok(Rendered {
            to: email.to.clone(),
            from: email.from.clone(),
            subject: email.subject.clone(),
            text,
            html,
        })
    }
}

/// Writes `{{ … }}` as Jinja2 does under autoescape (markupsafe, see
/// [`portcullis_core::html::escape`]): minijinja's own escaping also
/// writes `/` as `&#x2f;`. (portcullis-http's pages have the same
/// formatter: neither crate depends on the other outside tests.)
fn jinja_autoescape(
    out: &mut minijinja::Output<'_>,
    state: &mut State<'_, '_>,
    value: &JinjaValue,
) -> std::result::Result<(), JinjaError> {
    match value.as_str() {
        Some(s)
            if matches!(state.auto_escape(), minijinja::AutoEscape::Html) && !value.is_safe() =>
        {
            Ok(out.write_str(&portcullis_core::html::escape(s))?)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_core::MailKind;
    use serde_json::json;

    fn email(kind: MailKind, context: serde_json::Value) -> Email {
        Email {
            kind,
            to: "a@example.com".into(),
            from: "no-reply@example.com".into(),
            subject: "s".into(),
            template: format!("security/email/{}", kind.template()),
            context: context.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn every_builtin_template_renders() {
        let t = Templates::builtin();
        let ctx = json!({
            "user": {"email": "a@example.com", "username": "alice"},
            "security": {"confirmable": true, "recoverable": true},
            "security_urls": {"forgot_password": "http://x/reset", "login": "http://x/login"},
            "confirmation_link": "http://x/confirm/T", "confirmation_token": "T", "reset_link": "http://x/reset/T",
            "reset_token": "T", "link": "http://x/change-email/T", "token": "123456", "login_token": "123456",
            "login_link": "http://x/l", "within": "2 days", "username": "alice", "email": "a@example.com",
        });
        for kind in MailKind::ALL {
            let r = t.render(&email(kind, ctx.clone())).unwrap();
            assert!(
                !r.text.as_deref().unwrap().trim().is_empty(),
                "{kind:?} text"
            );
            assert!(
                !r.html.as_deref().unwrap().trim().is_empty(),
                "{kind:?} html"
            );
        }
        let r = t
            .render(&email(MailKind::ResetInstructions, ctx.clone()))
            .unwrap();
        assert!(
            r.text
                .unwrap()
                .contains("Use http://x/reset/T to reset your password.")
        );
        assert!(r.html.unwrap().contains("This link will expire in 2 days."));
        let r = t.render(&email(MailKind::ChangeNotice, ctx)).unwrap();
        assert!(r.text.unwrap().contains("http://x/reset"));
    }

    #[test]
    fn an_apps_template_folder_overrides_mails_by_their_settings_names() {
        let dir = std::env::temp_dir().join(format!("portcullis-mail-tpl-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let write = |path: &str, text: &str| {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        // A Flask app's `templates` folder: Flask-Security's default path,
        // a path a setting names, and a flat file.
        write(
            "security/email/welcome.txt",
            "Flask layout {{ user.email }}",
        );
        write("myapp/email/reset.txt", "Own reset {{ reset_link }}");
        write("change_notice.html", "<p>flat</p>");
        // Beside the folder: never read.
        let secret = format!("portcullis-mail-tpl-{}-secret", std::process::id());
        let secret_file = dir.with_file_name(format!("{secret}.txt"));
        std::fs::write(&secret_file, "SECRET").unwrap();
        let t = Templates::with_overrides(&dir);
        let ctx = json!({"user": {"email": "a@example.com"}, "reset_link": "http://x/reset/T",
                         "security_urls": {"forgot_password": "http://x/reset"}});
        let render = |kind, template: &str| {
            let mut e = email(kind, ctx.clone());
            e.template = template.into();
            t.render(&e).unwrap()
        };
        let r = render(MailKind::Welcome, "security/email/welcome");
        assert_eq!(r.text.as_deref(), Some("Flask layout a@example.com\n"));
        // Only the text was overridden: the HTML is the built-in one.
        assert!(r.html.unwrap().contains("a@example.com"));
        let r = render(MailKind::ResetInstructions, "myapp/email/reset");
        assert_eq!(r.text.as_deref(), Some("Own reset http://x/reset/T\n"));
        let r = render(MailKind::ChangeNotice, "security/email/change_notice");
        assert_eq!(r.html.as_deref(), Some("<p>flat</p>\n"));
        // A name found nowhere, or one reaching out of the folder: the
        // built-in mail.
        let builtin = Templates::builtin()
            .render(&email(MailKind::ResetInstructions, ctx.clone()))
            .unwrap();
        for name in ["myapp/email/missing".to_owned(), format!("../{secret}")] {
            let r = render(MailKind::ResetInstructions, &name);
            assert_eq!(r.text, builtin.text, "{name}");
        }
        std::fs::remove_file(secret_file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn html_output_is_escaped_as_jinja2_escapes_it() {
        let mut env = Environment::new();
        env.set_formatter(jinja_autoescape);
        env.add_template("t.html", "{{ v }}|{{ s|safe }}|{{ n }}|{{ missing }}")
            .unwrap();
        env.add_template("t.txt", "{{ v }}").unwrap();
        let v = r#"a/b <i> "q" 'x' & y"#;
        let ctx = minijinja::context! { v => v, s => "<b>/</b>", n => 42 };
        assert_eq!(
            env.get_template("t.html").unwrap().render(&ctx).unwrap(),
            "a/b &lt;i&gt; &#34;q&#34; &#39;x&#39; &amp; y|<b>/</b>|42|"
        );
        // Plain text is never escaped.
        assert_eq!(env.get_template("t.txt").unwrap().render(&ctx).unwrap(), v);
    }

    #[test]
    fn html_escapes_and_flags_switch_bodies_off() {
        let t = Templates::builtin();
        let ctx = json!({"user": {"email": "<b>x</b>@example.com"}, "security": {"confirmable": false, "email_html": false}});
        let r = t.render(&email(MailKind::Welcome, ctx)).unwrap();
        assert!(r.html.is_none());
        assert!(r.text.unwrap().contains("Welcome <b>x</b>@example.com!"));
        let r = t
            .render(&email(
                MailKind::Welcome,
                json!({"user": {"email": "<b>x</b>@example.com"}}),
            ))
            .unwrap();
        let html = r.html.unwrap();
        assert!(
            html.contains("&lt;b&gt;x&lt;") && !html.contains("<b>"),
            "{html}"
        );
    }

    #[test]
    fn overrides_win() {
        let dir = std::env::temp_dir().join(format!("portcullis-mail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("welcome.txt"), "Hi {{ user.email }}, from the app").unwrap();
        let t = Templates::with_overrides(&dir);
        let r = t
            .render(&email(
                MailKind::Welcome,
                json!({"user": {"email": "a@example.com"}}),
            ))
            .unwrap();
        assert_eq!(r.text.as_deref(), Some("Hi a@example.com, from the app\n"));
        assert!(r.html.unwrap().contains("Welcome a@example.com!"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
