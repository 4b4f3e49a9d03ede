//! Every one of Flask-Security 5.9.2's 255 settings loads: with its own
//! default value (as Flask-Security's `_default_config` has it), alone and
//! all together; an unread key set to another value is named in the
//! warning list or, where ignoring it would weaken security, refused; a
//! misspelt key fails with a suggestion.

use portcullis_core::config::{ConfigLoader, Unread, flask_security_defaults, unread};
use serde_json::Value;

fn base() -> ConfigLoader {
    ConfigLoader::new()
        .set("SECRET_KEY", "k".repeat(32))
        .set("SECURITY_PASSWORD_SALT", "s".repeat(16))
}

#[test]
fn each_key_with_flask_securitys_default_starts() {
    let mut failures = Vec::new();
    for (key, value) in flask_security_defaults() {
        if key == "SECURITY_PASSWORD_SALT" {
            // No default: a secret every app sets (base() does).
            continue;
        }
        match base().set(key.clone(), value.clone()).build() {
            Ok((config, _)) => assert!(config.unread.is_empty(), "{key}: {:?}", config.unread),
            Err(e) => failures.push(format!("{key} = {value}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_keys_together_start() {
    let mut loader = base();
    for (key, value) in flask_security_defaults() {
        if key != "SECURITY_PASSWORD_SALT" {
            loader = loader.set(key.clone(), value.clone());
        }
    }
    let (config, extras) = loader.build().unwrap();
    assert!(config.unread.is_empty());
    assert!(extras.is_empty(), "{extras:?}");
}

#[test]
fn environment_strings_of_the_defaults_are_quiet() {
    let (config, _) = base()
        .vars([
            ("SECURITY_OAUTH_ENABLE", "False"),
            ("SECURITY_REFRESH_TOKEN_MAX_IDLE", "604800"),
            ("SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS", "None"),
            ("SECURITY_BLUEPRINT_NAME", "security"),
        ])
        .build()
        .unwrap();
    assert!(config.unread.is_empty(), "{:?}", config.unread);
}

#[test]
fn an_unread_key_set_otherwise_warns_or_is_refused() {
    let mut refused = Vec::new();
    for key in flask_security_defaults().keys() {
        let Some(why) = unread(key) else { continue };
        let result = base()
            .set(key.clone(), Value::String("not-the-default".into()))
            .build();
        match why {
            Unread::Refused(text) => {
                let e = result.unwrap_err();
                assert!(e.concerns(key), "{key}: {e}");
                assert!(e.to_string().contains(text), "{key}: {e}");
                refused.push(key.clone());
            }
            Unread::NotYet(_) | Unread::Flask(_) => {
                let (config, _) = result.unwrap();
                assert_eq!(config.unread, [(key.clone(), why)], "{key}");
            }
        }
    }
    assert_eq!(
        refused,
        [
            "SECURITY_PASSWORD_HASH_OPTIONS",
            "SECURITY_TOKEN_EXPIRE_TIMESTAMP",
        ]
    );
}

#[test]
fn a_real_apps_settings_file_loads_and_names_what_is_ignored() {
    let (config, _) = base()
        .toml_str(
            r#"
            SECURITY_FLASH_MESSAGES = false
            SECURITY_LOGIN_USER_TEMPLATE = "my/login.html"
            SECURITY_I18N_DIRNAME = ["builtin", "translations"]
            SECURITY_REGISTER_EMAIL_TEMPLATE = "my/welcome"
            SECURITY_OAUTH_ENABLE = true
            SECURITY_BLUEPRINT_NAME = "security"
            SECURITY_REGISTERABLE = true
            "#,
        )
        .unwrap()
        .build()
        .unwrap();
    assert!(config.registerable);
    // Read: flashes, page and mail templates, translation directories.
    assert!(!config.flash_messages);
    assert_eq!(config.login_user_template, "my/login.html");
    assert_eq!(
        config.mail_template(portcullis_core::MailKind::Welcome),
        "my/welcome"
    );
    assert_eq!(config.i18n_dirname, ["builtin", "translations"]);
    assert!(config.oauth_enable, "social login is read");
    // Nothing named as ignored: Flask's blueprint name at its default
    // says nothing.
    assert!(config.unread.is_empty(), "{:?}", config.unread);
}

#[test]
fn a_misspelt_key_fails_with_a_suggestion() {
    for (wrong, right) in [
        ("SECURITY_CONFIRMABEL", "SECURITY_CONFIRMABLE"),
        ("SECURITY_PASWORDLESS", "SECURITY_PASSWORDLESS"),
        ("SECURITY_FLASH_MESAGES", "SECURITY_FLASH_MESSAGES"),
    ] {
        let e = base().set(wrong, true).build().unwrap_err();
        assert!(e.concerns(wrong), "{e}");
        assert!(
            e.to_string().contains(&format!("did you mean {right}?")),
            "{e}"
        );
    }
    let e = base()
        .set("SECURITY_ENTIRELY_MADE_UP_THING", 1)
        .build()
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("neither a Portcullis nor a Flask-Security setting"),
        "{e}"
    );
}

#[test]
fn the_sender_defaults_to_flask_mails_default_sender() {
    let sender = |l: ConfigLoader| l.build().expect("loads").0.email_sender;
    assert_eq!(sender(base()), "no-reply@localhost");
    assert_eq!(
        sender(base().set("MAIL_DEFAULT_SENDER", "app@example.org")),
        "app@example.org"
    );
    assert_eq!(
        sender(
            base()
                .set("MAIL_DEFAULT_SENDER", "app@example.org")
                .set("SECURITY_EMAIL_SENDER", "security@example.org")
        ),
        "security@example.org"
    );
}

#[test]
fn usernames_on_adds_username_to_the_identity_attributes() {
    use portcullis_core::config::IdentityAttr;
    let attrs = |l: ConfigLoader| -> Vec<(IdentityAttr, bool)> {
        let config = l.build().expect("loads").0;
        config
            .user_identity_attributes
            .iter()
            .map(|a| (a.attr, a.case_insensitive))
            .collect()
    };
    assert_eq!(attrs(base()), [(IdentityAttr::Email, true)]);
    assert_eq!(
        attrs(base().set("SECURITY_USERNAME_ENABLE", true)),
        [(IdentityAttr::Email, true), (IdentityAttr::Username, true)]
    );
    // Listed already: left as the app listed it.
    assert_eq!(
        attrs(base().set("SECURITY_USERNAME_ENABLE", true).set(
            "SECURITY_USER_IDENTITY_ATTRIBUTES",
            r#"[{"username": {"mapper": "uia_username_mapper", "case_insensitive": false}}]"#
        )),
        [(IdentityAttr::Username, false)]
    );
}
