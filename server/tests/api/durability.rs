//! Deliveries survive a crash: events are published through /v1/events to
//! the real server binary, which is killed with SIGKILL half-way and started
//! again; the receiver ends with every acknowledged event (at least once,
//! by its `webhook-id`).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::{PIN, browser, sign_up_body, token_in};
use crate::real_server::Server;
use crate::receiver::Receiver;

/// Events to publish.
const N: usize = 200;
/// Concurrent publishers.
const PUBLISHERS: usize = 8;

#[tokio::test]
async fn every_acknowledged_event_is_delivered_across_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &[
            ("PORTAL_WEBHOOK_ALLOW_PRIVATE", "true"),
            // This is about crashing, not about the publish limit.
            ("PORTAL_EVENTS_PER_SECOND", "100000"),
        ],
    )
    .await;
    let receiver = Receiver::start().await;
    // Slow enough that deliveries are in flight when the server dies.
    receiver.delay(Duration::from_millis(30));

    let ada = browser(&server.url);
    let post = |path: String, body: Value| ada.post(server.at(&path)).json(&body).send();
    assert_eq!(
        post("/api/signup".into(), sign_up_body("ada@acme.test"))
            .await
            .unwrap()
            .status(),
        202
    );
    let token = token_in(&server.log(), "/signup/confirm?token=");
    post("/api/signup/confirm".into(), json!({ "token": token }))
        .await
        .unwrap();
    let project: Value = post(
        "/api/projects".into(),
        json!({ "name": "Orders", "environment": "sandbox" }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let project = project["id"].as_str().unwrap().to_owned();
    let hook = post(
        format!("/api/projects/{project}/webhooks"),
        json!({ "url": format!("{}/hook", receiver.url) }),
    )
    .await
    .unwrap();
    assert_eq!(hook.status(), 201);
    let credential: Value = post(
        format!("/api/projects/{project}/credentials"),
        json!({ "description": "Orders backend", "scopes": ["write"], "pin": PIN }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let partner = reqwest::Client::new();
    let access =
        |partner: reqwest::Client, url: String, credential: Value| async move {
            let r: Value = partner
            .post(format!("{url}/v1/auth/token"))
            .json(&json!({ "grant_type": "client_credentials", "client_id": credential["client_id"],
                           "client_secret": credential["client_secret"] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
            r["access_token"].as_str().unwrap().to_owned()
        };
    let access_token = access(partner.clone(), server.url.clone(), credential.clone()).await;

    // Publishers retry until each of their events is acknowledged.
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let mut publishers = Vec::new();
    for p in 0..PUBLISHERS {
        let (partner, url, token, acked, count) = (
            partner.clone(),
            server.url.clone(),
            access_token.clone(),
            acked.clone(),
            count.clone(),
        );
        publishers.push(tokio::spawn(async move {
            for i in (p..N).step_by(PUBLISHERS) {
                loop {
                    let sent = partner
                        .post(format!("{url}/v1/events"))
                        .bearer_auth(&token)
                        .json(&json!({ "type": "order.created", "data": { "order": i } }))
                        .send()
                        .await;
                    if let Ok(r) = sent
                        && r.status() == 202
                    {
                        let event: Value = r.json().await.unwrap();
                        acked
                            .lock()
                            .await
                            .insert(event["id"].as_str().unwrap().to_owned());
                        count.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
    }
    while count.load(Ordering::SeqCst) < N / 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill9();
    let delivered_before = receiver.received().len();
    server.restart().await;
    for p in publishers {
        p.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    assert_eq!(acked.len(), N);
    assert!(
        delivered_before < N,
        "the kill came before every delivery ({delivered_before})"
    );

    let mut seen = HashSet::new();
    for _ in 0..600 {
        seen = receiver
            .received()
            .iter()
            .map(|r| r.header("webhook-id"))
            .collect();
        if acked.is_subset(&seen) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let missing: Vec<_> = acked.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "{} of {N} events never arrived: {missing:?}",
        missing.len()
    );
}
