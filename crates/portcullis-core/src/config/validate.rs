//! Checks that run when a configuration is built, so a misconfiguration
//! fails at start-up, not at the first request.

use super::derived::secret_key_problem;
use super::{ConfigError, IdentityAttr, SecurityConfig};

const MECHANISMS: &[&str] = &["session", "token", "basic"];

impl SecurityConfig {
    /// Checks every rule; the error lists every problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut p: Vec<(String, String)> = Vec::new();
        let mut err = |k: &str, m: String| p.push((k.to_owned(), m));

        if self.secret_key.as_ref().is_none_or(|k| k.is_empty()) {
            err("SECRET_KEY", secret_key_problem().to_owned());
        }
        if let Some(until) = &self.danger_accept_flask_sessions_until
            && self.flask_sessions_until().is_none()
        {
            err(
                "SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL",
                format!("{until:?} is not an RFC 3339 moment, e.g. 2027-01-31T00:00:00Z"),
            );
        }
        if let Err(e) = self.password_hasher() {
            for (k, m) in e.problems() {
                err(k, m.clone());
            }
        }
        if let Err(e) = self.input_normalize() {
            for (k, m) in e.problems() {
                err(k, m.clone());
            }
        }
        if self.password_length_min > 128 {
            err(
                "SECURITY_PASSWORD_LENGTH_MIN",
                "must be at most 128 (the maximum length)".into(),
            );
        }
        if let Some(c) = &self.password_complexity_checker
            && c != "zxcvbn"
        {
            err(
                "SECURITY_PASSWORD_COMPLEXITY_CHECKER",
                format!("{c:?} is not a checker; use \"zxcvbn\" or leave it unset"),
            );
        }
        if self.zxcvbn_minimum_score > 4 {
            err(
                "SECURITY_ZXCVBN_MINIMUM_SCORE",
                "zxcvbn scores run from 0 to 4".into(),
            );
        }
        if self.username_min_length > self.username_max_length {
            err(
                "SECURITY_USERNAME_MIN_LENGTH",
                "must not exceed SECURITY_USERNAME_MAX_LENGTH".into(),
            );
        }
        subset(
            &mut err,
            "SECURITY_API_ENABLED_METHODS",
            &self.api_enabled_methods,
            MECHANISMS,
        );
        subset(
            &mut err,
            "SECURITY_CSRF_PROTECT_MECHANISMS",
            &self.csrf_protect_mechanisms,
            MECHANISMS,
        );
        subset(
            &mut err,
            "SECURITY_LOGOUT_METHODS",
            &self.logout_methods,
            &["GET", "POST"],
        );
        subset(
            &mut err,
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            &self.two_factor_enabled_methods,
            &["email", "authenticator", "sms"],
        );
        subset(
            &mut err,
            "SECURITY_US_ENABLED_METHODS",
            &self.us_enabled_methods,
            &["password", "email", "authenticator", "sms"],
        );
        subset(
            &mut err,
            "SECURITY_US_MFA_REQUIRED",
            &self.us_mfa_required,
            &["password", "email", "authenticator", "sms"],
        );
        if self.user_identity_attributes.is_empty() {
            err(
                "SECURITY_USER_IDENTITY_ATTRIBUTES",
                "needs at least one attribute (e.g. [\"email\"])".into(),
            );
        }
        if self
            .user_identity_attributes
            .iter()
            .any(|a| a.attr == IdentityAttr::Username)
            && !self.username_enable
        {
            err(
                "SECURITY_USER_IDENTITY_ATTRIBUTES",
                "lists username, so set SECURITY_USERNAME_ENABLE = true".into(),
            );
        }
        let needs_totp = self.two_factor || self.unified_signin || self.multi_factor_recovery_codes;
        if needs_totp {
            if self.totp_secrets.is_empty() {
                err("SECURITY_TOTP_SECRETS", "two-factor and unified sign-in need it: set it to {\"1\": \"<a long random string>\"}".into());
            }
            if self.totp_issuer.as_deref().is_none_or(str::is_empty) {
                err(
                    "SECURITY_TOTP_ISSUER",
                    "two-factor and unified sign-in need it: set it to your application's name"
                        .into(),
                );
            }
            if let Err(e) = self.totp_factory() {
                for (k, m) in e.problems() {
                    err(k, m.clone());
                }
            }
        }
        if self.two_factor && self.two_factor_enabled_methods.is_empty() {
            err(
                "SECURITY_TWO_FACTOR_ENABLED_METHODS",
                "two-factor is on but no method is enabled".into(),
            );
        }
        if self.multi_factor_recovery_codes && !(self.two_factor || self.webauthn) {
            err(
                "SECURITY_MULTI_FACTOR_RECOVERY_CODES",
                "needs SECURITY_TWO_FACTOR or SECURITY_WEBAUTHN".into(),
            );
        }
        if !self.password_required && !self.unified_signin {
            err(
                "SECURITY_PASSWORD_REQUIRED",
                "may be false only with SECURITY_UNIFIED_SIGNIN = true".into(),
            );
        }
        if self.freshness_grace_period.num_seconds() < 0 {
            err(
                "SECURITY_FRESHNESS_GRACE_PERIOD",
                "must not be negative".into(),
            );
        }
        if self.multi_factor_recovery_codes_n == 0 || self.multi_factor_recovery_codes_n > 100 {
            err(
                "SECURITY_MULTI_FACTOR_RECOVERY_CODES_N",
                "must be between 1 and 100".into(),
            );
        }
        for (key, url) in [
            ("SECURITY_LOGIN_URL", &self.login_url),
            ("SECURITY_LOGOUT_URL", &self.logout_url),
            ("SECURITY_REGISTER_URL", &self.register_url),
            ("SECURITY_RESET_URL", &self.reset_url),
            ("SECURITY_CHANGE_URL", &self.change_url),
            ("SECURITY_CONFIRM_URL", &self.confirm_url),
            ("SECURITY_VERIFY_URL", &self.verify_url),
        ] {
            if !url.starts_with('/') {
                err(key, format!("{url:?} must start with `/`"));
            }
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::from_problems(p))
        }
    }
}

fn subset(err: &mut impl FnMut(&str, String), key: &str, values: &[String], allowed: &[&str]) {
    for v in values {
        if !allowed.contains(&v.as_str()) {
            err(key, format!("{v:?} is not one of {}", allowed.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::ConfigLoader;

    fn ok() -> ConfigLoader {
        ConfigLoader::new().vars([
            ("SECRET_KEY", "k".repeat(32)),
            ("SECURITY_PASSWORD_SALT", "pepper".to_owned()),
        ])
    }

    #[test]
    fn two_factor_needs_totp_settings() {
        let e = ok()
            .vars([("SECURITY_TWO_FACTOR", "true")])
            .build()
            .unwrap_err();
        assert!(
            e.concerns("SECURITY_TOTP_SECRETS") && e.concerns("SECURITY_TOTP_ISSUER"),
            "{e}"
        );
        ok().vars([
            ("SECURITY_TWO_FACTOR", "true"),
            ("SECURITY_TOTP_SECRETS", r#"{"1": "abc"}"#),
            ("SECURITY_TOTP_ISSUER", "Todo"),
        ])
        .build()
        .unwrap();
    }

    #[test]
    fn password_settings() {
        let e = ConfigLoader::new()
            .vars([("SECRET_KEY", "k")])
            .build()
            .unwrap_err();
        assert!(e.concerns("SECURITY_PASSWORD_SALT"), "{e}");
        // Single-hash everywhere needs no salt.
        ConfigLoader::new()
            .vars([
                ("SECRET_KEY", "k"),
                ("SECURITY_PASSWORD_SINGLE_HASH", "true"),
            ])
            .build()
            .unwrap();
        let e = ok()
            .vars([("SECURITY_PASSWORD_HASH", "md5")])
            .build()
            .unwrap_err();
        assert!(e.concerns("SECURITY_PASSWORD_HASH"), "{e}");
        let e = ok()
            .vars([("SECURITY_PASSWORD_SCHEMES", r#"["argon2","des_crypt"]"#)])
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("des_crypt is not supported"), "{e}");
        let e = ok()
            .vars([
                ("SECURITY_PASSWORD_HASH", "bcrypt"),
                ("SECURITY_PASSWORD_SCHEMES", r#"["argon2"]"#),
            ])
            .build()
            .unwrap_err();
        assert!(e.concerns("SECURITY_PASSWORD_HASH"), "{e}");
        let e = ok()
            .vars([(
                "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
                r#"{"bcrypt__rounds": 40}"#,
            )])
            .build()
            .unwrap_err();
        assert!(e.concerns("SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS"), "{e}");
        let (c, _) = ok()
            .vars([(
                "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
                r#"{"argon2__time_cost": 4}"#,
            )])
            .build()
            .unwrap();
        assert_eq!(c.crypt_context().unwrap().params().argon2.time_cost, 4);
    }

    #[test]
    fn lists_are_checked() {
        let e = ok()
            .vars([("SECURITY_CSRF_PROTECT_MECHANISMS", r#"["cookie"]"#)])
            .build()
            .unwrap_err();
        assert!(e.concerns("SECURITY_CSRF_PROTECT_MECHANISMS"));
        let e = ok()
            .vars([(
                "SECURITY_USER_IDENTITY_ATTRIBUTES",
                r#"["email","username"]"#,
            )])
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("SECURITY_USERNAME_ENABLE"), "{e}");
        let e = ok()
            .vars([("SECURITY_MULTI_FACTOR_RECOVERY_CODES", "true")])
            .build()
            .unwrap_err();
        assert!(e.concerns("SECURITY_MULTI_FACTOR_RECOVERY_CODES"));
    }
}
