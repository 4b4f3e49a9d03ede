//! Real mail over SMTP: a sink on 127.0.0.1 started by the test receives the
//! reset instructions the flow sends through `SmtpMailer`, and the link read
//! back out of the received message resets the password.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

use common::*;
use portcullis_core::flows::{ClientInfo, LoginForm, ResetPasswordForm};
use portcullis_core::{ConfigLoader, NewUser, Security, UserStore};
use portcullis_mail::{SmtpConfig, SmtpMailer, SmtpTls, Templates};
use portcullis_memory::MemoryStore;

/// A minimal SMTP server: accepts any mail and keeps the DATA.
fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(stream) = stream else { continue };
            let store = store.clone();
            thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let mut lines = BufReader::new(stream);
                out.write_all(b"220 sink ESMTP\r\n").unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.to_ascii_uppercase();
                    if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        out.write_all(b"250-sink\r\n250 8BITMIME\r\n").unwrap();
                    } else if cmd.starts_with("DATA") {
                        out.write_all(b"354 go on\r\n").unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            lines.read_line(&mut line).unwrap();
                            if line == ".\r\n" {
                                break;
                            }
                            data.push_str(&line);
                        }
                        store.lock().unwrap().push(data);
                        out.write_all(b"250 queued\r\n").unwrap();
                    } else if cmd.starts_with("QUIT") {
                        out.write_all(b"221 bye\r\n").unwrap();
                        return;
                    } else {
                        out.write_all(b"250 ok\r\n").unwrap();
                    }
                }
            });
        }
    });
    (port, received)
}

/// Undoes quoted-printable soft breaks and escapes.
fn unquote(qp: &str) -> String {
    let joined = qp.replace("=\r\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_instructions_arrive_over_smtp_and_their_link_works() {
    let (port, received) = smtp_sink();
    let smtp = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        ..SmtpConfig::default()
    };
    let mailer = Arc::new(SmtpMailer::new(&smtp, Templates::builtin()).unwrap());
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "smtp-test-secret"),
            ("SECURITY_PASSWORD_SALT", "smtp-test-salt"),
            ("SECURITY_RECOVERABLE", "true"),
            ("SECURITY_EMAIL_SENDER", "no-reply@example.com"),
            ("SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS", r#"{"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}"#),
        ])
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    let security = Security::builder(config)
        .store(store.clone())
        .mailer(mailer)
        .base_url("http://127.0.0.1:8000")
        .build()
        .unwrap();
    let hash = security.hash_password(PASSWORD).await.unwrap();
    store
        .create_user(NewUser::new("smtp@example.com", secret(&hash)))
        .await
        .unwrap();

    security
        .send_reset_instructions(Some("smtp@example.com"), &Default::default())
        .await
        .unwrap();

    let raw = received
        .lock()
        .unwrap()
        .first()
        .cloned()
        .expect("the sink received a mail");
    assert!(raw.contains("To: smtp@example.com"), "{raw}");
    assert!(raw.contains("Subject: Password reset instructions"));
    let body = unquote(&raw);
    let link = body
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:8000/reset/"))
        .expect("a reset link in the mail")
        .trim_end_matches('.')
        .to_owned();
    let token = link.rsplit('/').next().unwrap();
    let form = ResetPasswordForm {
        password: secret("Reset-Over-Smtp-2026"),
        password_confirm: secret("Reset-Over-Smtp-2026"),
    };
    security
        .reset_password(token, form, &ClientInfo::default())
        .await
        .unwrap();
    let login = LoginForm {
        email: Some("smtp@example.com".into()),
        password: secret("Reset-Over-Smtp-2026"),
        ..LoginForm::default()
    };
    security.login(login, &ClientInfo::default()).await.unwrap();
    // The notice went out over SMTP too.
    assert_eq!(received.lock().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_smtp_server_is_an_error_not_a_hang() {
    // Bind and drop: nothing listens on this port.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let smtp = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        timeout: std::time::Duration::from_secs(2),
        ..SmtpConfig::default()
    };
    let mailer = Arc::new(SmtpMailer::new(&smtp, Templates::builtin()).unwrap());
    let e = env(&[("SECURITY_RECOVERABLE", "true")]);
    let security = Security::builder(e.security.config().clone())
        .store(e.store.clone())
        .mailer(mailer)
        .build()
        .unwrap();
    e.user("down@example.com").await;
    let err = security
        .send_reset_instructions(Some("down@example.com"), &Default::default())
        .await
        .unwrap_err();
    match err {
        portcullis_core::FlowError::Internal(e) => {
            assert_eq!(e.kind(), portcullis_core::ErrorKind::Unavailable)
        }
        other => panic!("{other:?}"),
    }
}
