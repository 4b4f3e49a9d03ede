//! Requests that came through reverse proxies: werkzeug's `ProxyFix`, with
//! one count (`SECURITY_TRUSTED_PROXY_HOPS`) for `X-Forwarded-For`,
//! `X-Forwarded-Proto` and `X-Forwarded-Host`. Off (0) by default: a
//! client can write these headers itself, so they are believed only as far
//! as the operator says proxies rewrite them.

use http::HeaderMap;
use portcullis_core::flows::ClientInfo;

use crate::{HttpRequest, Portcullis};

/// werkzeug's `_get_real_value`: the value `hops` from the right of a
/// comma-separated header — the one the outermost trusted proxy appended —
/// when it has that many; `None` otherwise (or when `hops` is 0).
pub(crate) fn forwarded(headers: &HeaderMap, name: &str, hops: usize) -> Option<String> {
    if hops == 0 {
        return None;
    }
    let joined = headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().ok())
        .collect::<Option<Vec<_>>>()?
        .join(",");
    let values: Vec<&str> = joined
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let n = values.len();
    (n >= hops).then(|| values[n - hops].to_owned())
}

impl Portcullis {
    fn trusted_hops(&self) -> usize {
        self.security().config().trusted_proxy_hops
    }

    /// The client as the trusted proxies saw it: the address
    /// `X-Forwarded-For` gives (when it is an IP address), else the peer.
    pub fn forwarded_client(&self, headers: &HeaderMap, peer: ClientInfo) -> ClientInfo {
        match forwarded(headers, "x-forwarded-for", self.trusted_hops())
            .and_then(|a| a.parse::<std::net::IpAddr>().ok())
        {
            Some(ip) => ClientInfo {
                remote_addr: Some(ip.to_string()),
            },
            None => peer,
        }
    }

    /// The host the client asked for: `X-Forwarded-Host` through trusted
    /// proxies, else `Host`, else the URI's authority.
    pub(crate) fn request_host(&self, req: &HttpRequest<'_>) -> Option<String> {
        forwarded(req.headers, "x-forwarded-host", self.trusted_hops())
            .or_else(|| req.header("host").map(str::to_owned))
            .or_else(|| req.uri.authority().map(|a| a.as_str().to_owned()))
    }

    /// Whether the client used HTTPS: `X-Forwarded-Proto` through trusted
    /// proxies, else the URI's scheme.
    pub(crate) fn request_https(&self, req: &HttpRequest<'_>) -> bool {
        match forwarded(req.headers, "x-forwarded-proto", self.trusted_hops()) {
            Some(p) => p.eq_ignore_ascii_case("https"),
            None => req.uri.scheme_str() == Some("https"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn counts_hops_from_the_right_as_proxyfix() {
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 10.0.0.1, 10.0.0.2")]);
        assert_eq!(forwarded(&h, "x-forwarded-for", 0), None);
        assert_eq!(
            forwarded(&h, "x-forwarded-for", 1).as_deref(),
            Some("10.0.0.2")
        );
        assert_eq!(
            forwarded(&h, "x-forwarded-for", 2).as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            forwarded(&h, "x-forwarded-for", 3).as_deref(),
            Some("6.6.6.6")
        );
        assert_eq!(forwarded(&h, "x-forwarded-for", 4), None);
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "2.2.2.2"),
        ]);
        assert_eq!(
            forwarded(&split, "x-forwarded-for", 1).as_deref(),
            Some("2.2.2.2")
        );
        assert_eq!(forwarded(&HeaderMap::new(), "x-forwarded-for", 1), None);
    }
}
