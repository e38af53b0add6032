//! The client's address, as rate limits key it. Behind a reverse proxy every
//! connection comes from the proxy, so the proxy's forwarded header is
//! believed, but only when the connection comes from a proxy the
//! configuration trusts (`PORTAL_TRUSTED_PROXIES`); anyone else could write
//! any address there.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::config::ForwardedHeader;
use crate::error::ApiError;
use crate::state::AppState;

/// Where a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The address from the connection and the headers: walking the
    /// forwarded chain from the right (the hop nearest to us), the first
    /// address that isn't a trusted proxy. A chain made only of trusted
    /// proxies gives its leftmost address; an unreadable hop stops the walk at
    /// the proxy that forwarded it.
    pub fn resolve(
        peer: IpAddr,
        headers: &HeaderMap,
        trusted: &[IpNet],
        header: ForwardedHeader,
    ) -> Self {
        let trusts = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        let mut client = canonical(peer);
        if !trusts(&client) {
            return Self(client);
        }
        for hop in forwarded_chain(headers, header).into_iter().rev() {
            match hop {
                Some(ip) => {
                    client = canonical(ip);
                    if !trusts(&client) {
                        break;
                    }
                }
                None => break,
            }
        }
        Self(client)
    }

    /// The rate-limit key: the address, or for IPv6 its /64, which one
    /// subscriber usually holds whole.
    pub fn limit_key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        }
    }
}

/// IPv4 clients of a dual-stack listener arrive as `::ffff:a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// The hops the header lists, left (the original client) to right; `None`
/// for one that isn't an address (`unknown`, an obfuscated name, garbage).
fn forwarded_chain(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    let name = match header {
        ForwardedHeader::XForwardedFor => "x-forwarded-for",
        ForwardedHeader::Forwarded => "forwarded",
    };
    let mut hops = Vec::new();
    // Several header lines make one list, in order (RFC 9110 §5.3).
    for value in headers.get_all(name) {
        let Ok(value) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in value.split(',') {
            hops.push(match header {
                ForwardedHeader::XForwardedFor => parse_node(element),
                ForwardedHeader::Forwarded => element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_node(v)),
            });
        }
    }
    hops
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:5678`, quoted
/// or not.
fn parse_node(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    let inner = s.strip_prefix('[')?.split(']').next()?;
    inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no connection info")))?;
        Ok(Self::resolve(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
            state.config.forwarded_header,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn xff(peer: &str, values: &[&str], trusted: &[&str]) -> IpAddr {
        let h = headers("x-forwarded-for", values);
        ClientAddress::resolve(ip(peer), &h, &nets(trusted), ForwardedHeader::XForwardedFor).0
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(xff("203.0.113.9", &["1.1.1.1"], &[]), ip("203.0.113.9"));
        assert_eq!(
            xff("203.0.113.9", &["1.1.1.1"], &["10.0.0.0/8"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_is_believed_from_the_right() {
        // The client wrote "6.6.6.6" itself; nginx appended the real address.
        let trusted = ["10.0.0.0/8"];
        assert_eq!(
            xff("10.0.0.2", &["6.6.6.6, 198.51.100.7"], &trusted),
            ip("198.51.100.7")
        );
        // Two proxies: the hop our proxy saw came from another trusted one.
        assert_eq!(
            xff("10.0.0.2", &["6.6.6.6, 198.51.100.7, 10.0.0.3"], &trusted),
            ip("198.51.100.7")
        );
        // Header lines in order make one list.
        assert_eq!(
            xff("10.0.0.2", &["6.6.6.6", "198.51.100.7"], &trusted),
            ip("198.51.100.7")
        );
        // No header: the proxy itself.
        assert_eq!(xff("10.0.0.2", &[], &trusted), ip("10.0.0.2"));
        // Only proxies: the leftmost.
        assert_eq!(xff("10.0.0.2", &["10.0.0.5"], &trusted), ip("10.0.0.5"));
        // An unreadable hop stops at the proxy that forwarded it.
        assert_eq!(
            xff("10.0.0.2", &["198.51.100.7, unknown"], &trusted),
            ip("10.0.0.2")
        );
        // With a port, as some proxies write it.
        assert_eq!(
            xff("10.0.0.2", &["198.51.100.7:4711"], &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn forwarded_is_read_only_when_configured() {
        let h = headers(
            "forwarded",
            &[r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https"#],
        );
        let trusted = nets(&["127.0.0.1/32"]);
        let got = ClientAddress::resolve(ip("127.0.0.1"), &h, &trusted, ForwardedHeader::Forwarded);
        assert_eq!(got.0, ip("2001:db8:cafe::17"));
        let ignored = ClientAddress::resolve(
            ip("127.0.0.1"),
            &h,
            &trusted,
            ForwardedHeader::XForwardedFor,
        );
        assert_eq!(ignored.0, ip("127.0.0.1"));
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        let a = ClientAddress(ip("2001:db8:1:2:aaaa::1"));
        let b = ClientAddress(ip("2001:db8:1:2:bbbb::2"));
        let c = ClientAddress(ip("2001:db8:1:3::1"));
        assert_eq!(a.limit_key(), "2001:db8:1:2::/64");
        assert_eq!(a.limit_key(), b.limit_key());
        assert_ne!(a.limit_key(), c.limit_key());
        let mapped = xff("::ffff:198.51.100.7", &[], &[]);
        assert_eq!(ClientAddress(mapped).limit_key(), "198.51.100.7");
    }
}
