//! The deliverability check of new addresses (`check_deliverability`, on by
//! default as in `email_validator`): each of `email_validator`'s verdicts
//! over a scripted DNS, and where it applies — registration and change of
//! email, never a login or a lookup, not in a test environment, not when
//! turned off.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::*;
use portcullis_core::flows::{ClientInfo, LoginForm, RegisterForm};
use portcullis_core::validation::{Deliverability, DnsAnswer, MailDns, deliverability};
use portcullis_core::{MessageKey as K, UserStore};

/// A DNS whose answers are scripted per (name, type); unscripted names
/// do not exist. Every question is recorded.
#[derive(Debug, Default)]
struct ScriptedDns {
    mx: HashMap<&'static str, DnsAnswer<(u16, String)>>,
    a: HashMap<&'static str, DnsAnswer<IpAddr>>,
    aaaa: HashMap<&'static str, DnsAnswer<IpAddr>>,
    txt: HashMap<&'static str, DnsAnswer<Vec<u8>>>,
    asked: Mutex<Vec<String>>,
}

fn get<T: Clone>(m: &HashMap<&'static str, DnsAnswer<T>>, d: &str) -> DnsAnswer<T> {
    m.get(d).cloned().unwrap_or(DnsAnswer::NoDomain)
}

#[async_trait]
impl MailDns for ScriptedDns {
    async fn mx(&self, domain: &str) -> DnsAnswer<(u16, String)> {
        self.asked.lock().unwrap().push(format!("MX {domain}"));
        get(&self.mx, domain)
    }
    async fn addresses(&self, domain: &str, v6: bool) -> DnsAnswer<IpAddr> {
        self.asked
            .lock()
            .unwrap()
            .push(format!("A{} {domain}", if v6 { "AAAA" } else { "" }));
        get(if v6 { &self.aaaa } else { &self.a }, domain)
    }
    async fn txt(&self, domain: &str) -> DnsAnswer<Vec<u8>> {
        self.asked.lock().unwrap().push(format!("TXT {domain}"));
        get(&self.txt, domain)
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn world() -> ScriptedDns {
    use DnsAnswer::{Found, NoRecords, Unavailable};
    let mut d = ScriptedDns::default();
    d.mx.insert(
        "mail.com",
        Found(vec![(10, "mx1.mail.com".into()), (20, ".".into())]),
    );
    d.mx.insert("nullmx.com", Found(vec![(0, ".".into())]));
    d.mx.insert(
        "xn--bcher-kva.de",
        Found(vec![(10, "mx.xn--bcher-kva.de".into())]),
    );
    for host in [
        "host.com",
        "private.com",
        "v6.com",
        "nospf.com",
        "nothing.com",
    ] {
        d.mx.insert(host, NoRecords);
    }
    d.a.insert("host.com", Found(vec![ip("93.184.215.14")]));
    d.txt.insert(
        "host.com",
        Found(vec![b"v=spf1 include:x.com ~all".to_vec()]),
    );
    d.a.insert("private.com", Found(vec![ip("10.0.0.1")]));
    d.aaaa.insert("private.com", Found(vec![ip("fd00::1")]));
    d.a.insert("v6.com", NoRecords);
    d.aaaa.insert("v6.com", Found(vec![ip("2606:2800:21f::1")]));
    d.txt.insert("v6.com", NoRecords);
    d.a.insert("nospf.com", Found(vec![ip("93.184.215.15")]));
    d.txt
        .insert("nospf.com", Found(vec![b"v=spf1 -all".to_vec()]));
    d.a.insert("nothing.com", NoRecords);
    d.aaaa.insert("nothing.com", NoRecords);
    d.mx.insert("down.com", Unavailable);
    d
}

#[tokio::test]
async fn verdicts_as_email_validator_gives_them() {
    use Deliverability::{Deliverable, Undeliverable, Unknown};
    let dns = world();
    for (domain, want) in [
        ("mail.com", Deliverable),
        ("nullmx.com", Undeliverable),
        // Queried in its ASCII form.
        ("bücher.de", Deliverable),
        ("host.com", Deliverable),
        ("private.com", Undeliverable),
        ("v6.com", Deliverable),
        ("nospf.com", Undeliverable),
        ("nothing.com", Undeliverable),
        ("missing.com", Undeliverable),
        ("down.com", Unknown),
    ] {
        assert_eq!(deliverability(&dns, domain).await, want, "{domain}");
    }
}

fn register_form(email: &str) -> RegisterForm {
    RegisterForm {
        email: Some(email.into()),
        password: secret(PASSWORD),
        password_confirm: secret(PASSWORD),
        ..RegisterForm::default()
    }
}

fn with_dns(vars: &[(&str, &str)]) -> (Env, Arc<ScriptedDns>) {
    let dns = Arc::new(world());
    let d = dns.clone();
    (env_with(vars, move |b| b.mail_dns(d)), dns)
}

#[tokio::test]
async fn registration_refuses_a_domain_that_takes_no_mail() {
    let (e, dns) = with_dns(&[("SECURITY_CHANGE_EMAIL", "true")]);
    let c = ClientInfo::default();
    for bad in ["ann@missing.com", "ann@nullmx.com", "ann@nospf.com"] {
        let err = e
            .security
            .register(register_form(bad), &c)
            .await
            .unwrap_err();
        assert_eq!(
            errors(err),
            vec![("email", K::InvalidEmailAddress)],
            "{bad}"
        );
    }
    for good in ["ann@mail.com", "bob@host.com", "cat@down.com"] {
        e.security.register(register_form(good), &c).await.unwrap();
    }
    // A login looks the address up: no DNS question.
    dns.asked.lock().unwrap().clear();
    let login = LoginForm {
        email: Some("ann@mail.com".into()),
        password: secret(PASSWORD),
        ..LoginForm::default()
    };
    e.security.login(login, &c).await.unwrap();
    assert!(dns.asked.lock().unwrap().is_empty());
    // Changing to an address at a domain without mail is refused too.
    let ann = e
        .store
        .find_user_by_email("ann@mail.com")
        .await
        .unwrap()
        .unwrap();
    let err = e
        .security
        .start_change_email(&ann, Some("ann@private.com"))
        .await
        .unwrap_err();
    assert_eq!(errors(err), vec![("email", K::InvalidEmailAddress)]);
    assert_eq!(
        dns.asked.lock().unwrap().first().map(String::as_str),
        Some("MX private.com")
    );
    e.security
        .start_change_email(&ann, Some("ann@v6.com"))
        .await
        .unwrap();
}

#[tokio::test]
async fn no_question_when_turned_off_or_testing() {
    for args in [
        r#"{"check_deliverability": false}"#,
        r#"{"test_environment": true}"#,
    ] {
        let (e, dns) = with_dns(&[("SECURITY_EMAIL_VALIDATOR_ARGS", args)]);
        e.security
            .register(register_form("ann@missing.com"), &ClientInfo::default())
            .await
            .unwrap();
        assert!(dns.asked.lock().unwrap().is_empty(), "{args}");
    }
}
