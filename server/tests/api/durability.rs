//! Deliveries survive a crash: events are published through /v1/events to
//! the real server binary, which is killed with SIGKILL half-way, while the
//! receiver holds deliveries in flight, and started again; the receiver ends
//! with every acknowledged event (at least once, by its `webhook-id`), and
//! the ones in flight at the kill arrive again once their leases run out.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::helpers::{TestDb, publish_order};
use crate::real_server::Server;
use crate::receiver::Receiver;

/// Events to publish.
const N: usize = 200;
/// Concurrent publishers.
const PUBLISHERS: usize = 8;
/// However slow the machine, the test ends by then.
const DEADLINE: Duration = Duration::from_secs(120);

#[tokio::test]
async fn every_acknowledged_event_is_delivered_across_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &[
            ("PORTAL_WEBHOOK_ALLOW_PRIVATE", "true"),
            // This is about crashing, not about the publish limit.
            ("PORTAL_EVENTS_PER_SECOND", "100000"),
            // The dead worker's leases run out soon, and the new one takes over.
            ("PORTAL_DELIVERY_LEASE_SECONDS", "2"),
        ],
    )
    .await;
    let deadline = Instant::now() + DEADLINE;
    let receiver = Receiver::start().await;

    let access_token = server.publisher(&format!("{}/hook", receiver.url)).await;
    let partner = reqwest::Client::new();

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
                    assert!(Instant::now() < deadline, "event {i} never acknowledged");
                    if let Some(id) = publish_order(&partner, &url, &token, i).await {
                        acked.lock().await.insert(id);
                        count.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
    }
    while count.load(Ordering::SeqCst) < N / 2 {
        assert!(Instant::now() < deadline, "publishing stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Deliveries reach the receiver and get no answer: they are in flight
    // when the server dies.
    let before_hold = receiver.received().len();
    receiver.hold();
    while receiver.in_flight() == 0 {
        assert!(Instant::now() < deadline, "no delivery went out");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill9();
    let claimed = claimed_deliveries(&server).await;
    assert!(
        claimed >= 1,
        "the killed server held at least one delivery it was sending"
    );
    // Every request since the hold began got no answer: in flight at the kill.
    let in_flight: HashSet<String> = receiver.received()[before_hold..]
        .iter()
        .map(|r| r.header("webhook-id"))
        .collect();
    receiver.release();
    server.restart().await;
    for p in publishers {
        p.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    assert_eq!(acked.len(), N);

    // Each acknowledged event arrives, and each one in flight at the kill
    // arrives again once the dead worker's lease has run out.
    let times = |receiver: &Receiver| {
        let mut times: std::collections::HashMap<String, usize> = Default::default();
        for r in receiver.received() {
            *times.entry(r.header("webhook-id")).or_default() += 1;
        }
        times
    };
    let mut seen = times(&receiver);
    while Instant::now() < deadline {
        seen = times(&receiver);
        if acked.iter().all(|id| seen.contains_key(id))
            && in_flight
                .iter()
                .all(|id| seen.get(id).copied().unwrap_or(0) >= 2)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let missing: Vec<_> = acked.iter().filter(|id| !seen.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {N} events never arrived: {missing:?}",
        missing.len()
    );
    let not_again: Vec<_> = in_flight
        .iter()
        .filter(|id| seen.get(*id).copied().unwrap_or(0) < 2)
        .collect();
    assert!(
        not_again.is_empty(),
        "in flight at the kill and never sent again: {not_again:?}"
    );
}

/// Deliveries the stopped server had claimed and not finished.
async fn claimed_deliveries(server: &Server) -> usize {
    let db = TestDb::connect(&server.database_url).await;
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE lease_owner IS NOT NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    db.pool.close().await;
    n as usize
}
