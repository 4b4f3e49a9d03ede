//! Pages for browsers: Flask-Security's form templates (`login_user.html`,
//! `register_user.html`, …), built in as one plain form page and
//! overridable one by one from a directory.

use std::path::PathBuf;
use std::sync::Arc;

use http::HeaderValue;
use http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_FRAME_OPTIONS};
use minijinja::{Environment, Value as JinjaValue};
use serde_json::{Map, Value, json};

use crate::respond::HttpResponse;

const FORM: &str = include_str!("../templates/form.html");

/// The page templates, by Flask-Security's names.
pub const PAGES: &[&str] = &[
    "login_user.html",
    "logout_user.html",
    "register_user.html",
    "send_confirmation.html",
    "send_login.html",
    "forgot_password.html",
    "reset_password.html",
    "change_password.html",
    "change_email.html",
    "change_username.html",
    "recover_username.html",
    "verify.html",
    "two_factor_setup.html",
    "two_factor_verify_code.html",
    "two_factor_select.html",
    "mf_recovery.html",
    "mf_recovery_codes.html",
    "us_signin.html",
    "us_verify.html",
    "us_setup.html",
    "user_sessions.html",
    "wan_register.html",
    "wan_signin.html",
    "wan_verify.html",
];

/// Renders the pages.
#[derive(Debug, Clone)]
pub struct Pages {
    env: Arc<Environment<'static>>,
}

impl Default for Pages {
    fn default() -> Self {
        Self::build(None)
    }
}

impl Pages {
    /// The built-in pages, but a file in `dir` wins: the name its
    /// `SECURITY_*_TEMPLATE` setting gives (by default
    /// `security/login_user.html`, as in a Flask app's `templates`
    /// folder), or the flat `login_user.html`. Each page gets `title`, `action`, `fields`
    /// (name, type, label), `values`, `errors` (by field), `form_errors`,
    /// `messages`, `csrf_token`, `next`, `links`, `form_name`, and where a
    /// page has them `send_code` (`action`, `methods`), `code_form`
    /// (`action`, `name`, `label`, `form_name`), `qr_image`, `sessions`,
    /// `oauth` (`heading`, `providers`: `name`, `action`);
    /// `_(text)` translates a Flask-Security text into the request's locale.
    pub fn with_overrides(dir: impl Into<PathBuf>) -> Self {
        Self::build(Some(dir.into()))
    }

    fn build(dir: Option<PathBuf>) -> Self {
        let mut env = Environment::new();
        env.set_formatter(jinja_autoescape);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        // `_("…")`: Flask-Security's texts in the request's locale, as its
        // templates' `_fsdomain`.
        env.add_function("_", |text: String| {
            portcullis_core::i18n::gettext(&text).into_owned()
        });
        env.set_loader(move |name: &str| {
            // A relative path without `..`: `security/login_user.html`,
            // `custom/login.html` or a flat `login_user.html`.
            let safe = portcullis_core::html::is_safe_template_name(name);
            let own = name.strip_prefix("security/").unwrap_or(name);
            if let Some(dir) = &dir
                && safe
            {
                // The name as configured, then (for Flask-Security's
                // default `security/…` names) the flat file beside it.
                for candidate in [name, own] {
                    match std::fs::read_to_string(dir.join(candidate)) {
                        Ok(s) => return Ok(Some(s)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(minijinja::Error::new(
                                minijinja::ErrorKind::InvalidOperation,
                                "cannot read template",
                            )
                            .with_source(e));
                        }
                    }
                }
            }
            Ok((PAGES.contains(&own) || own == "form.html").then(|| FORM.to_owned()))
        });
        Self { env: Arc::new(env) }
    }

    /// Renders `page` with `context` as a 200 `text/html` response.
    pub fn render(&self, page: &str, context: &Map<String, Value>) -> HttpResponse {
        self.render_named(page, page, context)
    }

    /// Renders the template a `SECURITY_*_TEMPLATE` setting names
    /// (`security/login_user.html`, or the app's `custom/login.html` in
    /// the override directory) for the built-in `page`; a name found
    /// nowhere is logged and the built-in page shown.
    pub fn render_named(
        &self,
        template: &str,
        page: &str,
        context: &Map<String, Value>,
    ) -> HttpResponse {
        let found = match self.env.get_template(template) {
            Err(e) if e.kind() == minijinja::ErrorKind::TemplateNotFound && template != page => {
                tracing::warn!(
                    template,
                    page,
                    "no such page template; the built-in page is shown"
                );
                self.env.get_template(page)
            }
            other => other,
        };
        let html = found
            .and_then(|t| t.render(JinjaValue::from(minijinja::value::Serde(context))))
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, page, "a page template failed");
                "<!doctype html><title>Error</title><p>This page could not be shown.</p>".to_owned()
            });
        let mut r = HttpResponse::envelope(http::StatusCode::OK, json!({}));
        r.body = html.into_bytes();
        r.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // Pages with forms never render inside another site's frame
        // (clickjacking); both the old header and CSP's newer directive.
        r.headers
            .insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        r.headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
        r
    }
}

/// A choice of one of `options` (a radio group), each labelled as
/// Flask-Security's setup forms label it ("Set up using email", …; a value
/// it has no label for by itself). With no options, the page says
/// `empty` instead.
pub(crate) fn radio(name: &str, label: &str, options: &[String], empty: &str) -> Value {
    let options: Vec<Value> = options
        .iter()
        .map(|o| json!({"value": o, "label": setup_choice_label(o)}))
        .collect();
    json!({"name": name, "type": "radio", "label": label, "options": options, "empty": empty})
}

/// Flask-Security's label for a second-factor or sign-in method choice
/// (its `authapp_method`, `email_method`, `sms_method` form labels).
fn setup_choice_label(method: &str) -> &str {
    match method {
        "email" => "Set up using email",
        "authenticator" => "Set up using an authenticator app (e.g. google, lastpass, authy)",
        "sms" => "Set up using SMS",
        "disable" => "Disable two-factor authentication",
        other => other,
    }
}

/// `f`, with the input's `required` attribute when `on`.
pub(crate) fn required(mut f: Value, on: bool) -> Value {
    f["required"] = json!(on);
    f
}

/// A form field for the built-in page.
pub(crate) fn field(name: &str, kind: &str, label: &str, autocomplete: &str) -> Value {
    json!({"name": name, "type": kind, "label": label, "autocomplete": autocomplete})
}

/// `{{ … }}` escaped as Jinja2 escapes it ([`portcullis_core::html::escape`]:
/// minijinja's own escaping also writes `/` as `&#x2f;`).
fn jinja_autoescape(
    out: &mut minijinja::Output<'_>,
    state: &mut minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(s)
            if matches!(state.auto_escape(), minijinja::AutoEscape::Html) && !value.is_safe() =>
        {
            Ok(out.write_str(&portcullis_core::html::escape(s))?)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}
