//! Hash/verify per scheme, token sign/verify, auth tokens, TOTP.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis_crypto::{
    AuthTokenIssuer, CryptContext, PasslibTotpSecrets, PasswordHasher, Scheme, SecretString, Totp,
    UrlSafeTimedSerializer,
};
use serde_json::json;

fn hasher(scheme: Scheme) -> PasswordHasher {
    let ctx = CryptContext::builder()
        .default_scheme(scheme)
        .build()
        .unwrap();
    PasswordHasher::builder(ctx)
        .password_salt("bench-salt")
        .build()
        .unwrap()
}

fn passwords(c: &mut Criterion) {
    let mut g = c.benchmark_group("password");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for scheme in [
        Scheme::Argon2,
        Scheme::Bcrypt,
        Scheme::Pbkdf2Sha512,
        Scheme::Pbkdf2Sha256,
        Scheme::Sha512Crypt,
        Scheme::Sha256Crypt,
    ] {
        let h = hasher(scheme);
        let stored = h.hash_password("Correct-Horse-Battery-9").unwrap();
        g.bench_function(format!("hash/{scheme}"), |b| {
            b.iter(|| {
                h.hash_password(black_box("Correct-Horse-Battery-9"))
                    .unwrap()
            })
        });
        g.bench_function(format!("verify/{scheme}"), |b| {
            b.iter(|| {
                assert!(
                    h.verify_password(black_box("Correct-Horse-Battery-9"), &stored)
                        .unwrap()
                        .matches
                )
            })
        });
    }
    g.finish();
}

fn tokens(c: &mut Criterion) {
    let key = SecretString::new("bench-secret-key");
    let s = UrlSafeTimedSerializer::new([&key], "confirm-salt").unwrap();
    let payload = json!([
        "5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99",
        "$5$rounds=535000$abcdefghijklmnop$MSNeJl2AMWWoINgQ37L.JElkPBtGPAlSxl7WXn9HlU9"
    ]);
    let token = s.dumps(&payload, 1_700_000_000);
    c.bench_function("token/sign", |b| {
        b.iter(|| s.dumps(black_box(&payload), 1_700_000_000))
    });
    c.bench_function("token/verify", |b| {
        b.iter(|| {
            s.loads(black_box(&token), Some(3600), 1_700_000_100)
                .unwrap()
        })
    });

    let issuer = AuthTokenIssuer::new(
        UrlSafeTimedSerializer::new([&key], "remember-salt").unwrap(),
        Some(900),
    );
    let auth = issuer.issue(
        "5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99",
        1_700_000_000.25,
        0,
        None,
        1_700_000_000,
    );
    c.bench_function("auth_token/issue", |b| {
        b.iter(|| {
            issuer.issue(
                black_box("5f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99"),
                1_700_000_000.25,
                0,
                None,
                1_700_000_000,
            )
        })
    });
    c.bench_function("auth_token/verify", |b| {
        b.iter(|| issuer.verify(black_box(&auth), 1_700_000_100.0).unwrap())
    });
}

fn totp(c: &mut Criterion) {
    let t = Totp::generate().unwrap();
    let code = t.code_at(1_700_000_000);
    c.bench_function("totp/verify_window_120s", |b| {
        b.iter(|| t.verify(black_box(&code), 1_700_000_000, 120).unwrap())
    });
    let secrets = PasslibTotpSecrets::new([(
        "1".to_owned(),
        SecretString::new("TjQ9Qa31VOrfEzuPy4VHQWPCTmRzCnFzMKLxXYiZu9B"),
    )])
    .unwrap();
    let blob = secrets.encrypt(&t).unwrap();
    let mut g = c.benchmark_group("totp");
    g.sample_size(20);
    g.bench_function("decrypt_passlib_blob", |b| {
        b.iter(|| secrets.decrypt(black_box(&blob)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, passwords, tokens, totp);
criterion_main!(benches);
