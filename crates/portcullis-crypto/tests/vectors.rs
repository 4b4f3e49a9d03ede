//! Interoperability: everything in `fixtures/flask_security_5_9.json` was
//! written by Flask-Security 5.9.2 itself (libpass, itsdangerous 2.2).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::thread;

use portcullis_crypto::password::NormalizeForm;
use portcullis_crypto::{
    AuthTokenIssuer, CryptContext, PasslibTotpSecrets, PasswordHasher, Scheme, SecretString,
    UrlSafeTimedSerializer,
};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/flask_security_5_9.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hasher(v: &Value, scheme: Scheme) -> PasswordHasher {
    let ctx = CryptContext::builder()
        .schemes(if cfg!(feature = "danger-plaintext") {
            Scheme::ALL.to_vec()
        } else {
            Scheme::ALL
                .into_iter()
                .filter(|s| *s != Scheme::Plaintext)
                .collect()
        })
        .default_scheme(scheme)
        .build()
        .unwrap();
    PasswordHasher::builder(ctx)
        .password_salt(v["password_salt"].as_str().unwrap())
        .build()
        .unwrap()
}

#[test]
fn password_hmac_matches() {
    let v = vectors();
    let h = hasher(&v, Scheme::Argon2);
    for case in v["password_hmac"].as_array().unwrap() {
        let pw = case["password"].as_str().unwrap();
        assert_eq!(
            h.get_hmac(pw).unwrap(),
            case["hmac_b64"].as_str().unwrap(),
            "{pw}"
        );
    }
}

#[test]
fn nfkd_normalisation_matches() {
    let v = vectors();
    for case in v["password_hashes"].as_array().unwrap() {
        let pw = case["password"].as_str().unwrap();
        assert_eq!(
            NormalizeForm::Nfkd.apply(pw),
            case["normalized_nfkd"].as_str().unwrap()
        );
    }
}

#[test]
fn every_stored_hash_verifies_and_rejects_a_wrong_password() {
    let v = vectors();
    let cases: Vec<Value> = v["password_hashes"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 35);
    let handles: Vec<_> = cases
        .into_iter()
        .map(|case| {
            let v = v.clone();
            thread::spawn(move || {
                let scheme: Scheme = case["scheme"].as_str().unwrap().parse().unwrap();
                let h = hasher(&v, Scheme::Argon2);
                let pw = case["password"].as_str().unwrap();
                let stored = case["hash"].as_str().unwrap();
                if scheme == Scheme::Plaintext && !cfg!(feature = "danger-plaintext") {
                    // Without the danger feature a plain-text "hash" is refused outright.
                    assert!(h.verify_password(pw, stored).is_err());
                    return;
                }
                assert_eq!(h.context().identify(stored), Some(scheme), "{stored}");
                let ok = h.verify_password(pw, stored).unwrap();
                assert_eq!(
                    ok.matches,
                    case["verifies"].as_bool().unwrap(),
                    "{scheme} {pw}"
                );
                // argon2 is the default: its hashes need no update; the rest are deprecated.
                assert_eq!(ok.needs_update, scheme != Scheme::Argon2, "{scheme}");
                let wrong = format!("{}x", case["normalized_nfkd"].as_str().unwrap());
                let bad = h.verify_password(&wrong, stored).unwrap();
                assert_eq!(
                    bad.matches,
                    case["wrong_password_verifies"].as_bool().unwrap()
                );
                assert!(!bad.needs_update);
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

#[test]
fn hashes_we_write_have_passlib_shape_and_verify() {
    let v = vectors();
    let mut handles = vec![];
    for scheme in Scheme::ALL {
        if scheme == Scheme::Plaintext {
            continue;
        }
        let v = v.clone();
        handles.push(thread::spawn(move || {
            let h = hasher(&v, scheme);
            let pw = "ﬁnancial-Ⅻ-ligature";
            let stored = h.hash_password(pw).unwrap();
            let prefix = match scheme {
                Scheme::Argon2 => "$argon2id$v=19$m=65536,t=3,p=4$",
                Scheme::Bcrypt => "$2b$12$",
                Scheme::Pbkdf2Sha512 => "$pbkdf2-sha512$25000$",
                Scheme::Pbkdf2Sha256 => "$pbkdf2-sha256$29000$",
                Scheme::Sha512Crypt => "$6$rounds=656000$",
                Scheme::Sha256Crypt => "$5$rounds=535000$",
                Scheme::Plaintext => unreachable!(),
                _ => unreachable!(),
            };
            assert!(stored.starts_with(prefix), "{stored}");
            // The same length as Flask-Security's own hash for this scheme.
            let theirs = v["password_hashes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["scheme"] == scheme.name())
                .unwrap()["hash"]
                .as_str()
                .unwrap()
                .to_owned();
            assert_eq!(stored.len(), theirs.len(), "{stored} vs {theirs}");
            let ok = h
                .verify_password("financial-XII-ligature", &stored)
                .unwrap();
            assert!(ok.matches && !ok.needs_update);
            assert!(
                !h.verify_password("financial-XII-ligaturE", &stored)
                    .unwrap()
                    .matches
            );
        }));
    }
    for handle in handles {
        handle.join().unwrap();
    }
}

#[test]
fn every_signed_token_loads_and_is_reproduced_byte_for_byte() {
    let v = vectors();
    let key = SecretString::new(v["secret_key"].as_str().unwrap());
    let tokens = v["signed_tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 27);
    for case in tokens {
        let salt = case["salt"].as_str().unwrap();
        let s = UrlSafeTimedSerializer::new([&key], salt).unwrap();
        let token = case["token"].as_str().unwrap();
        let at = case["signed_at"].as_i64().unwrap();
        let loaded = s.loads(token, Some(60), at + 30).unwrap();
        assert_eq!(loaded.payload, case["payload"], "{salt}");
        assert_eq!(loaded.signed_at, at);
        assert_eq!(s.dumps(&case["payload"], at), token, "{salt}");
        // Expired a minute later; a different salt never verifies.
        assert!(s.loads(token, Some(60), at + 61).is_err());
        let other = UrlSafeTimedSerializer::new([&key], "some-other-salt").unwrap();
        assert!(other.loads(token, None, at).is_err());
    }
}

#[test]
fn the_auth_token_verifies_to_its_uid() {
    let v = vectors();
    let key = SecretString::new(v["secret_key"].as_str().unwrap());
    for case in v["auth_tokens"].as_array().unwrap() {
        let s = UrlSafeTimedSerializer::new([&key], case["salt"].as_str().unwrap()).unwrap();
        let issuer = AuthTokenIssuer::new(s, None);
        let t = issuer
            .verify(case["token"].as_str().unwrap(), 1_900_000_000.0)
            .unwrap();
        assert_eq!(t.uid, case["fs_uniquifier"].as_str().unwrap());
        assert!(t.fs_paa.is_some());
        assert_eq!(t.exp, 0);
        // With a 15-minute max age the same token is long expired.
        let s = UrlSafeTimedSerializer::new([&key], "remember-salt").unwrap();
        assert!(
            AuthTokenIssuer::new(s, Some(900))
                .verify(case["token"].as_str().unwrap(), 1_900_000_000.0)
                .is_err()
        );
    }
}

#[test]
fn every_passlib_totp_blob_decrypts_and_codes_match() {
    let v = vectors();
    let cases = v["totp"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let secrets = PasslibTotpSecrets::new(
            case["totp_secrets"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, s)| (k.clone(), SecretString::new(s.as_str().unwrap()))),
        )
        .unwrap();
        let totp = secrets
            .decrypt(case["stored_json"].as_str().unwrap())
            .unwrap();
        assert_eq!(totp.base32_key(), case["b32_key"].as_str().unwrap());
        for c in case["codes"].as_array().unwrap() {
            let at = c["unix_time"].as_i64().unwrap();
            let code = c["code"].as_str().unwrap();
            assert_eq!(totp.code_at(at), code);
            assert!(totp.verify(code, at, 0).is_some());
            assert!(totp.verify(code, at + 3600, 120).is_none());
        }
    }
}
