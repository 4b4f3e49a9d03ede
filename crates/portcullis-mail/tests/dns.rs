//! `DnsResolver` over real DNS packets: a scripted server on loopback
//! answers, and core's deliverability verdicts come out as
//! `email_validator` gives them.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use portcullis_core::validation::{Deliverability, DnsAnswer, MailDns, deliverability};
use portcullis_mail::DnsResolver;
use portcullis_testkit::dns::{ScriptedDnsServer, Zone};

fn zones() -> HashMap<String, Zone> {
    let z = |mx: &[(u16, &str)], ips: &[&str], txt: &[&str]| Zone {
        mx: mx.iter().map(|(p, h)| (*p, (*h).to_owned())).collect(),
        addresses: ips.iter().map(|i| i.parse().unwrap()).collect(),
        txt: txt.iter().map(|t| (*t).to_owned()).collect(),
    };
    HashMap::from([
        ("mail.com".into(), z(&[(10, "mx.mail.com")], &[], &[])),
        ("nullmx.com".into(), z(&[(0, ".")], &[], &[])),
        (
            "host.com".into(),
            z(&[], &["93.184.215.14"], &["v=spf1 ~all"]),
        ),
        ("v6host.com".into(), z(&[], &["2606:2800:21f::1"], &[])),
        ("private.com".into(), z(&[], &["10.1.2.3"], &[])),
        (
            "nospf.com".into(),
            z(&[], &["93.184.215.15"], &["v=spf1 -all"]),
        ),
        (
            "xn--bcher-kva.de".into(),
            z(&[(5, "mx.xn--bcher-kva.de")], &[], &[]),
        ),
    ])
}

#[tokio::test]
async fn verdicts_over_real_dns_packets() {
    let server = ScriptedDnsServer::start(zones()).await.unwrap();
    let dns = DnsResolver::with_servers(&[server.addr], Duration::from_secs(2)).unwrap();
    assert_eq!(
        dns.mx("mail.com").await,
        DnsAnswer::Found(vec![(10, "mx.mail.com.".into())])
    );
    assert_eq!(dns.mx("host.com").await, DnsAnswer::NoRecords);
    assert_eq!(dns.mx("missing.com").await, DnsAnswer::NoDomain);
    use Deliverability::{Deliverable, Undeliverable};
    for (domain, want) in [
        ("mail.com", Deliverable),
        ("bücher.de", Deliverable),
        ("host.com", Deliverable),
        ("v6host.com", Deliverable),
        ("nullmx.com", Undeliverable),
        ("private.com", Undeliverable),
        ("nospf.com", Undeliverable),
        ("missing.com", Undeliverable),
    ] {
        assert_eq!(deliverability(&dns, domain).await, want, "{domain}");
    }
    assert!(
        server.asked().contains(&"MX xn--bcher-kva.de".to_owned()),
        "{:?}",
        server.asked()
    );
}

/// A server that never answers: the verdict is unknown (the address is
/// not refused), within the timeout.
#[tokio::test]
async fn a_silent_server_is_unknown_after_the_timeout() {
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let dns = DnsResolver::with_servers(&[addr], Duration::from_millis(300)).unwrap();
    let started = Instant::now();
    assert_eq!(
        deliverability(&dns, "mail.com").await,
        Deliverability::Unknown
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
