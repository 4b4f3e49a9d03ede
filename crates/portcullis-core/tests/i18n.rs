//! Translations through Flask-Security's own catalogues: the `de_DE` and
//! `ja_JP` `.mo` files Flask-Security 5.9.2 installs (copied under
//! `tests/fixtures/translations`, MIT like Flask-Security), loaded as an
//! app names them in `SECURITY_I18N_DIRNAME`, and an app catalogue written
//! here that overrides some of their texts.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use portcullis_core::flows::{ClientInfo, RegisterForm};
use portcullis_core::i18n::{Locale, Translations, gettext};
use portcullis_core::{Message, MessageKey as K, Messages};

fn fs_translations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/translations")
}

/// A gettext `.mo` file (little-endian, no hash table) holding `pairs`.
fn mo(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut entries: Vec<(&str, &str)> = vec![("", "Content-Type: text/plain; charset=UTF-8\n")];
    entries.extend_from_slice(pairs);
    entries.sort();
    let n = u32::try_from(entries.len()).unwrap();
    let (orig_at, trans_at) = (28, 28 + 8 * n);
    let mut strings = Vec::new();
    let mut tables = (Vec::new(), Vec::new());
    let base = 28 + 16 * n;
    for (i, table) in [0, 1].into_iter().zip([&mut tables.0, &mut tables.1]) {
        for e in &entries {
            let s = if i == 0 { e.0 } else { e.1 };
            let at = base + u32::try_from(strings.len()).unwrap();
            table.extend_from_slice(&u32::try_from(s.len()).unwrap().to_le_bytes());
            table.extend_from_slice(&at.to_le_bytes());
            strings.extend_from_slice(s.as_bytes());
            strings.push(0);
        }
    }
    let mut out = Vec::new();
    for word in [0x9504_12de_u32, 0, n, orig_at, trans_at, 0, base] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    out.extend(tables.0);
    out.extend(tables.1);
    out.extend(strings);
    out
}

fn write_catalog(dir: &Path, locale: &str, domain: &str, bytes: &[u8]) {
    let at = dir.join(locale).join("LC_MESSAGES");
    std::fs::create_dir_all(&at).unwrap();
    std::fs::write(at.join(format!("{domain}.mo")), bytes).unwrap();
}

#[test]
fn flask_securitys_catalogues_translate_messages_in_the_requests_locale() {
    let t = Translations::load(&[fs_translations()], "flask_security").unwrap();
    assert_eq!(t.names().collect::<Vec<_>>(), ["de_DE", "ja_JP"]);
    let m = Messages::default();
    let bad = Message::new(K::InvalidPassword);
    let taken = Message::new(K::EmailAlreadyAssociated).arg("email", "ada@example.com");

    let de = t.negotiate("de-DE,de;q=0.9,en;q=0.8").unwrap();
    assert_eq!(de.name(), "de_DE");
    de.clone().sync_scope(|| {
        assert_eq!(m.render(&bad), "Ungültiges Passwort");
        // Translated first, then interpolated, as Flask-Security does.
        assert_eq!(
            m.render(&taken),
            "ada@example.com ist bereits mit einem Konto verknüpft."
        );
        assert_eq!(gettext("Email Address"), "E-Mail-Adresse");
        assert_eq!(Locale::current().unwrap().name(), "de_DE");
        // An empty text (a SECURITY_MSG_ override set to "") stays empty,
        // never the catalogue's header.
        assert_eq!(gettext(""), "");
    });
    let ja = t.negotiate("ja").unwrap();
    ja.sync_scope(|| assert_eq!(m.render(&bad), "入力を確認してください"));
    // No locale (or one without a catalogue): Flask-Security's English.
    assert_eq!(m.render(&bad), "Invalid password");
    assert!(t.negotiate("en-US,en;q=0.9").is_none());
    assert!(t.negotiate("fr").is_none());
}

#[test]
fn an_app_catalogue_overrides_flask_securitys_and_translates_its_own_texts() {
    let dir = tempfile_dir("i18n-app");
    write_catalog(
        &dir,
        "de_DE",
        "flask_security",
        &mo(&[
            ("Invalid password", "Falsches Passwort, bitte erneut"),
            ("Wrong, %(who)s", "Falsch, %(who)s"),
        ]),
    );
    // The app's directory comes later, so it wins (Flask-Babel's merge).
    let t = Translations::load(&[fs_translations(), dir.clone()], "flask_security").unwrap();
    let mut m = Messages::default();
    t.locale("de_DE").unwrap().sync_scope(|| {
        assert_eq!(
            m.render(&Message::new(K::InvalidPassword)),
            "Falsches Passwort, bitte erneut"
        );
        // Texts the app's catalogue lacks still come from Flask-Security's.
        assert_eq!(gettext("Email Address"), "E-Mail-Adresse");
        // A SECURITY_MSG_ override is looked up by its own words.
        m.set(K::InvalidPassword, "Wrong, %(who)s", "error");
        assert_eq!(
            m.render(&Message::new(K::InvalidPassword).arg("who", "Ada")),
            "Falsch, Ada"
        );
    });
    // In the other order Flask-Security's own text wins.
    let t = Translations::load(&[dir.clone(), fs_translations()], "flask_security").unwrap();
    t.locale("de-de").unwrap().sync_scope(|| {
        assert_eq!(
            Messages::default().render(&Message::new(K::InvalidPassword)),
            "Ungültiges Passwort"
        );
    });
    // Another domain reads other files.
    write_catalog(&dir, "fr_FR", "myapp", &mo(&[("Login", "Connexion")]));
    let t = Translations::load(std::slice::from_ref(&dir), "myapp").unwrap();
    assert_eq!(t.names().collect::<Vec<_>>(), ["fr_FR"]);
    t.negotiate("fr")
        .unwrap()
        .sync_scope(|| assert_eq!(gettext("Login"), "Connexion"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_broken_catalogue_stops_the_app_with_its_path() {
    let dir = tempfile_dir("i18n-broken");
    write_catalog(&dir, "de_DE", "flask_security", b"not a catalogue at all");
    let err = Translations::load(std::slice::from_ref(&dir), "flask_security").unwrap_err();
    assert!(err.contains("de_DE/LC_MESSAGES/flask_security.mo"), "{err}");
    let dirname = dir.display().to_string();
    let (config, _) = portcullis_core::ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "k"),
            ("SECURITY_PASSWORD_SALT", "s"),
            ("SECURITY_I18N_DIRNAME", dirname.as_str()),
        ])
        .build()
        .unwrap();
    let built = portcullis_core::Security::builder(config)
        .store(std::sync::Arc::new(portcullis_memory::MemoryStore::new()))
        .mailer(std::sync::Arc::new(portcullis_mail::MemoryOutbox::new()))
        .build();
    assert!(
        built
            .unwrap_err()
            .to_string()
            .contains("not a gettext catalogue")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn mail_subjects_and_bodies_are_translated_in_the_requests_locale() {
    let dirname = fs_translations().display().to_string();
    let e = env(&[
        ("SECURITY_CONFIRMABLE", "true"),
        ("SECURITY_I18N_DIRNAME", dirname.as_str()),
    ]);
    let de = e.security.translations().negotiate("de").unwrap();
    let form = RegisterForm {
        email: Some("ada@example.com".into()),
        password: secret(PASSWORD),
        password_confirm: secret(PASSWORD),
        username: None,
        json: false,
        fields: serde_json::Map::new(),
    };
    de.scope(e.security.register(form, &ClientInfo::default()))
        .await
        .unwrap();
    let (_, mail) = e.outbox.last_to("ada@example.com").unwrap();
    // SECURITY_EMAIL_SUBJECT_REGISTER ("Welcome") and the body's
    // `_fsdomain` texts, from Flask-Security's German catalogue.
    assert_eq!(mail.subject, "Willkommen");
    let text = mail.text.unwrap();
    assert!(text.contains("Willkommen ada@example.com!"), "{text}");
}

fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portcullis-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn within_durations_are_written_in_the_requests_language() {
    let dirname = fs_translations().display().to_string();
    let e = env(&[
        ("SECURITY_I18N_DIRNAME", dirname.as_str()),
        ("SECURITY_RESET_PASSWORD_WITHIN", "26 hours"),
    ]);
    e.user("ada@example.com").await;
    let reset_mail = |locale: Option<Locale>| {
        let e = &e;
        async move {
            portcullis_core::i18n::scoped(
                locale,
                e.security
                    .send_reset_instructions(Some("ada@example.com"), &ClientInfo::default()),
            )
            .await
            .unwrap();
            e.outbox.last_to("ada@example.com").unwrap().1.text.unwrap()
        }
    };
    // Flask-Security's German catalogue and Babel's German units and list.
    let de = e.security.translations().negotiate("de").unwrap();
    let text = reset_mail(Some(de)).await;
    assert!(
        text.contains("Dieser Link läuft in 1 Tag und 2 Stunden ab."),
        "{text}"
    );
    let ja = e.security.translations().negotiate("ja").unwrap();
    let text = reset_mail(Some(ja)).await;
    assert!(text.contains("1 日、2 時間"), "{text}");
    // A request in no catalogue's language is in the default locale, whose
    // list has Babel's English, not Flask-Security's own.
    let text = reset_mail(Some(e.security.translations().default_locale())).await;
    assert!(text.contains("expire in 1 day and 2 hours."), "{text}");
    // Outside any locale (no translations): Flask-Security's English.
    let text = reset_mail(None).await;
    assert!(text.contains("expire in 1 day and 2 hours."), "{text}");
}
