//! The mailer and SMS sender an app's settings name, as Flask-Mail and
//! Flask-Security choose them: SMTP when `MAIL_SERVER` is set (else the
//! console), and `SECURITY_SMS_SERVICE` (`Dummy`, or `Twilio` with
//! `SECURITY_SMS_SERVICE_CONFIG`).

use std::sync::Arc;

use portcullis_core::config::Extras;
use portcullis_core::{Error, ErrorKind, Mailer, Result, SecurityConfig, SmsSender};
use serde_json::Value;

use crate::{ConsoleMailer, ConsoleSms, SmtpConfig, SmtpMailer, Templates};

/// Flask-Mail's choice: an [`SmtpMailer`] over `MAIL_SERVER`, `MAIL_PORT`,
/// `MAIL_USE_TLS`, `MAIL_USE_SSL`, `MAIL_USERNAME`, `MAIL_PASSWORD` (the
/// settings [`ConfigLoader`](portcullis_core::ConfigLoader) leaves in
/// [`Extras`]) when `MAIL_SERVER` is set; otherwise mail is printed to the
/// console.
pub fn configured_mailer(extras: &Extras, templates: Templates) -> Result<Arc<dyn Mailer>> {
    let get = |k: &str| {
        extras.get(k).and_then(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
    };
    Ok(if get("MAIL_SERVER").is_some() {
        Arc::new(SmtpMailer::new(
            &SmtpConfig::from_settings(get)?,
            templates,
        )?)
    } else {
        Arc::new(ConsoleMailer::stdout(templates))
    })
}

/// Flask-Security's `SmsSenderFactory`: `SECURITY_SMS_SERVICE = "Dummy"`
/// prints texts to the console; `"Twilio"` sends through Twilio with
/// `SECURITY_SMS_SERVICE_CONFIG` (`ACCOUNT_SID`, `AUTH_TOKEN`,
/// `PHONE_NUMBER`; this crate's `twilio` feature). Any other name is a
/// configuration error, not a silent console.
pub fn configured_sms(config: &SecurityConfig) -> Result<Arc<dyn SmsSender>> {
    let service = config.sms_service.as_str();
    if service.eq_ignore_ascii_case("dummy") {
        return Ok(Arc::new(ConsoleSms));
    }
    if service.eq_ignore_ascii_case("twilio") {
        return twilio(config);
    }
    Err(Error::new(
        ErrorKind::Config,
        format!(
            "SECURITY_SMS_SERVICE {service:?} is not a service Portcullis has: use \"Dummy\" or \"Twilio\", or give SecurityBuilder::sms_sender your own sender"
        ),
    ))
}

#[cfg(feature = "twilio")]
fn twilio(config: &SecurityConfig) -> Result<Arc<dyn SmsSender>> {
    Ok(Arc::new(crate::TwilioSms::from_config(
        &config.sms_service_config,
    )?))
}

#[cfg(not(feature = "twilio"))]
fn twilio(_: &SecurityConfig) -> Result<Arc<dyn SmsSender>> {
    Err(Error::new(
        ErrorKind::Config,
        "SECURITY_SMS_SERVICE is \"Twilio\": build portcullis-mail with its `twilio` feature",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_core::ConfigLoader;

    fn config(vars: &[(&str, &str)]) -> SecurityConfig {
        ConfigLoader::new()
            .set("SECRET_KEY", "k".repeat(32))
            .set("SECURITY_PASSWORD_SALT", "salt")
            .vars(vars.iter().copied())
            .build()
            .unwrap()
            .0
    }

    fn error_text<T>(r: Result<T>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn sms_services_by_name() {
        assert!(configured_sms(&config(&[])).is_ok());
        assert!(configured_sms(&config(&[("SECURITY_SMS_SERVICE", "dummy")])).is_ok());
        let e = error_text(configured_sms(&config(&[(
            "SECURITY_SMS_SERVICE",
            "Nexmo",
        )])));
        assert!(e.contains("\"Nexmo\" is not a service"), "{e}");
        let twilio = configured_sms(&config(&[("SECURITY_SMS_SERVICE", "Twilio")]));
        if cfg!(feature = "twilio") {
            let e = error_text(twilio);
            assert!(e.contains("ACCOUNT_SID"), "{e}");
            let full = config(&[
                ("SECURITY_SMS_SERVICE", "Twilio"),
                (
                    "SECURITY_SMS_SERVICE_CONFIG",
                    r#"{"ACCOUNT_SID": "AC1", "AUTH_TOKEN": "t", "PHONE_NUMBER": "+15005550006"}"#,
                ),
            ]);
            assert!(configured_sms(&full).is_ok());
        } else {
            assert!(error_text(twilio).contains("`twilio` feature"));
        }
    }

    #[tokio::test]
    async fn smtp_when_mail_server_is_set() {
        let extras = Extras::from_iter([
            ("MAIL_SERVER".to_owned(), Value::String("127.0.0.1".into())),
            ("MAIL_PORT".to_owned(), Value::from(2525)),
        ]);
        let m = configured_mailer(&extras, Templates::builtin()).unwrap();
        assert!(format!("{m:?}").contains("SmtpMailer"), "{m:?}");
        let mut with_login = extras.clone();
        with_login.insert("MAIL_USERNAME".into(), Value::String("mailer".into()));
        with_login.insert("MAIL_PASSWORD".into(), Value::String("hunter2-smtp".into()));
        let m = configured_mailer(&with_login, Templates::builtin()).unwrap();
        assert!(
            !format!("{m:?}").contains("hunter2"),
            "the password shows in {m:?}"
        );
        let m = configured_mailer(&Extras::new(), Templates::builtin()).unwrap();
        assert!(format!("{m:?}").contains("ConsoleMailer"), "{m:?}");
        let bad = Extras::from_iter([
            ("MAIL_SERVER".to_owned(), Value::String("127.0.0.1".into())),
            ("MAIL_PORT".to_owned(), Value::String("smtp".into())),
        ]);
        let e = error_text(configured_mailer(&bad, Templates::builtin()));
        assert!(e.contains("MAIL_PORT"), "{e}");
    }
}
