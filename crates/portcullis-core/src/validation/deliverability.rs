//! Whether a domain accepts mail, decided as `email_validator`'s
//! deliverability check decides it (Flask-Security's registration and
//! change of email run it unless `SECURITY_EMAIL_VALIDATOR_ARGS` turns
//! `check_deliverability` off):
//!
//! - MX records: deliverable, unless the only one is a null MX (RFC 7505);
//! - no MX: an A, else AAAA, record with a globally routable address makes
//!   the domain its own mail host, unless its SPF record is exactly
//!   `v=spf1 -all` ("sends no mail"); neither is undeliverable;
//! - a domain that does not exist is undeliverable;
//! - a timeout or no reachable name server leaves it unknown, and the
//!   address is accepted (a DNS outage must not stop registrations).
//!
//! The queries go through a [`MailDns`]; `portcullis-mail`'s `DnsResolver`
//! (feature `dns`) asks the system's or given name servers.

use std::net::IpAddr;

use async_trait::async_trait;

/// What one DNS query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer<T> {
    /// The records of the asked type.
    Found(Vec<T>),
    /// The name exists but has no record of this type.
    NoRecords,
    /// The name does not exist (NXDOMAIN).
    NoDomain,
    /// No answer could be had (timeout, no name server reachable).
    Unavailable,
}

/// The DNS queries a deliverability check makes.
#[async_trait]
pub trait MailDns: Send + Sync + std::fmt::Debug {
    /// MX records: preference and exchange (`""` or `"."` for a null MX).
    async fn mx(&self, domain: &str) -> DnsAnswer<(u16, String)>;
    /// A (`v6` false) or AAAA (`v6` true) records.
    async fn addresses(&self, domain: &str, v6: bool) -> DnsAnswer<IpAddr>;
    /// TXT records, each as its strings joined.
    async fn txt(&self, domain: &str) -> DnsAnswer<Vec<u8>>;
}

/// The verdict on a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deliverability {
    /// It accepts mail.
    Deliverable,
    /// It does not exist, or says it takes no mail.
    Undeliverable,
    /// DNS gave no answer; the address is not refused.
    Unknown,
}

/// Checks `domain` (Unicode or ASCII; queried in its IDNA ASCII form).
pub async fn deliverability(dns: &dyn MailDns, domain: &str) -> Deliverability {
    use Deliverability::{Deliverable, Undeliverable, Unknown};
    let Ok(ascii) = idna::domain_to_ascii(domain) else {
        return Undeliverable;
    };
    match dns.mx(&ascii).await {
        DnsAnswer::Found(mx) => {
            if mx
                .iter()
                .any(|(_, host)| !host.trim_end_matches('.').is_empty())
            {
                Deliverable
            } else {
                Undeliverable
            }
        }
        DnsAnswer::NoDomain => Undeliverable,
        DnsAnswer::Unavailable => Unknown,
        DnsAnswer::NoRecords => match own_address(dns, &ascii).await {
            Some(true) => spf_allows_mail(dns, &ascii).await,
            Some(false) => Undeliverable,
            None => Unknown,
        },
    }
}

/// Whether the domain has a global A, else AAAA, address (`None`: DNS gave
/// no answer; a missing domain is `Some(false)`).
async fn own_address(dns: &dyn MailDns, ascii: &str) -> Option<bool> {
    for v6 in [false, true] {
        match dns.addresses(ascii, v6).await {
            DnsAnswer::Found(ips) if ips.iter().any(global) => return Some(true),
            DnsAnswer::Found(_) | DnsAnswer::NoRecords => {}
            DnsAnswer::NoDomain => return Some(false),
            DnsAnswer::Unavailable => return None,
        }
    }
    Some(false)
}

/// A domain mailed at its own address, unless its SPF says `-all` alone.
async fn spf_allows_mail(dns: &dyn MailDns, ascii: &str) -> Deliverability {
    match dns.txt(ascii).await {
        DnsAnswer::Found(txt) if txt.iter().any(|t| t == b"v=spf1 -all") => {
            Deliverability::Undeliverable
        }
        DnsAnswer::NoDomain => Deliverability::Undeliverable,
        _ => Deliverability::Deliverable,
    }
}

/// Python's `ipaddress.is_global`, for the ranges that matter to mail: not
/// private, loopback, link-local, shared, documentation, benchmarking,
/// reserved, multicast or unspecified.
fn global(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return global(&IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || first == 0x0100)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_addresses() {
        for ip in [
            "93.184.215.14",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
            "::ffff:8.8.8.8",
        ] {
            assert!(global(&ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "10.1.2.3",
            "127.0.0.1",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "0.0.0.0",
            "240.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!global(&ip.parse().unwrap()), "{ip}");
        }
    }
}
