//! Prints, as JSON, hashes, signed tokens, an auth token and TOTP secrets
//! made by Portcullis, for `cargo xtask interop` to check with
//! Flask-Security itself.
#![allow(clippy::print_stdout, missing_docs)]

use portcullis_crypto::{
    AuthTokenIssuer, CryptContext, PasslibTotpSecrets, PasswordHasher, Scheme, SecretString,
    TokenKind, Totp, UrlSafeTimedSerializer, recovery, remember_cookie,
};
use serde_json::{Value, json};

const SECRET_KEY: &str = "interop-secret-key-0123456789abcdef";
const PASSWORD_SALT: &str = "interop-password-salt-2026";
const TOTP_SECRET: &str = "TjQ9Qa31VOrfEzuPy4VHQWPCTmRzCnFzMKLxXYiZu9B";
/// A Fernet key for `SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS`.
const RC_KEY: &str = "SncEd0j6E70aXC5E9XmY6G55cYu0Z2yODygn5ag20vg=";
const AT: i64 = 1_700_000_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let passwords = [
        "Correct-Horse-Battery-9",
        "pässwörd-ÜnïcødË-2026",
        "ﬁnancial-Ⅻ-ligature",
        &"y".repeat(90),
    ];
    let mut hashes = Vec::new();
    for scheme in Scheme::ALL.into_iter().filter(|s| *s != Scheme::Plaintext) {
        let ctx = CryptContext::builder().default_scheme(scheme).build()?;
        let hasher = PasswordHasher::builder(ctx)
            .password_salt(PASSWORD_SALT)
            .build()?;
        for pw in passwords {
            hashes.push(
                json!({"scheme": scheme.name(), "password": pw, "hash": hasher.hash_password(pw)?}),
            );
        }
    }

    let key = SecretString::new(SECRET_KEY);
    let payloads = [
        json!([
            "0123456789abcdef",
            "$5$rounds=535000$abcdefghijklmnop$MSNeJl2AMWWoINgQ37L.JElkPBtGPAlSxl7WXn9HlU9"
        ]),
        json!({"totp_secret": "x".repeat(200), "method": "authenticator", "phone": null}),
        json!("ünïcode-string"),
    ];
    let mut tokens = Vec::new();
    for kind in TokenKind::ALL
        .into_iter()
        .filter(|k| *k != TokenKind::RefreshToken)
    {
        let s = UrlSafeTimedSerializer::new([&key], kind.default_salt())?;
        for p in &payloads {
            tokens.push(json!({"salt": kind.default_salt(), "payload": p, "signed_at": AT, "token": s.dumps(p, AT)}));
        }
    }

    let uid = "5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99";
    let issuer = AuthTokenIssuer::new(UrlSafeTimedSerializer::new([&key], "remember-salt")?, None);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let auth = issuer.issue(uid, now.as_secs_f64(), 0, None, now.as_secs() as i64);

    let flask_session = UrlSafeTimedSerializer::flask_session([&key])?.dumps(
        &json!({"_user_id": uid, "_fresh": true, "fs_paa": now.as_secs_f64()}),
        now.as_secs() as i64,
    );
    let cipher = recovery::CodeCipher::new(&[SecretString::new(RC_KEY)], None)
        .ok_or("the recovery-code key")?;
    let rc_codes = recovery::generate_codes(3)?;
    let rc_stored: Vec<String> = rc_codes.iter().map(|c| cipher.encrypt(c)).collect();

    let secrets = PasslibTotpSecrets::new([("1".to_owned(), SecretString::new(TOTP_SECRET))])?;
    let mut totps = Vec::new();
    for _ in 0..3 {
        let t = Totp::generate()?;
        let codes: Vec<Value> = [AT, AT + 29, AT + 12_345]
            .iter()
            .map(|at| json!({"unix_time": at, "code": t.code_at(*at)}))
            .collect();
        totps.push(json!({"b32_key": t.base32_key(), "stored_json": secrets.encrypt(&t)?, "codes": codes, "uri": t.provisioning_uri("interop", "grace@example.com")}));
    }

    let out = json!({
        "secret_key": SECRET_KEY,
        "password_salt": PASSWORD_SALT,
        "totp_secrets": {"1": TOTP_SECRET},
        "password_hashes": hashes,
        "signed_tokens": tokens,
        "auth_token": {"fs_uniquifier": uid, "token": auth},
        "remember_cookie": {"fs_uniquifier": uid, "cookie": remember_cookie::encode(uid, &key)},
        "recovery_codes_encrypted": {"keys": [RC_KEY], "codes": rc_codes, "stored": rc_stored},
        "flask_session": {"fs_uniquifier": uid, "cookie": flask_session},
        "totp": totps,
        "recovery_codes": recovery::generate_codes(5)?,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
