//! Checks, with Portcullis, what Flask-Security 5.9.2 made in
//! `cargo xtask interop` (`xtask/interop/check.py` writes the JSON): a
//! remember cookie from a real Flask-Security login names its user, and
//! recovery codes Flask-Security encrypted at rest open.
//!
//! usage: cargo run -p portcullis-crypto --example interop_verify -- flask.json
#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

use portcullis_crypto::{SecretString, UrlSafeTimedSerializer, recovery, remember_cookie};
use serde_json::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: interop_verify flask.json")?;
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let key = SecretString::new(data["secret_key"].as_str().ok_or("secret_key")?);
    let rc = &data["remember_cookie"];
    let (uid, cookie) = (
        rc["fs_uniquifier"].as_str().ok_or("fs_uniquifier")?,
        rc["cookie"].as_str().ok_or("cookie")?,
    );
    let mut failures = Vec::new();
    let mut check = |ok: bool, what: &str| {
        println!("{} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures.push(what.to_owned());
        }
    };
    check(
        remember_cookie::decode(cookie, std::slice::from_ref(&key)).as_deref() == Some(uid),
        "Flask-Security's remember cookie names its user under Portcullis",
    );
    let other = SecretString::new("not the app's key");
    check(
        remember_cookie::decode(cookie, &[other]).is_none(),
        "... and only under the app's SECRET_KEY",
    );
    check(
        remember_cookie::encode(uid, &key) == cookie,
        "Portcullis makes the same cookie for the same user",
    );
    let fs = &data["flask_session"];
    let session = UrlSafeTimedSerializer::flask_session([&key])?
        .loads(fs["cookie"].as_str().unwrap_or_default(), None, 0)
        .ok();
    check(
        session.is_some_and(|s| s.payload["_user_id"] == fs["fs_uniquifier"]),
        "Flask-Security's session cookie (after a real login) reads under Portcullis",
    );
    let rc = &data["recovery_codes_encrypted"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let keys: Vec<SecretString> = strings(&rc["keys"])
        .into_iter()
        .map(SecretString::new)
        .collect();
    let opened: Option<Vec<String>> = recovery::CodeCipher::new(&keys, None).map(|c| {
        strings(&rc["stored"])
            .iter()
            .filter_map(|s| c.decrypt(s))
            .collect()
    });
    check(
        opened == Some(strings(&rc["codes"])) && !strings(&rc["codes"]).is_empty(),
        "recovery codes Flask-Security encrypted open under Portcullis",
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} interop check(s) failed", failures.len()).into())
    }
}
