//! [`DnsResolver`]: core's [`MailDns`] over hickory-resolver.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use portcullis_core::SecurityConfig;
use portcullis_core::validation::{DnsAnswer, MailDns};

/// The DNS the deliverability check of new email addresses asks (give it
/// to `SecurityBuilder::mail_dns`): the system's name servers
/// ([`DnsResolver::system`]) or given ones ([`DnsResolver::with_servers`]),
/// each query limited by the timeout (`timeout` in
/// `SECURITY_EMAIL_VALIDATOR_ARGS`, `EmailPolicy::dns_timeout`). Answers
/// are cached for their TTL. A timeout or an unreachable server is
/// [`DnsAnswer::Unavailable`], so an outage never refuses an address.
#[derive(Debug, Clone)]
pub struct DnsResolver {
    resolver: TokioResolver,
}

fn options(timeout: Duration) -> ResolverOpts {
    let mut opts = ResolverOpts::default();
    opts.timeout = timeout;
    opts.attempts = 1;
    // Names are asked as given (fully qualified), never with a search suffix.
    opts.ndots = 0;
    opts
}

impl DnsResolver {
    /// The name servers the system is configured with (`/etc/resolv.conf`).
    ///
    /// # Errors
    /// When the system's configuration cannot be read.
    pub fn system(timeout: Duration) -> Result<Self, String> {
        let resolver = TokioResolver::builder_tokio()
            .map_err(|e| format!("the system's DNS configuration: {e}"))?
            .with_options(options(timeout))
            .build()
            .map_err(|e| format!("DNS resolver: {e}"))?;
        Ok(Self { resolver })
    }

    /// The given name servers, over UDP (and TCP for long answers).
    ///
    /// # Errors
    /// When the resolver cannot be built.
    pub fn with_servers(servers: &[SocketAddr], timeout: Duration) -> Result<Self, String> {
        let name_servers = servers
            .iter()
            .map(|s| {
                let mut udp = ConnectionConfig::udp();
                udp.port = s.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = s.port();
                NameServerConfig::new(s.ip(), true, vec![udp, tcp])
            })
            .collect();
        let config = ResolverConfig::from_name_servers(name_servers);
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(options(timeout))
            .build()
            .map_err(|e| format!("DNS resolver: {e}"))?;
        Ok(Self { resolver })
    }
}

/// The DNS the settings ask for: `None` unless new addresses are taken
/// (`SECURITY_REGISTERABLE` or `SECURITY_CHANGE_EMAIL`) and
/// `SECURITY_EMAIL_VALIDATOR_ARGS` checks deliverability outside a test
/// environment; then `servers`, or the system's name servers when empty,
/// with the settings' `timeout`.
///
/// # Errors
/// When the resolver cannot be built.
pub fn configured_dns(
    config: &SecurityConfig,
    servers: &[SocketAddr],
) -> Result<Option<DnsResolver>, String> {
    if !config.wants_mail_dns() {
        return Ok(None);
    }
    let timeout = config.email_validator_args.dns_timeout;
    let dns = if servers.is_empty() {
        DnsResolver::system(timeout)?
    } else {
        DnsResolver::with_servers(servers, timeout)?
    };
    Ok(Some(dns))
}

/// The records of one answer, or what its absence means.
fn answer<T>(found: Result<Lookup, NetError>, pick: impl Fn(&RData) -> Option<T>) -> DnsAnswer<T> {
    match found {
        Ok(lookup) => {
            let records: Vec<T> = lookup
                .answers()
                .iter()
                .filter_map(|r| pick(&r.data))
                .collect();
            if records.is_empty() {
                DnsAnswer::NoRecords
            } else {
                DnsAnswer::Found(records)
            }
        }
        Err(e) if e.is_nx_domain() => DnsAnswer::NoDomain,
        Err(e) if e.is_no_records_found() => DnsAnswer::NoRecords,
        Err(e) => {
            tracing::debug!(error = %e, "DNS gave no answer");
            DnsAnswer::Unavailable
        }
    }
}

/// `domain` as a fully qualified name (no search domains appended).
fn fqdn(domain: &str) -> String {
    format!("{}.", domain.trim_end_matches('.'))
}

#[async_trait]
impl MailDns for DnsResolver {
    async fn mx(&self, domain: &str) -> DnsAnswer<(u16, String)> {
        answer(self.resolver.mx_lookup(fqdn(domain)).await, |r| match r {
            RData::MX(mx) => Some((mx.preference, mx.exchange.to_ascii())),
            _ => None,
        })
    }

    async fn addresses(&self, domain: &str, v6: bool) -> DnsAnswer<IpAddr> {
        let name = fqdn(domain);
        let found = if v6 {
            self.resolver.ipv6_lookup(name).await
        } else {
            self.resolver.ipv4_lookup(name).await
        };
        answer(found, |r| match r {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
    }

    async fn txt(&self, domain: &str) -> DnsAnswer<Vec<u8>> {
        answer(self.resolver.txt_lookup(fqdn(domain)).await, |r| match r {
            RData::TXT(t) => Some(t.txt_data.iter().flat_map(|s| s.iter().copied()).collect()),
            _ => None,
        })
    }
}
