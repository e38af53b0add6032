//! Keeping webhook deliveries away from the portal's own network: private,
//! loopback, link-local and other non-public addresses are refused, both
//! when the URL is saved and when it is resolved for each delivery (so a DNS
//! answer changed later can't point a delivery inward). Operators can allow
//! them (`PORTAL_WEBHOOK_ALLOW_PRIVATE`), as tests do.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether deliveries may never go to `ip`.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // Carrier-grade NAT, 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // "This network", 0.0.0.0/8, and reserved 240.0.0.0/4.
        || a == 0
        || a >= 240
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7 and link-local fe80::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// The refusal, as the endpoint form and the delivery log say it.
pub const REFUSED: &str =
    "This URL points to a private, loopback or link-local address, which webhooks may not reach.";

/// Checks a URL's host when it is an IP literal (names are checked when resolved).
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), &'static str> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if !allow_private && is_forbidden(ip) {
        Err(REFUSED)
    } else {
        Ok(())
    }
}

/// Resolves `host` and refuses when every address it has is forbidden.
pub async fn check_resolved(host: &str, allow_private: bool) -> Result<(), &'static str> {
    if allow_private {
        return Ok(());
    }
    match tokio::net::lookup_host((host, 0)).await {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if !addrs.is_empty() && addrs.iter().all(|a| is_forbidden(a.ip())) {
                Err(REFUSED)
            } else {
                Ok(())
            }
        }
        // A name that doesn't resolve yet may later; deliveries check again.
        Err(_) => Ok(()),
    }
}

/// reqwest's resolver for deliveries: drops forbidden addresses from every
/// answer, so the connection can only go to a public one.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| allow_private || !is_forbidden(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(REFUSED.into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for ip in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "255.255.255.255",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_hosts_are_checked_without_resolving() {
        let url = Url::parse("http://169.254.169.254/latest/meta-data").unwrap();
        assert_eq!(check_literal(&url, false), Err(REFUSED));
        assert_eq!(check_literal(&url, true), Ok(()));
        let v6 = Url::parse("http://[::1]:8080/").unwrap();
        assert_eq!(check_literal(&v6, false), Err(REFUSED));
        let name = Url::parse("https://example.com/").unwrap();
        assert_eq!(check_literal(&name, false), Ok(()));
    }
}
