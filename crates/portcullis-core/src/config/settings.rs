//! The settings table: one line per Flask-Security setting Portcullis
//! implements, with Flask-Security 5.9's default.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use portcullis_crypto::SecretString;
use serde_json::Value;

use super::types::{
    BreachedCheck, CookieOptions, IdentityAttr, IdentityAttribute, IdentityMapper, Rate,
    RedirectBehavior, SingleHashSetting,
};
use super::unread::Unread;
use super::value::FromSetting;
use crate::messages::Messages;

macro_rules! settings {
    ($( $(#[doc = $doc:literal])* $field:ident : $ty:ty = $default:expr => $key:literal ,)*) => {
        /// Flask-Security's settings, typed. Field names are the setting
        /// names without `SECURITY_`, in lower case; each field's doc names
        /// its setting. Build one with [`ConfigLoader`](super::ConfigLoader)
        /// (TOML files, environment) or start from [`Default`], which holds
        /// Flask-Security's defaults, and call [`validate`](Self::validate).
        ///
        /// `Debug` output never shows secrets.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub struct SecurityConfig {
            $(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = concat!("Setting `", $key, "`.")]
                pub $field: $ty,
            )*
            /// Message overrides (`SECURITY_MSG_<KEY> = ["text", "category"]`).
            pub messages: Messages,
            /// Flask-Security settings that were given a value other than
            /// Flask-Security's default but that Portcullis does not read,
            /// with the reason (filled by [`ConfigLoader`](super::ConfigLoader);
            /// the service logs them in one warning when it is built).
            pub unread: Vec<(String, Unread)>,
        }

        impl Default for SecurityConfig {
            fn default() -> Self {
                Self {
                    $( $field: $default, )*
                    messages: Messages::default(),
                    unread: Vec::new(),
                }
            }
        }

        impl SecurityConfig {
            /// Every setting name this struct reads.
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            /// Puts Portcullis' default back for one setting (which is
            /// Flask-Security's, except where Portcullis cannot do what
            /// Flask-Security's default names, such as the `des_crypt` in
            /// its `SECURITY_PASSWORD_SCHEMES`); `false` when `key` is not
            /// a setting.
            pub(crate) fn reset_setting(&mut self, key: &str) -> bool {
                match key {
                    $( $key => { self.$field = Self::default().$field; true } )*
                    _ => false,
                }
            }

            /// Applies one setting; `None` when `key` is not a setting.
            pub(crate) fn apply_setting(&mut self, key: &str, value: &Value) -> Option<Result<(), String>> {
                match key {
                    $( $key => Some(<$ty as FromSetting>::from_setting(value).map(|v| self.$field = v)), )*
                    _ => None,
                }
            }
        }
    };
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn list(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

settings! {
    // ---- Flask / application ----
    /// The key that signs every token, session and CSRF value. Required.
    secret_key: Option<SecretString> = None => "SECRET_KEY",
    /// Older keys still accepted when verifying (key rotation).
    secret_key_fallbacks: Vec<SecretString> = Vec::new() => "SECRET_KEY_FALLBACKS",
    /// CSRF protection for form and session requests.
    wtf_csrf_enabled: bool = true => "WTF_CSRF_ENABLED",
    /// Lifetime of a CSRF token in seconds (`None`: the session's).
    wtf_csrf_time_limit: Option<TimeDelta> = Some(secs(3600)) => "WTF_CSRF_TIME_LIMIT",
    /// Flask's `SERVER_NAME`: the host whose subdomains
    /// `SECURITY_REDIRECT_ALLOW_SUBDOMAINS` lets `next` point at.
    server_name: Option<String> = None => "SERVER_NAME",
    /// Flask-Login's remember-me cookie: its name.
    remember_cookie_name: String = s("remember_token") => "REMEMBER_COOKIE_NAME",
    /// How long a remember-me cookie lasts.
    remember_cookie_duration: TimeDelta = secs(365 * 86400) => "REMEMBER_COOKIE_DURATION",
    /// Send the remember-me cookie over HTTPS only.
    remember_cookie_secure: bool = false => "REMEMBER_COOKIE_SECURE",
    /// Hide the remember-me cookie from scripts.
    remember_cookie_httponly: bool = true => "REMEMBER_COOKIE_HTTPONLY",
    /// The remember-me cookie's `SameSite` (`None`: not sent).
    remember_cookie_samesite: Option<String> = None => "REMEMBER_COOKIE_SAMESITE",
    /// The remember-me cookie's `Domain`.
    remember_cookie_domain: Option<String> = None => "REMEMBER_COOKIE_DOMAIN",
    /// The remember-me cookie's `Path`.
    remember_cookie_path: String = s("/") => "REMEMBER_COOKIE_PATH",

    // ---- core ----
    /// Prefix for every Portcullis URL.
    url_prefix: Option<String> = None => "SECURITY_URL_PREFIX",
    /// Answer without revealing whether an account exists.
    return_generic_responses: bool = false => "SECURITY_RETURN_GENERIC_RESPONSES",
    /// Unicode normalisation for free text (usernames, WebAuthn names).
    input_normalize_form: Option<String> = Some(s("NFKD")) => "SECURITY_INPUT_NORMALIZE_FORM",
    /// Attributes that identify a user, in order.
    user_identity_attributes: Vec<IdentityAttribute> = vec![IdentityAttribute { attr: IdentityAttr::Email, case_insensitive: true, mapper: IdentityMapper::Email }] => "SECURITY_USER_IDENTITY_ATTRIBUTES",
    /// Mechanisms Portcullis' own authenticated endpoints accept.
    api_enabled_methods: Vec<String> = list(&["session", "token"]) => "SECURITY_API_ENABLED_METHODS",
    /// How many reverse proxies in front of the app rewrite
    /// `X-Forwarded-For`, `-Proto` and `-Host` (werkzeug's `ProxyFix`
    /// counts); 0, the default, believes none of them (Portcullis' own).
    trusted_proxy_hops: usize = 0 => "SECURITY_TRUSTED_PROXY_HOPS",
    /// Until this moment (RFC 3339, e.g. `2027-01-31T00:00:00Z`), a valid
    /// Flask session cookie signed with `SECRET_KEY` is accepted once and
    /// exchanged for a Portcullis session of the same user (the cutover
    /// from a Flask-Security app without logging anyone out). Weakens
    /// security while it lasts: see docs/flows/login.md (Portcullis' own).
    danger_accept_flask_sessions_until: Option<String> = None => "SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL",
    /// Default for `remember` on login forms.
    default_remember_me: bool = false => "SECURITY_DEFAULT_REMEMBER_ME",
    /// Realm in `WWW-Authenticate` for HTTP Basic.
    default_http_auth_realm: String = s("Login Required") => "SECURITY_DEFAULT_HTTP_AUTH_REALM",
    /// Always return an auth token from authenticating endpoints.
    backwards_compat_auth_token: bool = false => "SECURITY_BACKWARDS_COMPAT_AUTH_TOKEN",
    /// Region for phone numbers written without a country code.
    phone_region_default: String = s("US") => "SECURITY_PHONE_REGION_DEFAULT",
    /// The From address of every mail (default: `MAIL_DEFAULT_SENDER`
    /// when set, as Flask-Security takes it from Flask-Mail).
    /// How email addresses are checked and normalised: Python's
    /// `email_validator` arguments (`test_environment`,
    /// `globally_deliverable`, `allow_smtputf8`, `strict`,
    /// `allow_empty_local`; see [`EmailPolicy`](crate::validation::EmailPolicy)).
    email_validator_args: crate::validation::EmailPolicy = crate::validation::EmailPolicy::default() => "SECURITY_EMAIL_VALIDATOR_ARGS",
    email_sender: String = s("no-reply@localhost") => "SECURITY_EMAIL_SENDER",
    /// Send a text body.
    email_plaintext: bool = true => "SECURITY_EMAIL_PLAINTEXT",
    /// Send an HTML body.
    email_html: bool = true => "SECURITY_EMAIL_HTML",
    /// `Cache-Control` directives on Portcullis' responses.
    cache_control: BTreeMap<String, bool> = BTreeMap::from([(s("private"), true), (s("no-store"), true)]) => "SECURITY_CACHE_CONTROL",

    // ---- passwords ----
    /// Scheme for new password hashes.
    password_hash: String = s("argon2") => "SECURITY_PASSWORD_HASH",
    /// HMAC key for the password pre-hash. Required unless every scheme is single-hash.
    password_salt: Option<SecretString> = None => "SECURITY_PASSWORD_SALT",
    /// Schemes that get the raw password (`true`: all).
    password_single_hash: SingleHashSetting = SingleHashSetting::Schemes(list(&["django_argon2", "django_bcrypt", "django_bcrypt_sha256", "django_des_crypt", "django_pbkdf2_sha1", "django_pbkdf2_sha256", "django_salted_md5", "django_salted_sha1", "plaintext"])) => "SECURITY_PASSWORD_SINGLE_HASH",
    /// Schemes accepted when verifying. Flask-Security's default list minus
    /// `des_crypt` (not implemented) and `plaintext` (needs the
    /// `danger-plaintext` feature).
    password_schemes: Vec<String> = list(&["bcrypt", "argon2", "pbkdf2_sha256", "pbkdf2_sha512", "sha256_crypt", "sha512_crypt"]) => "SECURITY_PASSWORD_SCHEMES",
    /// Schemes re-hashed at the next login (`["auto"]`: all but the default).
    deprecated_password_schemes: Vec<String> = list(&["auto"]) => "SECURITY_DEPRECATED_PASSWORD_SCHEMES",
    /// Work factors, as passlib options (`{"argon2__time_cost": 3}`).
    password_hash_passlib_options: BTreeMap<String, u64> = BTreeMap::new() => "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
    /// Minimum password length (characters).
    password_length_min: usize = 8 => "SECURITY_PASSWORD_LENGTH_MIN",
    /// `"zxcvbn"` turns on the complexity check.
    password_complexity_checker: Option<String> = None => "SECURITY_PASSWORD_COMPLEXITY_CHECKER",
    /// Minimum zxcvbn score (0–4).
    zxcvbn_minimum_score: u8 = 3 => "SECURITY_ZXCVBN_MINIMUM_SCORE",
    /// Check new passwords against Have I Been Pwned.
    password_check_breached: BreachedCheck = BreachedCheck::Off => "SECURITY_PASSWORD_CHECK_BREACHED",
    /// Breach count at which a password is refused.
    password_breached_count: u64 = 1 => "SECURITY_PASSWORD_BREACHED_COUNT",
    /// Unicode normalisation of passwords (`None`: off).
    password_normalize_form: Option<String> = Some(s("NFKD")) => "SECURITY_PASSWORD_NORMALIZE_FORM",
    /// Registration needs a password.
    password_required: bool = true => "SECURITY_PASSWORD_REQUIRED",
    /// Registration needs `password_confirm`.
    password_confirm_required: bool = true => "SECURITY_PASSWORD_CONFIRM_REQUIRED",
    /// Registration by `RegisterFormV2` (on, Flask-Security's default since
    /// 5.6). Off brings back the deprecated forms: a JSON request, or any
    /// request when `SECURITY_CONFIRMABLE` is on, registers with
    /// `ConfirmRegisterForm`, which has no password confirmation; a form
    /// otherwise needs one unless `SECURITY_UNIFIED_SIGNIN` is on
    /// ([`SecurityConfig::register_password_confirm`]).
    use_register_v2: bool = true => "SECURITY_USE_REGISTER_V2",

    // ---- tokens ----
    /// Query-string and JSON key carrying an auth token.
    token_authentication_key: String = s("auth_token") => "SECURITY_TOKEN_AUTHENTICATION_KEY",
    /// Header carrying an auth token.
    token_authentication_header: String = s("Authentication-Token") => "SECURITY_TOKEN_AUTHENTICATION_HEADER",
    /// Auth-token lifetime (`None`: unlimited).
    token_max_age: Option<TimeDelta> = Some(secs(900)) => "SECURITY_TOKEN_MAX_AGE",
    /// Salt of auth tokens.
    remember_salt: String = s("remember-salt") => "SECURITY_REMEMBER_SALT",
    /// Salt of confirmation links.
    confirm_salt: String = s("confirm-salt") => "SECURITY_CONFIRM_SALT",
    /// Salt of reset links.
    reset_salt: String = s("reset-salt") => "SECURITY_RESET_SALT",
    /// Salt of passwordless login links.
    login_salt: String = s("login-salt") => "SECURITY_LOGIN_SALT",
    /// Salt of change-email links.
    change_email_salt: String = s("change-email-salt") => "SECURITY_CHANGE_EMAIL_SALT",
    /// Salt of unified sign-in setup state.
    us_setup_salt: String = s("us-setup-salt") => "SECURITY_US_SETUP_SALT",
    /// Salt of two-factor setup state.
    two_factor_setup_salt: String = s("tf-setup-salt") => "SECURITY_TWO_FACTOR_SETUP_SALT",
    /// Salt of the two-factor validity cookie.
    two_factor_validity_salt: String = s("tf-validity-salt") => "SECURITY_TWO_FACTOR_VALIDITY_SALT",
    /// Salt of WebAuthn state.
    wan_salt: String = s("wan-salt") => "SECURITY_WAN_SALT",
    /// Salt of refresh tokens (signed, untimed: the tracker keeps the times).
    refresh_token_salt: String = s("refresh-token-salt") => "SECURITY_REFRESH_TOKEN_SALT",
    /// How recent a primary authentication must be for "fresh" endpoints (negative: never required).
    freshness: TimeDelta = secs(86400) => "SECURITY_FRESHNESS",
    /// Grace period after a freshness check (sessions only).
    freshness_grace_period: TimeDelta = secs(3600) => "SECURITY_FRESHNESS_GRACE_PERIOD",
    /// Honour the authentication time carried in auth tokens.
    freshness_allow_auth_token: bool = true => "SECURITY_FRESHNESS_ALLOW_AUTH_TOKEN",

    // ---- CSRF ----
    /// Mechanisms whose requests must carry a CSRF token.
    csrf_protect_mechanisms: Vec<String> = list(&["basic", "session", "token"]) => "SECURITY_CSRF_PROTECT_MECHANISMS",
    /// Skip CSRF on unauthenticated calls to Portcullis' endpoints.
    csrf_ignore_unauth_endpoints: bool = false => "SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS",
    /// Send the CSRF token in this cookie (e.g. `XSRF-TOKEN`).
    csrf_cookie_name: Option<String> = None => "SECURITY_CSRF_COOKIE_NAME",
    /// Attributes of the CSRF cookie.
    csrf_cookie: CookieOptions = CookieOptions::new("Strict", false, true) => "SECURITY_CSRF_COOKIE",
    /// Extra header accepted for the CSRF token (besides `X-CSRF-Token` and `X-CSRFToken`).
    csrf_header: String = s("X-XSRF-Token") => "SECURITY_CSRF_HEADER",
    /// Re-send the CSRF cookie on every request.
    csrf_cookie_refresh_each_request: bool = false => "SECURITY_CSRF_COOKIE_REFRESH_EACH_REQUEST",
    /// Require a CSRF token on logout.
    logout_csrf: bool = false => "SECURITY_LOGOUT_CSRF",

    // ---- login, logout, redirects ----
    /// Login path.
    login_url: String = s("/login") => "SECURITY_LOGIN_URL",
    /// Logout path.
    logout_url: String = s("/logout") => "SECURITY_LOGOUT_URL",
    /// Methods accepted by logout.
    logout_methods: Vec<String> = list(&["POST"]) => "SECURITY_LOGOUT_METHODS",
    /// Re-authentication path.
    verify_url: String = s("/verify") => "SECURITY_VERIFY_URL",
    /// Where to go after login.
    post_login_view: String = s("/") => "SECURITY_POST_LOGIN_VIEW",
    /// Where to go after logout.
    post_logout_view: String = s("/") => "SECURITY_POST_LOGOUT_VIEW",
    /// Where to go after re-authentication.
    post_verify_view: Option<String> = None => "SECURITY_POST_VERIFY_VIEW",
    /// Where to go after registration.
    post_register_view: Option<String> = None => "SECURITY_POST_REGISTER_VIEW",
    /// Where to go after a password reset.
    post_reset_view: Option<String> = None => "SECURITY_POST_RESET_VIEW",
    /// Where to go after a password change.
    post_change_view: Option<String> = None => "SECURITY_POST_CHANGE_VIEW",
    /// SPA: where login-link errors go.
    login_error_view: Option<String> = None => "SECURITY_LOGIN_ERROR_VIEW",
    /// Where confirmation errors go.
    confirm_error_view: Option<String> = None => "SECURITY_CONFIRM_ERROR_VIEW",
    /// Where a confirmation link lands.
    post_confirm_view: Option<String> = None => "SECURITY_POST_CONFIRM_VIEW",
    /// SPA: where a reset link redirects (with `?token=`).
    reset_view: Option<String> = None => "SECURITY_RESET_VIEW",
    /// SPA: where reset-link errors go.
    reset_error_view: Option<String> = None => "SECURITY_RESET_ERROR_VIEW",
    /// Where a 403 redirects (HTML requests).
    unauthorized_view: Option<String> = None => "SECURITY_UNAUTHORIZED_VIEW",
    /// Where an unconfirmed user is sent.
    requires_confirmation_error_view: Option<String> = None => "SECURITY_REQUIRES_CONFIRMATION_ERROR_VIEW",
    /// Host (and port) to put into URL-style views.
    redirect_host: Option<String> = None => "SECURITY_REDIRECT_HOST",
    /// `"spa"` for single-page-app redirects.
    redirect_behavior: RedirectBehavior = RedirectBehavior::Default => "SECURITY_REDIRECT_BEHAVIOR",
    /// Allow `next` to point at subdomains of the server.
    redirect_allow_subdomains: bool = false => "SECURITY_REDIRECT_ALLOW_SUBDOMAINS",
    /// Base domain for subdomain redirects.
    redirect_base_domain: Option<String> = None => "SECURITY_REDIRECT_BASE_DOMAIN",
    /// Subdomains of the base domain `next` may point at.
    redirect_allowed_subdomains: Vec<String> = Vec::new() => "SECURITY_REDIRECT_ALLOWED_SUBDOMAINS",

    // ---- registration, confirmation ----
    /// Enable `/register`.
    registerable: bool = false => "SECURITY_REGISTERABLE",
    /// Registration path.
    register_url: String = s("/register") => "SECURITY_REGISTER_URL",
    /// Send the welcome mail.
    send_register_email: bool = true => "SECURITY_SEND_REGISTER_EMAIL",
    /// Subject of the welcome mail.
    email_subject_register: String = s("Welcome") => "SECURITY_EMAIL_SUBJECT_REGISTER",
    /// Users must confirm their email address.
    confirmable: bool = false => "SECURITY_CONFIRMABLE",
    /// Confirmation path.
    confirm_url: String = s("/confirm") => "SECURITY_CONFIRM_URL",
    /// Lifetime of a confirmation link.
    confirm_email_within: TimeDelta = secs(172_800) => "SECURITY_CONFIRM_EMAIL_WITHIN",
    /// Subject of the confirmation mail.
    email_subject_confirm: String = s("Please confirm your email") => "SECURITY_EMAIL_SUBJECT_CONFIRM",
    /// Unconfirmed users may log in.
    login_without_confirmation: bool = false => "SECURITY_LOGIN_WITHOUT_CONFIRMATION",
    /// Log the user in when they confirm.
    auto_login_after_confirm: bool = false => "SECURITY_AUTO_LOGIN_AFTER_CONFIRM",

    // ---- recovery, change ----
    /// Enable `/reset`.
    recoverable: bool = false => "SECURITY_RECOVERABLE",
    /// Reset path.
    reset_url: String = s("/reset") => "SECURITY_RESET_URL",
    /// Lifetime of a reset link.
    reset_password_within: TimeDelta = secs(86_400) => "SECURITY_RESET_PASSWORD_WITHIN",
    /// Send reset instructions.
    send_password_reset_email: bool = true => "SECURITY_SEND_PASSWORD_RESET_EMAIL",
    /// Send a notice after a reset.
    send_password_reset_notice_email: bool = true => "SECURITY_SEND_PASSWORD_RESET_NOTICE_EMAIL",
    /// Subject of the reset mail.
    email_subject_password_reset: String = s("Password reset instructions") => "SECURITY_EMAIL_SUBJECT_PASSWORD_RESET",
    /// Passwordless login (Flask-Security's legacy feature): `/login` mails
    /// a link that logs the user in.
    passwordless: bool = false => "SECURITY_PASSWORDLESS",
    /// Refresh tokens (Flask-Security 5.9): every response carrying an auth
    /// token also carries a refresh token, exchanged at
    /// `SECURITY_REFRESH_TOKEN_URL` for a new pair. Needs a datastore with
    /// refresh trackers.
    refresh_token: bool = false => "SECURITY_REFRESH_TOKEN",
    /// Refresh-token exchange path.
    refresh_token_url: String = s("/refresh-token") => "SECURITY_REFRESH_TOKEN_URL",
    /// How long a refresh-token family lives, however often it is used.
    refresh_token_max_age: TimeDelta = secs(90 * 86400) => "SECURITY_REFRESH_TOKEN_MAX_AGE",
    /// How long a refresh token may go unused before it expires.
    refresh_token_max_idle: TimeDelta = secs(7 * 86400) => "SECURITY_REFRESH_TOKEN_MAX_IDLE",
    /// Delete a user's expired trackers when issuing a new one.
    refresh_token_cleanup_expired: bool = true => "SECURITY_REFRESH_TOKEN_CLEANUP_EXPIRED",
    /// Delete a user's revoked trackers when issuing a new one.
    refresh_token_cleanup_revoked: bool = false => "SECURITY_REFRESH_TOKEN_CLEANUP_REVOKED",
    /// The refresh token's cookie (`None` or empty: the token travels in
    /// the JSON body as `user.refresh_token` instead).
    refresh_token_cookie_name: Option<String> = Some(s("fs_refresh")) => "SECURITY_REFRESH_TOKEN_COOKIE_NAME",
    /// Attributes of the refresh-token cookie.
    refresh_token_cookie: CookieOptions = CookieOptions::new("Strict", true, true) => "SECURITY_REFRESH_TOKEN_COOKIE",
    /// Lifetime of a passwordless login link.
    login_within: TimeDelta = secs(86400) => "SECURITY_LOGIN_WITHIN",
    /// Subject of the passwordless login mail.
    email_subject_passwordless: String = s("Login instructions") => "SECURITY_EMAIL_SUBJECT_PASSWORDLESS",
    /// Subject of the reset notice.
    email_subject_password_notice: String = s("Your password has been reset") => "SECURITY_EMAIL_SUBJECT_PASSWORD_NOTICE",
    /// Log in after a reset (deprecated in Flask-Security).
    auto_login_after_reset: bool = false => "SECURITY_AUTO_LOGIN_AFTER_RESET",
    /// Enable `/change`.
    changeable: bool = false => "SECURITY_CHANGEABLE",
    /// Change-password path.
    change_url: String = s("/change") => "SECURITY_CHANGE_URL",
    /// Send a notice after a change.
    send_password_change_email: bool = true => "SECURITY_SEND_PASSWORD_CHANGE_EMAIL",
    /// Subject of the change notice.
    email_subject_password_change_notice: String = s("Your password has been changed") => "SECURITY_EMAIL_SUBJECT_PASSWORD_CHANGE_NOTICE",
    /// Enable `/change-email`.
    change_email: bool = false => "SECURITY_CHANGE_EMAIL",
    /// Change-email path.
    change_email_url: String = s("/change-email") => "SECURITY_CHANGE_EMAIL_URL",
    /// Lifetime of a change-email link.
    change_email_within: TimeDelta = secs(7200) => "SECURITY_CHANGE_EMAIL_WITHIN",
    /// Subject of the change-email mail.
    change_email_subject: String = s("Confirm your new email address") => "SECURITY_CHANGE_EMAIL_SUBJECT",
    /// Where change-email errors go.
    change_email_error_view: Option<String> = None => "SECURITY_CHANGE_EMAIL_ERROR_VIEW",
    /// Where a change-email link lands.
    post_change_email_view: Option<String> = None => "SECURITY_POST_CHANGE_EMAIL_VIEW",
    /// Enable `/change-username`.
    change_username: bool = false => "SECURITY_CHANGE_USERNAME",
    /// Change-username path.
    change_username_url: String = s("/change-username") => "SECURITY_CHANGE_USERNAME_URL",
    /// Where to go after a username change.
    post_change_username_view: Option<String> = None => "SECURITY_POST_CHANGE_USERNAME_VIEW",
    /// Send a notice after a username change.
    send_username_change_email: bool = true => "SECURITY_SEND_USERNAME_CHANGE_EMAIL",
    /// Subject of that notice.
    email_subject_username_change_notice: String = s("Your username has been changed") => "SECURITY_EMAIL_SUBJECT_USERNAME_CHANGE_NOTICE",

    // ---- usernames, tracking ----
    /// Usernames exist (and identify users).
    username_enable: bool = false => "SECURITY_USERNAME_ENABLE",
    /// Registration needs a username.
    username_required: bool = false => "SECURITY_USERNAME_REQUIRED",
    /// Unicode categories allowed in usernames (prefix match: `L` = all letters).
    username_allowed_chars: Vec<String> = list(&["L", "N"]) => "SECURITY_USERNAME_ALLOWED_CHARS",
    /// Minimum username length.
    username_min_length: usize = 4 => "SECURITY_USERNAME_MIN_LENGTH",
    /// Maximum username length.
    username_max_length: usize = 32 => "SECURITY_USERNAME_MAX_LENGTH",
    /// Enable `/recover-username`.
    username_recovery: bool = false => "SECURITY_USERNAME_RECOVERY",
    /// Username-recovery path.
    username_recovery_url: String = s("/recover-username") => "SECURITY_USERNAME_RECOVERY_URL",
    /// Subject of the username-recovery mail.
    email_subject_username_recovery: String = s("Your requested username") => "SECURITY_EMAIL_SUBJECT_USERNAME_RECOVERY",
    /// Record login times, addresses and counts.
    trackable: bool = false => "SECURITY_TRACKABLE",

    // ---- two-factor, recovery codes ----
    /// Enable two-factor authentication.
    two_factor: bool = false => "SECURITY_TWO_FACTOR",
    /// Every user must set up a second factor.
    two_factor_required: bool = false => "SECURITY_TWO_FACTOR_REQUIRED",
    /// Second factors offered.
    two_factor_enabled_methods: Vec<String> = list(&["email", "authenticator", "sms"]) => "SECURITY_TWO_FACTOR_ENABLED_METHODS",
    /// Two-factor setup path.
    two_factor_setup_url: String = s("/tf-setup") => "SECURITY_TWO_FACTOR_SETUP_URL",
    /// Code validation path.
    two_factor_token_validation_url: String = s("/tf-validate") => "SECURITY_TWO_FACTOR_TOKEN_VALIDATION_URL",
    /// Rescue path.
    two_factor_rescue_url: String = s("/tf-rescue") => "SECURITY_TWO_FACTOR_RESCUE_URL",
    /// Method selection path.
    two_factor_select_url: String = s("/tf-select") => "SECURITY_TWO_FACTOR_SELECT_URL",
    /// Where to go after setup.
    two_factor_post_setup_view: String = s(".two_factor_setup") => "SECURITY_TWO_FACTOR_POST_SETUP_VIEW",
    /// Where an illegal two-factor state goes.
    two_factor_error_view: String = s(".login") => "SECURITY_TWO_FACTOR_ERROR_VIEW",
    /// Window (seconds) for authenticator codes.
    two_factor_authenticator_validity: i64 = 120 => "SECURITY_TWO_FACTOR_AUTHENTICATOR_VALIDITY",
    /// Window (seconds) for emailed codes.
    two_factor_mail_validity: i64 = 300 => "SECURITY_TWO_FACTOR_MAIL_VALIDITY",
    /// Window (seconds) for SMS codes.
    two_factor_sms_validity: i64 = 120 => "SECURITY_TWO_FACTOR_SMS_VALIDITY",
    /// Subject of the code mail.
    email_subject_two_factor: String = s("Two-Factor Login") => "SECURITY_EMAIL_SUBJECT_TWO_FACTOR",
    /// Ignore the "remember this device" cookie.
    two_factor_always_validate: bool = true => "SECURITY_TWO_FACTOR_ALWAYS_VALIDATE",
    /// Lifetime of the "remember this device" cookie.
    two_factor_login_validity: TimeDelta = secs(2_592_000) => "SECURITY_TWO_FACTOR_LOGIN_VALIDITY",
    /// Name of that cookie.
    two_factor_validity_cookie_name: String = s("tf_validity") => "SECURITY_TWO_FACTOR_VALIDITY_COOKIE_NAME",
    /// Attributes of that cookie.
    two_factor_validity_cookie: CookieOptions = CookieOptions::new("Strict", true, true) => "SECURITY_TWO_FACTOR_VALIDITY_COOKIE",
    /// Lifetime of two-factor setup state.
    two_factor_setup_within: TimeDelta = secs(1800) => "SECURITY_TWO_FACTOR_SETUP_WITHIN",
    /// Offer "email me a code" as rescue.
    two_factor_rescue_email: bool = true => "SECURITY_TWO_FACTOR_RESCUE_EMAIL",
    /// Where "help" rescue requests are mailed.
    two_factor_rescue_mail: String = s("no-reply@localhost") => "SECURITY_TWO_FACTOR_RESCUE_MAIL",
    /// Subject of the rescue mail.
    email_subject_two_factor_rescue: String = s("Two-Factor Rescue") => "SECURITY_EMAIL_SUBJECT_TWO_FACTOR_RESCUE",
    /// Tag → secret encrypting stored TOTP keys. Required for two-factor and unified sign-in.
    totp_secrets: BTreeMap<String, SecretString> = BTreeMap::new() => "SECURITY_TOTP_SECRETS",
    /// Issuer shown by authenticator apps. Required for two-factor and unified sign-in.
    totp_issuer: Option<String> = None => "SECURITY_TOTP_ISSUER",
    /// SMS provider name.
    sms_service: String = s("Dummy") => "SECURITY_SMS_SERVICE",
    /// SMS provider settings.
    sms_service_config: BTreeMap<String, Option<SecretString>> = BTreeMap::new() => "SECURITY_SMS_SERVICE_CONFIG",
    /// Enable multi-factor recovery codes.
    multi_factor_recovery_codes: bool = false => "SECURITY_MULTI_FACTOR_RECOVERY_CODES",
    /// How many recovery codes to generate.
    multi_factor_recovery_codes_n: usize = 5 => "SECURITY_MULTI_FACTOR_RECOVERY_CODES_N",
    /// Fernet keys that encrypt recovery codes at rest (the first encrypts,
    /// all decrypt); empty: codes are stored as they are.
    multi_factor_recovery_codes_keys: Vec<SecretString> = Vec::new() => "SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS",
    /// Age beyond which an encrypted recovery code no longer works.
    multi_factor_recovery_code_ttl: Option<TimeDelta> = None => "SECURITY_MULTI_FACTOR_RECOVERY_CODE_TTL",
    /// Recovery-codes path.
    multi_factor_recovery_codes_url: String = s("/mf-recovery-codes") => "SECURITY_MULTI_FACTOR_RECOVERY_CODES_URL",
    /// Recovery login path.
    multi_factor_recovery_url: String = s("/mf-recovery") => "SECURITY_MULTI_FACTOR_RECOVERY_URL",

    // ---- unified sign-in ----
    /// Enable unified sign-in.
    unified_signin: bool = false => "SECURITY_UNIFIED_SIGNIN",
    /// Sign-in path.
    us_signin_url: String = s("/us-signin") => "SECURITY_US_SIGNIN_URL",
    /// Send-code path.
    us_signin_send_code_url: String = s("/us-signin/send-code") => "SECURITY_US_SIGNIN_SEND_CODE_URL",
    /// Setup path.
    us_setup_url: String = s("/us-setup") => "SECURITY_US_SETUP_URL",
    /// Re-authentication path.
    us_verify_url: String = s("/us-verify") => "SECURITY_US_VERIFY_URL",
    /// Re-authentication send-code path.
    us_verify_send_code_url: String = s("/us-verify/send-code") => "SECURITY_US_VERIFY_SEND_CODE_URL",
    /// Magic-link path.
    us_verify_link_url: String = s("/us-verify-link") => "SECURITY_US_VERIFY_LINK_URL",
    /// Where to go after setup.
    us_post_setup_view: String = s(".us_setup") => "SECURITY_US_POST_SETUP_VIEW",
    /// Methods offered.
    us_enabled_methods: Vec<String> = list(&["password", "email", "authenticator", "sms"]) => "SECURITY_US_ENABLED_METHODS",
    // The template each built-in page renders under (Flask-Security's
    // names; `security/` is the pages' own folder).
    /// The template of the `login_user.html` page.
    login_user_template: String = s("security/login_user.html") => "SECURITY_LOGIN_USER_TEMPLATE",
    /// The template of the `logout_user.html` page.
    logout_user_template: String = s("security/logout_user.html") => "SECURITY_LOGOUT_USER_TEMPLATE",
    /// The template of the `register_user.html` page.
    register_user_template: String = s("security/register_user.html") => "SECURITY_REGISTER_USER_TEMPLATE",
    /// The template of the `send_confirmation.html` page.
    send_confirmation_template: String = s("security/send_confirmation.html") => "SECURITY_SEND_CONFIRMATION_TEMPLATE",
    /// The template of the `send_login.html` page.
    send_login_template: String = s("security/send_login.html") => "SECURITY_SEND_LOGIN_TEMPLATE",
    /// The template of the `forgot_password.html` page.
    forgot_password_template: String = s("security/forgot_password.html") => "SECURITY_FORGOT_PASSWORD_TEMPLATE",
    /// The template of the `reset_password.html` page.
    reset_password_template: String = s("security/reset_password.html") => "SECURITY_RESET_PASSWORD_TEMPLATE",
    /// The template of the `change_password.html` page.
    change_password_template: String = s("security/change_password.html") => "SECURITY_CHANGE_PASSWORD_TEMPLATE",
    /// The template of the `change_email.html` page.
    change_email_template: String = s("security/change_email.html") => "SECURITY_CHANGE_EMAIL_TEMPLATE",
    /// The template of the `change_username.html` page.
    change_username_template: String = s("security/change_username.html") => "SECURITY_CHANGE_USERNAME_TEMPLATE",
    /// The template of the `recover_username.html` page.
    username_recovery_template: String = s("security/recover_username.html") => "SECURITY_USERNAME_RECOVERY_TEMPLATE",
    /// The template of the `verify.html` page.
    verify_template: String = s("security/verify.html") => "SECURITY_VERIFY_TEMPLATE",
    /// The template of the `two_factor_setup.html` page.
    two_factor_setup_template: String = s("security/two_factor_setup.html") => "SECURITY_TWO_FACTOR_SETUP_TEMPLATE",
    /// The template of the `two_factor_verify_code.html` page.
    two_factor_verify_code_template: String = s("security/two_factor_verify_code.html") => "SECURITY_TWO_FACTOR_VERIFY_CODE_TEMPLATE",
    /// The template of the `two_factor_select.html` page.
    two_factor_select_template: String = s("security/two_factor_select.html") => "SECURITY_TWO_FACTOR_SELECT_TEMPLATE",
    /// The template of the `mf_recovery.html` page.
    multi_factor_recovery_template: String = s("security/mf_recovery.html") => "SECURITY_MULTI_FACTOR_RECOVERY_TEMPLATE",
    /// The template of the `mf_recovery_codes.html` page.
    multi_factor_recovery_codes_template: String = s("security/mf_recovery_codes.html") => "SECURITY_MULTI_FACTOR_RECOVERY_CODES_TEMPLATE",
    /// The template of the `us_signin.html` page.
    us_signin_template: String = s("security/us_signin.html") => "SECURITY_US_SIGNIN_TEMPLATE",
    /// The template of the `us_verify.html` page.
    us_verify_template: String = s("security/us_verify.html") => "SECURITY_US_VERIFY_TEMPLATE",
    /// The template of the `us_setup.html` page.
    us_setup_template: String = s("security/us_setup.html") => "SECURITY_US_SETUP_TEMPLATE",
    /// The template of the `wan_register.html` page.
    wan_register_template: String = s("security/wan_register.html") => "SECURITY_WAN_REGISTER_TEMPLATE",
    /// The template of the `wan_signin.html` page.
    wan_signin_template: String = s("security/wan_signin.html") => "SECURITY_WAN_SIGNIN_TEMPLATE",
    /// The template of the `wan_verify.html` page.
    wan_verify_template: String = s("security/wan_verify.html") => "SECURITY_WAN_VERIFY_TEMPLATE",
    // The template each mail renders (Flask-Security's paths, without
    // `.txt` / `.html`; `security/email/` is the mails' own folder).
    /// The template of the welcome mail (`welcome`).
    register_email_template: String = s("security/email/welcome") => "SECURITY_REGISTER_EMAIL_TEMPLATE",
    /// The template of the mail to an address that registers again (`welcome_existing`).
    register_email_existing_template: String = s("security/email/welcome_existing") => "SECURITY_REGISTER_EMAIL_EXISTING_TEMPLATE",
    /// The template of the mail to a registration with a taken username (`welcome_existing_username`).
    register_email_existing_username_template: String = s("security/email/welcome_existing_username") => "SECURITY_REGISTER_EMAIL_EXISTING_USERNAME_TEMPLATE",
    /// The template of the confirmation mail (`confirmation_instructions`).
    email_template_confirm: String = s("security/email/confirmation_instructions") => "SECURITY_EMAIL_TEMPLATE_CONFIRM",
    /// The template of the reset-password mail (`reset_instructions`).
    email_template_password_reset: String = s("security/email/reset_instructions") => "SECURITY_EMAIL_TEMPLATE_PASSWORD_RESET",
    /// The template of the password-was-reset notice (`reset_notice`).
    email_template_password_reset_notice: String = s("security/email/reset_notice") => "SECURITY_EMAIL_TEMPLATE_PASSWORD_RESET_NOTICE",
    /// The template of the password-was-changed notice (`change_notice`).
    email_template_password_change_notice: String = s("security/email/change_notice") => "SECURITY_EMAIL_TEMPLATE_PASSWORD_CHANGE_NOTICE",
    /// The template of the passwordless login mail (`login_instructions`).
    email_template_passwordless: String = s("security/email/login_instructions") => "SECURITY_EMAIL_TEMPLATE_PASSWORDLESS",
    /// The template of the two-factor code mail (`two_factor_instructions`).
    two_factor_email_template: String = s("security/email/two_factor_instructions") => "SECURITY_TWO_FACTOR_EMAIL_TEMPLATE",
    /// The template of the two-factor rescue mail (`two_factor_rescue`).
    two_factor_rescue_email_template: String = s("security/email/two_factor_rescue") => "SECURITY_TWO_FACTOR_RESCUE_EMAIL_TEMPLATE",
    /// The template of the unified sign-in code mail (`us_instructions`).
    us_email_template: String = s("security/email/us_instructions") => "SECURITY_US_EMAIL_TEMPLATE",
    /// The template of the change-of-email confirmation mail (`change_email_instructions`).
    change_email_email_template: String = s("security/email/change_email_instructions") => "SECURITY_CHANGE_EMAIL_EMAIL_TEMPLATE",
    /// The template of the username-changed notice (`change_username_notice`).
    change_username_email_template: String = s("security/email/change_username_notice") => "SECURITY_CHANGE_USERNAME_EMAIL_TEMPLATE",
    /// The template of the username recovery mail (`username_recovery`).
    username_recovery_email_template: String = s("security/email/username_recovery") => "SECURITY_USERNAME_RECOVERY_EMAIL_TEMPLATE",
    /// Whether browsers are shown Flask-Security's messages on the next
    /// page (Flask's `flash`).
    flash_messages: bool = true => "SECURITY_FLASH_MESSAGES",
    /// Where the app's gettext catalogues are: directories (or one)
    /// holding `<locale>/LC_MESSAGES/<domain>.mo`, a later one overriding
    /// an earlier one; `"builtin"` (Flask-Security's own files) names
    /// nothing, as Portcullis ships no translations (see `i18n`).
    i18n_dirname: Vec<String> = list(&["builtin"]) => "SECURITY_I18N_DIRNAME",
    /// The gettext domain of those catalogues.
    i18n_domain: String = s("flask_security") => "SECURITY_I18N_DOMAIN",
    /// Methods after which a second factor is still required.
    us_mfa_required: Vec<String> = list(&["password", "email"]) => "SECURITY_US_MFA_REQUIRED",
    /// Code window (seconds).
    us_token_validity: i64 = 120 => "SECURITY_US_TOKEN_VALIDITY",
    /// Subject of the code mail.
    us_email_subject: String = s("Verification Code") => "SECURITY_US_EMAIL_SUBJECT",
    /// Lifetime of setup state.
    us_setup_within: TimeDelta = secs(1800) => "SECURITY_US_SETUP_WITHIN",
    /// Serve unified sign-in at the login path.
    us_signin_replaces_login: bool = false => "SECURITY_US_SIGNIN_REPLACES_LOGIN",

    // ---- WebAuthn ----
    /// Enable WebAuthn.
    webauthn: bool = false => "SECURITY_WEBAUTHN",
    /// Registration path (+ `/<state>`).
    wan_register_url: String = s("/wan-register") => "SECURITY_WAN_REGISTER_URL",
    /// Sign-in path (+ `/<state>`).
    wan_signin_url: String = s("/wan-signin") => "SECURITY_WAN_SIGNIN_URL",
    /// Deletion path.
    wan_delete_url: String = s("/wan-delete") => "SECURITY_WAN_DELETE_URL",
    /// Re-authentication path (+ `/<state>`).
    wan_verify_url: String = s("/wan-verify") => "SECURITY_WAN_VERIFY_URL",
    /// Relying-party name.
    wan_rp_name: String = s("My Flask App") => "SECURITY_WAN_RP_NAME",
    /// Lifetime of registration state.
    wan_register_within: TimeDelta = secs(1800) => "SECURITY_WAN_REGISTER_WITHIN",
    /// Lifetime of sign-in state.
    wan_signin_within: TimeDelta = secs(60) => "SECURITY_WAN_SIGNIN_WITHIN",
    /// Allow keys as a first factor.
    wan_allow_as_first_factor: bool = true => "SECURITY_WAN_ALLOW_AS_FIRST_FACTOR",
    /// A user-verifying first-factor key satisfies two-factor.
    wan_allow_as_multi_factor: bool = true => "SECURITY_WAN_ALLOW_AS_MULTI_FACTOR",
    /// Allow identity hints (reveals whether a user has keys).
    wan_allow_user_hints: bool = true => "SECURITY_WAN_ALLOW_USER_HINTS",
    /// Maximum credential-name length.
    wan_name_max_length: usize = 64 => "SECURITY_WAN_NAME_MAX_LENGTH",
    /// Unicode categories allowed in credential names (prefix match).
    wan_name_allowed_chars: Vec<String> = list(&["L", "N", "Pc", "Pd", "Zs"]) => "SECURITY_WAN_NAME_ALLOWED_CHARS",
    /// Credential usages `/wan-verify` accepts.
    wan_allow_as_verify: Vec<String> = list(&["first", "secondary"]) => "SECURITY_WAN_ALLOW_AS_VERIFY",
    /// Browser timeout of a registration (milliseconds).
    wan_register_timeout: u32 = 60000 => "SECURITY_WAN_REGISTER_TIMEOUT",
    /// Browser timeout of a sign-in or verification (milliseconds).
    wan_signin_timeout: u32 = 60000 => "SECURITY_WAN_SIGNIN_TIMEOUT",
    /// Where a browser goes after registering a key.
    wan_post_register_view: String = s(".wan_register") => "SECURITY_WAN_POST_REGISTER_VIEW",

    // ---- attempt limits (Portcullis' own; Flask-Security has none) ----
    /// Turns every attempt limit off. Only for tests that hammer one
    /// account on purpose; never in production.
    danger_disable_attempt_limits: bool = false => "SECURITY_DANGER_DISABLE_ATTEMPT_LIMITS",
    /// Failed sign-ins (password or code) for one identity from one client
    /// address; over it, that pair gets 429 until the window ends.
    limit_failed_per_identity_address: Rate = Rate::per_secs(5, 300) => "SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS",
    /// Failed sign-ins from one client address, whatever the account.
    limit_failed_per_address: Rate = Rate::per_secs(30, 900) => "SECURITY_LIMIT_FAILED_PER_ADDRESS",
    /// Failed sign-ins for one account from any address; reaching it locks
    /// the account for `SECURITY_LOCKOUT_WITHIN` and mails an unlock link.
    limit_failed_per_account: Rate = Rate::per_secs(20, 3600) => "SECURITY_LIMIT_FAILED_PER_ACCOUNT",
    /// How long a locked account stays locked (and its unlock link valid).
    lockout_within: TimeDelta = secs(1800) => "SECURITY_LOCKOUT_WITHIN",
    /// Mail the user an unlock link when their account locks.
    send_unlock_email: bool = true => "SECURITY_SEND_UNLOCK_EMAIL",
    /// Path of the unlock link (`/unlock/<token>`).
    unlock_url: String = s("/unlock") => "SECURITY_UNLOCK_URL",
    /// Salt of unlock links.
    unlock_salt: String = s("unlock-salt") => "SECURITY_UNLOCK_SALT",
    /// Subject of the unlock mail.
    email_subject_unlock: String = s("Your account has been locked") => "SECURITY_EMAIL_SUBJECT_UNLOCK",
    /// Where the unlock link leads (default: the login page).
    post_unlock_view: Option<String> = None => "SECURITY_POST_UNLOCK_VIEW",
    /// Wrong codes one half-finished login survives; then the password
    /// must be given again.
    two_factor_max_code_attempts: u32 = 5 => "SECURITY_TWO_FACTOR_MAX_CODE_ATTEMPTS",
    /// Codes and links mailed or texted to one account.
    limit_send_per_account: Rate = Rate::per_secs(5, 900) => "SECURITY_LIMIT_SEND_PER_ACCOUNT",
    /// Codes and links mailed or texted at the request of one client address.
    limit_send_per_address: Rate = Rate::per_secs(20, 900) => "SECURITY_LIMIT_SEND_PER_ADDRESS",
    /// Mail the user when a second factor (two-factor or unified sign-in
    /// method) is added or removed, and the old address when the email
    /// address changes (ASVS 2.2.3; Portcullis' own).
    send_security_notice_email: bool = true => "SECURITY_SEND_SECURITY_NOTICE_EMAIL",
    /// Subject of the "a second factor was added" mail.
    email_subject_factor_added: String = s("A sign-in method was added to your account") => "SECURITY_EMAIL_SUBJECT_FACTOR_ADDED",
    /// Subject of the "a second factor was removed" mail.
    email_subject_factor_removed: String = s("A sign-in method was removed from your account") => "SECURITY_EMAIL_SUBJECT_FACTOR_REMOVED",
    /// Subject of the mail to the old address after an email change.
    email_subject_email_changed: String = s("Your email address was changed") => "SECURITY_EMAIL_SUBJECT_EMAIL_CHANGED",
    /// Let a signed-in user list their sessions and end them
    /// (`SECURITY_USER_SESSIONS_URL`; Portcullis' own).
    user_sessions: bool = true => "SECURITY_USER_SESSIONS",
    /// Path of the session list.
    user_sessions_url: String = s("/user-sessions") => "SECURITY_USER_SESSIONS_URL",
    /// Registrations and username recoveries from one client address.
    limit_register_per_address: Rate = Rate::per_secs(20, 600) => "SECURITY_LIMIT_REGISTER_PER_ADDRESS",

    // ---- social login (OAuth 2 / OpenID Connect) ----
    /// Sign in (and re-authenticate) through OAuth providers.
    oauth_enable: bool = false => "SECURITY_OAUTH_ENABLE",
    /// The built-in providers (`github`, `google`) to offer; each needs its
    /// `<NAME>_CLIENT_ID` and `<NAME>_CLIENT_SECRET` (authlib's settings).
    oauth_builtin_providers: Vec<String> = list(&["github", "google"]) => "SECURITY_OAUTH_BUILTIN_PROVIDERS",
    /// Path that starts an OAuth login (`/<name>` follows).
    oauth_start_url: String = s("/login/oauthstart") => "SECURITY_OAUTH_START_URL",
    /// Path the provider sends the browser back to (`/<name>` follows).
    oauth_response_url: String = s("/login/oauthresponse") => "SECURITY_OAUTH_RESPONSE_URL",
    /// Path that starts an OAuth re-authentication (`/<name>` follows).
    oauth_verify_start_url: String = s("/login/oauth-verify-start") => "SECURITY_OAUTH_VERIFY_START_URL",
    /// Path the provider sends a re-authentication back to.
    oauth_verify_response_url: String = s("/login/oauth-verify-response") => "SECURITY_OAUTH_VERIFY_RESPONSE_URL",
    /// SPA: where an OAuth login lands (with `email` and `identity`).
    post_oauth_login_view: Option<String> = None => "SECURITY_POST_OAUTH_LOGIN_VIEW",
    /// SPA: where an OAuth re-authentication lands.
    post_oauth_verify_view: Option<String> = None => "SECURITY_POST_OAUTH_VERIFY_VIEW",
    /// SPA: where OAuth re-authentication errors go.
    verify_error_view: Option<String> = None => "SECURITY_VERIFY_ERROR_VIEW",
    /// OpenID Connect providers by name (Portcullis' own): each needs
    /// `<NAME>_SERVER_METADATA_URL` (authlib's setting) or `<NAME>_ISSUER`,
    /// and `<NAME>_CLIENT_ID` / `<NAME>_CLIENT_SECRET`.
    oauth_oidc_providers: Vec<String> = Vec::new() => "SECURITY_OAUTH_OIDC_PROVIDERS",
    /// Register an unknown user whose provider vouches for their email
    /// address (`email_verified`) instead of refusing them (Portcullis'
    /// own, as django-allauth's auto sign-up; Flask-Security never does).
    oauth_register_verified: bool = false => "SECURITY_OAUTH_REGISTER_VERIFIED",
}
