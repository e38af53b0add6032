//! A delivery lease holds while its worker's renewals are held back: an
//! instance draining on SIGTERM whose database stalls past the lease, while
//! its last attempts wait to be recorded, has nothing of them taken over and
//! sent again by another instance. The stall is made, not waited for: the
//! instance reaches PostgreSQL through a proxy the test pauses, so the test
//! doesn't depend on how busy the machine is.

use std::time::{Duration, Instant};

use crate::helpers::{TestDb, fresh_database, publish_order, shared_keys};
use crate::instances::{times, worker_of};
use crate::real_server::Server;
use crate::receiver::Receiver;
use crate::stalling_proxy::StallingProxy;

/// The instances' lease, in seconds.
const LEASE: &str = "2";
/// How long the draining instance's database stalls: longer than a lease,
/// so its renewals can't keep up and the lease runs out; shorter than a
/// lease and its grace after the last renewal, so it is not taken over.
const STALL: Duration = Duration::from_millis(2500);
/// Events published while the first instance is alone.
const EVENTS: usize = 12;
/// However slow the machine, each wait ends by then.
const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run under scripts/with-postgres.sh with --include-ignored"]
async fn a_draining_instance_whose_database_stalls_past_its_lease_sends_nothing_twice() {
    let root = tempfile::tempdir().unwrap();
    let database_url = fresh_database(root.path()).await;
    assert!(database_url.starts_with("postgres"), "{database_url}");
    let (token_keys, webhook_key) = shared_keys(root.path());
    let env = [
        ("PORTAL_TOKEN_KEYS_FILE", token_keys.to_str().unwrap()),
        ("PORTAL_WEBHOOK_KEY_FILE", webhook_key.to_str().unwrap()),
        ("PORTAL_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("PORTAL_EVENTS_PER_SECOND", "100000"),
        ("PORTAL_DELIVERY_LEASE_SECONDS", LEASE),
    ];
    let dir = |name: &str| {
        let dir = root.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        dir
    };
    let proxy = StallingProxy::start(&database_url).await;
    // The first instance alone reaches the database through the proxy.
    let mut draining = Server::start_on(&dir("draining"), proxy.url.clone(), &env).await;
    let receiver = Receiver::start().await;
    let token = draining.publisher(&format!("{}/hook", receiver.url)).await;

    // Its attempts reach the receiver, which holds their answers.
    receiver.hold();
    let partner = reqwest::Client::new();
    let mut published = Vec::new();
    for i in 0..EVENTS {
        let id = publish_order(&partner, &draining.url, &token, i).await;
        published.push(id.expect("published"));
    }
    let db = TestDb::connect(&database_url).await;
    let worker = worker_of(&draining);
    let deadline = Instant::now() + WAIT;
    while receiver.in_flight() == 0 {
        assert!(Instant::now() < deadline, "no delivery went out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        held(&db, &worker).await.is_some(),
        "the first instance holds them"
    );

    // A second instance, straight to the database: it takes over whatever
    // lease it finds run out.
    let mut other = Server::start_on(&dir("other"), database_url.clone(), &env).await;

    // The first drains: it stops claiming and waits for its attempts. Its
    // database stalls right after a renewal, the receiver answers, and the
    // attempts wait to be recorded past the end of their lease.
    draining.terminate();
    let renewed = held(&db, &worker).await.expect("held while draining");
    while held(&db, &worker).await == Some(renewed) {
        assert!(Instant::now() < deadline, "the lease was never renewed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    proxy.pause();
    receiver.release();
    tokio::time::sleep(STALL).await;
    proxy.resume();
    assert!(draining.exited(WAIT).await.success());
    assert!(draining.log().contains("delivery worker stopped"));

    // Everything arrives, each once, and stays so past another lease and grace.
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = times(&receiver);
        if published.iter().all(|id| seen.contains_key(id)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every event arrived: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let twice: Vec<_> = times(&receiver)
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    other.kill9();
}

/// The latest end of the leases `worker` holds, in milliseconds, if any.
async fn held(db: &TestDb, worker: &str) -> Option<i64> {
    sqlx::query_scalar(
        "SELECT (extract(epoch FROM max(leased_until)) * 1000)::bigint FROM deliveries \
         WHERE lease_owner = $1",
    )
    .bind(worker)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}
