//! Client addresses behind a reverse proxy: the forwarded header counts only
//! from a trusted proxy, and then each client behind it has its own limits;
//! IPv6 clients are limited per /64.

use std::net::Ipv4Addr;

use serde_json::json;

use crate::helpers::*;

/// A sign-in attempt with a wrong password for a new address each time (so
/// the per-account limit stays out of the way), forwarded for `forwarded`.
async fn attempt(app: &TestApp, client: &reqwest::Client, forwarded: &str) -> reqwest::Response {
    let email = format!("{}@acme.test", portal_server::crypto::new_id("nobody_"));
    let mut request = client
        .post(app.at("/api/session"))
        .json(&json!({ "email": email, "password": "wrong password!" }));
    if !forwarded.is_empty() {
        request = request.header("x-forwarded-for", forwarded);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_forwarded_address_from_an_untrusted_peer_changes_nothing() {
    // The test's loopback address is not among the trusted proxies.
    let app = spawn_with(|c| {
        c.sign_ins_per_minute = 3;
        c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    let here = browser(&app.url);
    for n in 1..=3 {
        let forwarded = format!("198.51.100.{n}");
        assert_eq!(attempt(&app, &here, &forwarded).await.status(), 401);
    }
    // A new address in the header every time, and still one client: this one.
    rate_limited(attempt(&app, &here, "198.51.100.4").await, 20).await;
    rate_limited(attempt(&app, &here, "").await, 20).await;
    // The same through Forwarded, which isn't even the configured header.
    let forwarded = here
        .post(app.at("/api/session"))
        .header("forwarded", "for=198.51.100.5")
        .json(&json!({ "email": "x@acme.test", "password": "wrong password!" }))
        .send()
        .await
        .unwrap();
    rate_limited(forwarded, 20).await;
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_get_separate_limits() {
    let app = spawn_with(|c| {
        c.sign_ins_per_minute = 3;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    // The proxy: it connects from 127.0.0.1 and appends the client's address.
    let proxy = browser(&app.url);
    for _ in 0..3 {
        assert_eq!(attempt(&app, &proxy, "198.51.100.1").await.status(), 401);
    }
    rate_limited(attempt(&app, &proxy, "198.51.100.1").await, 20).await;
    // Another client behind the same proxy has its own allowance.
    assert_eq!(attempt(&app, &proxy, "198.51.100.2").await.status(), 401);
    // What a client writes in the header itself is to the left of what the
    // proxy appends: the rightmost address that isn't a proxy counts.
    let spoofed = attempt(&app, &proxy, "203.0.113.66, 198.51.100.1").await;
    rate_limited(spoofed, 20).await;
    // The proxy's own requests, forwarding nothing, are limited as the proxy.
    for _ in 0..3 {
        assert_eq!(attempt(&app, &proxy, "").await.status(), 401);
    }
    rate_limited(attempt(&app, &proxy, "").await, 20).await;
    // A peer that isn't a proxy is limited as itself, whatever it forwards.
    let stranger = browser_at(&app.url, Ipv4Addr::new(127, 0, 0, 2));
    assert_eq!(attempt(&app, &stranger, "198.51.100.2").await.status(), 401);
    assert_eq!(attempt(&app, &stranger, "198.51.100.2").await.status(), 401);
    // So 198.51.100.2 still has two of its three left.
    assert_eq!(attempt(&app, &proxy, "198.51.100.2").await.status(), 401);
    assert_eq!(attempt(&app, &proxy, "198.51.100.2").await.status(), 401);
    rate_limited(attempt(&app, &proxy, "198.51.100.2").await, 20).await;
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_64() {
    let app = spawn_with(|c| {
        c.sign_ins_per_minute = 3;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let proxy = browser(&app.url);
    // Three addresses of one /64: one allowance.
    for host in ["1", "2", "ffff:1"] {
        let forwarded = format!("2001:db8:1:2::{host}");
        assert_eq!(attempt(&app, &proxy, &forwarded).await.status(), 401);
    }
    rate_limited(attempt(&app, &proxy, "[2001:db8:1:2::9]:4711").await, 20).await;
    // The next /64 is someone else.
    assert_eq!(attempt(&app, &proxy, "2001:db8:1:3::1").await.status(), 401);
}

#[tokio::test]
async fn the_token_endpoint_limits_each_client_behind_the_proxy() {
    // 1 a second per client id and 4 per address: the address limit binds
    // when each request names a different client id.
    let app = spawn_with(|c| {
        c.token_requests_per_second = 1;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let proxy = reqwest::Client::new();
    let ask = |forwarded: &'static str| {
        proxy
            .post(app.at("/v1/auth/token"))
            .header("x-forwarded-for", forwarded)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &portal_server::crypto::new_id("cli_")),
                ("client_secret", "wrong"),
            ])
            .send()
    };
    for _ in 0..4 {
        assert_eq!(ask("198.51.100.1").await.unwrap().status(), 401);
    }
    oauth_error(ask("198.51.100.1").await.unwrap(), 429, "rate_limited").await;
    assert_eq!(ask("198.51.100.2").await.unwrap().status(), 401);
}
