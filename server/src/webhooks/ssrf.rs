//! Keeping webhook deliveries away from the portal's own network: private,
//! loopback, link-local and every other address that is not global
//! unicast (IPv6 that embeds an IPv4 one included) is refused, both
//! when the URL is saved and when it is resolved for each delivery (so a DNS
//! answer changed later can't point a delivery inward). Operators can allow
//! them (`PORTAL_WEBHOOK_ALLOW_PRIVATE`), as tests do.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether deliveries may never go to `ip`: anything but global unicast.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

/// IPv4 blocks that are not globally reachable (IANA's special-purpose
/// registry), or are not unicast.
const NOT_GLOBAL_V4: [(Ipv4Addr, u8); 16] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network"
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local (cloud metadata)
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and broadcast
    (Ipv4Addr::new(255, 255, 255, 255), 32),
];

/// IPv6 global unicast is 2000::/3; within it, these blocks are not global
/// or carry an IPv4 address that a relay would reach for us.
const NOT_GLOBAL_V6: [(Ipv6Addr, u8); 4] = [
    // IETF protocol assignments, with Teredo (2001::/32, an embedded IPv4).
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),     // 6to4
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),     // documentation
];

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    NOT_GLOBAL_V4
        .iter()
        .any(|&(net, len)| Ipv4Net::new(net, len).is_ok_and(|n| n.contains(&ip)))
}

/// Everything outside 2000::/3 is refused: loopback, unspecified, the
/// IPv4-compatible ::/96, NAT64's 64:ff9b::/96, unique local, link-local,
/// multicast.
fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let global_unicast = (ip.segments()[0] & 0xe000) == 0x2000;
    !global_unicast
        || NOT_GLOBAL_V6
            .iter()
            .any(|&(net, len)| Ipv6Net::new(net, len).is_ok_and(|n| n.contains(&ip)))
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
            // NAT64, 6to4, IPv4-compatible and Teredo: an IPv4 address inside.
            "64:ff9b::7f00:1",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::1",
            "::127.0.0.1",
            "::a00:1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.254",
            "192.0.2.1",
            "2001:db8::1",
            "224.0.0.1",
            "ff02::1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "198.20.0.1",
            "192.0.1.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
        ] {
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
