//! The crypto objects a configuration describes.

use portcullis_crypto::password::{Deprecated, NormalizeForm, SchemeParams, SingleHash};
use portcullis_crypto::recovery::CodeCipher;
use portcullis_crypto::{
    AuthTokenIssuer, CryptContext, PasslibTotpSecrets, PasswordHasher, Scheme, SecretString,
    TokenKind, TotpFactory, UrlSafeTimedSerializer,
};

use super::{ConfigError, SecurityConfig, SingleHashSetting};

impl SecurityConfig {
    /// `[SECRET_KEY, *SECRET_KEY_FALLBACKS]`, the order Flask-Security
    /// hands to itsdangerous (which signs with the last).
    pub fn secret_keys(&self) -> Vec<SecretString> {
        self.secret_key
            .iter()
            .chain(self.secret_key_fallbacks.iter())
            .cloned()
            .collect()
    }

    /// The configured salt for a token kind.
    pub fn salt(&self, kind: TokenKind) -> &str {
        match kind {
            TokenKind::Confirm => &self.confirm_salt,
            TokenKind::Reset => &self.reset_salt,
            TokenKind::Login => &self.login_salt,
            TokenKind::Remember => &self.remember_salt,
            TokenKind::ChangeEmail => &self.change_email_salt,
            TokenKind::UsSetup => &self.us_setup_salt,
            TokenKind::TfSetup => &self.two_factor_setup_salt,
            TokenKind::TfValidity => &self.two_factor_validity_salt,
            TokenKind::Wan => &self.wan_salt,
            TokenKind::RefreshToken => &self.refresh_token_salt,
            _ => kind.default_salt(),
        }
    }

    /// The signed-token serializer for `kind`.
    pub fn serializer(&self, kind: TokenKind) -> Result<UrlSafeTimedSerializer, ConfigError> {
        let keys = self.secret_keys();
        UrlSafeTimedSerializer::new(&keys, self.salt(kind))
            .map_err(|_| ConfigError::new("SECRET_KEY", missing_secret_key()))
    }

    /// The recovery-code cipher (`SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS`,
    /// `_CODE_TTL`), `None` when no key is set.
    pub fn recovery_code_cipher(&self) -> Result<Option<CodeCipher>, ConfigError> {
        if self.multi_factor_recovery_codes_keys.is_empty() {
            return Ok(None);
        }
        let ttl = self
            .multi_factor_recovery_code_ttl
            .map(|t| u64::try_from(t.num_seconds()).unwrap_or(0));
        CodeCipher::new(&self.multi_factor_recovery_codes_keys, ttl)
            .map(Some)
            .ok_or_else(|| {
                ConfigError::new(
                    "SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS",
                    "each key must be a Fernet key: 32 bytes in URL-safe base64, as Fernet.generate_key() makes them",
                )
            })
    }

    /// `SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL`, parsed.
    pub fn flask_sessions_until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let text = self.danger_accept_flask_sessions_until.as_deref()?;
        chrono::DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc))
    }

    /// The remember-me cookie's attributes (`REMEMBER_COOKIE_*`).
    pub fn remember_cookie_options(&self) -> super::CookieOptions {
        super::CookieOptions {
            samesite: self.remember_cookie_samesite.clone(),
            httponly: self.remember_cookie_httponly,
            secure: self.remember_cookie_secure,
            path: self.remember_cookie_path.clone(),
            domain: self.remember_cookie_domain.clone(),
        }
    }

    /// The auth-token issuer (`remember` salt, `SECURITY_TOKEN_MAX_AGE`).
    pub fn auth_token_issuer(&self) -> Result<AuthTokenIssuer, ConfigError> {
        Ok(AuthTokenIssuer::new(
            self.serializer(TokenKind::Remember)?,
            self.token_max_age.map(|d| d.num_seconds()),
        ))
    }

    /// `SECURITY_PASSWORD_NORMALIZE_FORM`, parsed.
    pub fn password_normalize(&self) -> Result<Option<NormalizeForm>, ConfigError> {
        parse_form(
            "SECURITY_PASSWORD_NORMALIZE_FORM",
            self.password_normalize_form.as_deref(),
        )
    }

    /// `SECURITY_INPUT_NORMALIZE_FORM`, parsed.
    pub fn input_normalize(&self) -> Result<Option<NormalizeForm>, ConfigError> {
        parse_form(
            "SECURITY_INPUT_NORMALIZE_FORM",
            self.input_normalize_form.as_deref(),
        )
    }

    /// passlib's context as these settings describe it.
    pub fn crypt_context(&self) -> Result<CryptContext, ConfigError> {
        let schemes = self
            .password_schemes
            .iter()
            .map(|s| parse_scheme("SECURITY_PASSWORD_SCHEMES", s))
            .collect::<Result<Vec<_>, _>>()?;
        let default = parse_scheme("SECURITY_PASSWORD_HASH", &self.password_hash)?;
        let deprecated = if self.deprecated_password_schemes.iter().any(|s| s == "auto") {
            Deprecated::Auto
        } else {
            Deprecated::Schemes(
                self.deprecated_password_schemes
                    .iter()
                    .map(|s| parse_scheme("SECURITY_DEPRECATED_PASSWORD_SCHEMES", s))
                    .collect::<Result<_, _>>()?,
            )
        };
        let mut params = SchemeParams::default();
        for (k, v) in &self.password_hash_passlib_options {
            params.set_passlib_option(k, *v).map_err(|e| {
                ConfigError::new("SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS", e.to_string())
            })?;
        }
        CryptContext::builder()
            .schemes(schemes)
            .default_scheme(default)
            .deprecated(deprecated)
            .params(params)
            .build()
            .map_err(|e| {
                let key = if matches!(
                    e,
                    portcullis_crypto::Error::InvalidParameters {
                        scheme: Scheme::Plaintext,
                        ..
                    }
                ) {
                    "SECURITY_PASSWORD_SCHEMES"
                } else if !self.password_schemes.contains(&self.password_hash) {
                    "SECURITY_PASSWORD_HASH"
                } else {
                    "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS"
                };
                ConfigError::new(key, e.to_string())
            })
    }

    /// Flask-Security's password pipeline as these settings describe it.
    pub fn password_hasher(&self) -> Result<PasswordHasher, ConfigError> {
        let single_hash = match &self.password_single_hash {
            SingleHashSetting::All => SingleHash::All,
            // Names of schemes Portcullis does not implement (Django's) cannot be used anyway.
            SingleHashSetting::Schemes(names) => SingleHash::Schemes(
                names
                    .iter()
                    .filter_map(|n| n.parse::<Scheme>().ok())
                    .collect(),
            ),
        };
        let mut builder = PasswordHasher::builder(self.crypt_context()?)
            .single_hash(single_hash)
            .normalize(self.password_normalize()?);
        if let Some(salt) = &self.password_salt {
            builder = builder.password_salt(salt.clone());
        }
        builder
            .build()
            .map_err(|e| ConfigError::new("SECURITY_PASSWORD_SALT", e.to_string()))
    }

    /// The TOTP factory (`SECURITY_TOTP_ISSUER`, `SECURITY_TOTP_SECRETS`).
    pub fn totp_factory(&self) -> Result<TotpFactory, ConfigError> {
        let secrets = PasslibTotpSecrets::new(
            self.totp_secrets
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        )
        .map_err(|e| ConfigError::new("SECURITY_TOTP_SECRETS", e.to_string()))?;
        Ok(TotpFactory::new(
            self.totp_issuer.clone().unwrap_or_default(),
            secrets,
        ))
    }
}

fn missing_secret_key() -> &'static str {
    "not set: set SECRET_KEY to a long random string (for example the output of `openssl rand -hex 32`)"
}

pub(super) fn secret_key_problem() -> &'static str {
    missing_secret_key()
}

fn parse_scheme(key: &str, name: &str) -> Result<Scheme, ConfigError> {
    name.parse::<Scheme>().map_err(|_| {
        let hint = match name {
            "des_crypt" => "des_crypt is not supported by Portcullis; remove it",
            "plaintext" => "plaintext needs portcullis-crypto's danger-plaintext feature",
            _ => "known schemes: argon2, bcrypt, pbkdf2_sha512, pbkdf2_sha256, sha512_crypt, sha256_crypt",
        };
        ConfigError::new(key, format!("unknown scheme {name:?}: {hint}"))
    })
}

fn parse_form(key: &str, form: Option<&str>) -> Result<Option<NormalizeForm>, ConfigError> {
    form.map(|f| {
        NormalizeForm::parse(f)
            .ok_or_else(|| ConfigError::new(key, format!("{f:?} is not NFC, NFD, NFKC or NFKD")))
    })
    .transpose()
}
