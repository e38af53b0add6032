//! Three `portal-server` processes on one PostgreSQL database and one
//! Redis, as a platform runs them behind a proxy, with the keys given by
//! configuration. While they serve: a session and a token made on one work
//! on the others; a client's token rate limit holds in total; 2 000 events
//! published round-robin arrive exactly once; one instance dies by SIGKILL
//! mid-load and its deliveries are taken over when their leases run out;
//! another restarts by SIGTERM mid-load without sending anything twice.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{
    PIN, TestDb, browser, fresh_database, publish_order, redis_prefix, shared_keys, sign_up_body,
    test_redis, token_in,
};
use crate::real_server::Server;
use crate::receiver::Receiver;

/// The address people open: the proxy's, the same for every instance.
const PUBLIC: &str = "http://portal.test";
/// Events published in the exactly-once run.
const EVENTS: usize = 2000;
/// Events published around each kill and restart.
const PHASE: usize = 300;
/// Concurrent publishers.
const PUBLISHERS: usize = 8;
/// Token requests one client may make per second, after a burst as big.
const TOKENS_PER_SECOND: f64 = 20.0;
/// Token requests in flight at once while the limit is measured.
const ASKERS: usize = 6;
/// However slow the machine, each wait ends by then.
const WAIT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL and Redis: run under scripts/with-postgres.sh --redis with --include-ignored"]
async fn three_instances_serve_as_one_portal() {
    let redis = test_redis().expect("PORTAL_TEST_REDIS_URL (scripts/with-postgres.sh --redis)");
    let root = tempfile::tempdir().unwrap();
    let database_url = fresh_database(root.path()).await;
    assert!(database_url.starts_with("postgres"), "{database_url}");
    let (token_keys, webhook_key) = shared_keys(root.path());
    let prefix = redis_prefix(root.path());
    let env = [
        ("PORTAL_PUBLIC_URL", PUBLIC),
        ("PORTAL_TOKEN_KEYS_FILE", token_keys.to_str().unwrap()),
        ("PORTAL_WEBHOOK_KEY_FILE", webhook_key.to_str().unwrap()),
        ("PORTAL_REDIS_URL", redis.as_str()),
        ("PORTAL_REDIS_PREFIX", prefix.as_str()),
        ("PORTAL_TOKEN_REQUESTS_PER_SECOND", "20"),
        ("PORTAL_EVENTS_PER_SECOND", "100000"),
        ("PORTAL_WEBHOOK_ALLOW_PRIVATE", "true"),
        // A dead instance's deliveries are taken over two seconds on.
        ("PORTAL_DELIVERY_LEASE_SECONDS", "2"),
    ];
    let dirs: Vec<PathBuf> = (0..3)
        .map(|i| {
            let dir = root.path().join(format!("instance-{i}"));
            std::fs::create_dir(&dir).unwrap();
            dir
        })
        .collect();
    // All three start at once on the empty database: one applies the
    // migrations while the others wait for its lock.
    let (a, b, c) = tokio::join!(
        Server::start_on(&dirs[0], database_url.clone(), &env),
        Server::start_on(&dirs[1], database_url.clone(), &env),
        Server::start_on(&dirs[2], database_url.clone(), &env),
    );
    let mut servers = [a, b, c];
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let db = TestDb::connect(&database_url).await;

    // A session made on one instance works on the others.
    let ada = browser(PUBLIC);
    let post = |i: usize, path: &str, body: Value| {
        ada.post(format!("{}{path}", urls[i])).json(&body).send()
    };
    let signed_up = post(0, "/api/signup", sign_up_body("ada@acme.test")).await;
    assert_eq!(signed_up.unwrap().status(), 202);
    let confirmation = token_in(&servers[0].log(), "/signup/confirm?token=");
    let confirmed = post(1, "/api/signup/confirm", json!({ "token": confirmation })).await;
    assert_eq!(confirmed.unwrap().status(), 200, "confirmed on the second");
    let session = ada
        .get(format!("{}/api/session", urls[2]))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200, "the third knows the session");
    let session: Value = session.json().await.unwrap();
    assert_eq!(session["user"]["email"], "ada@acme.test");
    let project = post(
        2,
        "/api/projects",
        json!({ "name": "Orders", "environment": "sandbox" }),
    )
    .await
    .unwrap();
    assert_eq!(project.status(), 201);
    let project: Value = project.json().await.unwrap();
    let project = project["id"].as_str().unwrap().to_owned();
    let credential = |i: usize, description: &str| {
        post(
            i,
            &format!("/api/projects/{project}/credentials"),
            json!({ "description": description, "scopes": ["read", "write"], "pin": PIN }),
        )
    };
    let publisher: Value = credential(1, "Orders backend")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let limited: Value = credential(2, "Rate-limited backend")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // After the credentials: the receiver gets only the events published
    // below, not their `credential.created`.
    let receiver = Receiver::start().await;
    let hook = post(
        0,
        &format!("/api/projects/{project}/webhooks"),
        json!({ "url": format!("{}/hook", receiver.url) }),
    )
    .await
    .unwrap();
    assert_eq!(hook.status(), 201);

    // A token issued by each instance verifies on every instance.
    let partner = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut tokens = Vec::new();
    for url in &urls {
        tokens.push(issue(&partner, url, &publisher).await.expect("a token"));
    }
    for (issuer, token) in tokens.iter().enumerate() {
        for url in &urls {
            let whoami = partner
                .get(format!("{url}/v1/whoami"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(whoami.status(), 200, "issued by {issuer}, asked at {url}");
        }
    }

    // One client's token limit holds in total: as many tokens from the three
    // as one instance alone would give. Several requests at a time, so the
    // client asks far faster than its limit however slow the machine is.
    let started = Instant::now();
    let mut askers = tokio::task::JoinSet::new();
    for a in 0..ASKERS {
        let (partner, urls, limited) = (partner.clone(), urls.clone(), limited.clone());
        askers.spawn(async move {
            let (mut allowed, mut refused, mut last) = (0, [0; 3], started);
            let mut n = a;
            while started.elapsed() < Duration::from_secs(3) {
                last = Instant::now();
                match issue(&partner, &urls[n % 3], &limited).await {
                    Ok(_) => allowed += 1,
                    Err(429) => refused[n % 3] += 1,
                    Err(status) => panic!("token request answered {status}"),
                }
                n += 1;
            }
            (allowed, refused, last)
        });
    }
    let (mut allowed, mut refused, mut last) = (0, [0; 3], started);
    while let Some(asked) = askers.join_next().await {
        let (a, r, l) = asked.unwrap();
        allowed += a;
        (0..3).for_each(|i| refused[i] += r[i]);
        last = last.max(l);
    }
    // The burst, then one every 1/20 s from the first request to the last.
    let expected = TOKENS_PER_SECOND * (1.0 + (last - started).as_secs_f64());
    assert!(
        (f64::from(allowed) - expected).abs() <= expected * 0.1,
        "{allowed} tokens, {refused:?} refused, expected {expected:.0} (within 10 %)"
    );
    assert!(refused.iter().all(|&r| r > 0), "each refused: {refused:?}");

    // 2 000 events published round-robin each arrive exactly once.
    let alive = Arc::new(Mutex::new(urls.clone()));
    let token = tokens[0].clone();
    let acked = publish(EVENTS, &alive, &token).await;
    assert_eq!(acked.len(), EVENTS);
    let seen = arrived(&receiver, &acked).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seen_after = times(&receiver);
    assert_eq!(seen, seen_after, "nothing more arrived");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert_eq!(receiver.received().len(), EVENTS);

    // SIGKILL mid-load: what the dead instance held arrives all the same,
    // once its leases run out; only what was in flight may arrive twice.
    let from = receiver.received().len();
    receiver.hold();
    let publishing = tokio::spawn({
        let (alive, token) = (alive.clone(), token.clone());
        async move { publish(PHASE, &alive, &token).await }
    });
    let doomed = worker_of(&servers[2]);
    let held = held_events(&db, &doomed).await;
    servers[2].kill9();
    alive.lock().unwrap().retain(|u| u != &urls[2]);
    let in_flight: HashSet<String> = receiver.received()[from..]
        .iter()
        .map(|r| r.header("webhook-id"))
        .collect();
    receiver.release();
    let acked = publishing.await.unwrap();
    // The acknowledged events, and whatever the dead instance held (it may
    // have written an event and died before answering).
    let seen = arrived(&receiver, &acked.union(&held).cloned().collect()).await;
    let doubled: Vec<_> = seen
        .iter()
        .filter(|(id, n)| **n > 1 && !in_flight.contains(*id))
        .collect();
    assert!(doubled.is_empty(), "sent twice, not in flight: {doubled:?}");

    // SIGTERM mid-load, then start again: the instance finishes what it
    // sends, records it, and nothing arrives twice.
    receiver.hold();
    let publishing = tokio::spawn({
        let (alive, token) = (alive.clone(), token.clone());
        async move { publish(PHASE, &alive, &token).await }
    });
    let stopping = worker_of(&servers[1]);
    let held = held_events(&db, &stopping).await;
    // Out of the proxy's rotation first, as a deploy does: what it was
    // asked finishes, nothing new comes.
    alive.lock().unwrap().retain(|u| u != &urls[1]);
    servers[1].terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    receiver.release();
    assert!(servers[1].exited(WAIT).await.success());
    assert!(servers[1].log().contains("delivery worker stopped"));
    servers[1].restart().await;
    alive.lock().unwrap().push(urls[1].clone());
    let acked = publishing.await.unwrap();
    arrived(&receiver, &acked.union(&held).cloned().collect()).await;
    // Time for a stray second copy to show up (a lease runs out in 2 s).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let seen = times(&receiver);
    let twice: Vec<_> = seen
        .iter()
        .filter(|(id, n)| **n > 1 && !in_flight.contains(*id))
        .collect();
    assert!(twice.is_empty(), "sent twice across the restart: {twice:?}");
    assert!(acked.iter().all(|e| seen[e] == 1));
}

/// A token for `credential` from the instance at `url`, or the status.
async fn issue(client: &reqwest::Client, url: &str, credential: &Value) -> Result<String, u16> {
    let response = client
        .post(format!("{url}/v1/auth/token"))
        .json(&json!({ "grant_type": "client_credentials",
            "client_id": credential["client_id"], "client_secret": credential["client_secret"] }))
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        200 => {
            let body: Value = response.json().await.unwrap();
            Ok(body["access_token"].as_str().unwrap().to_owned())
        }
        status => Err(status),
    }
}

/// Publishes `n` events round-robin over the instances alive, each retried
/// on the next one until acknowledged; returns their ids.
async fn publish(n: usize, alive: &Arc<Mutex<Vec<String>>>, token: &str) -> HashSet<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let mut tasks = Vec::new();
    for p in 0..PUBLISHERS {
        let (client, alive, token) = (client.clone(), alive.clone(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in (p..n).step_by(PUBLISHERS) {
                let mut turn = i;
                loop {
                    assert!(Instant::now() < deadline, "event {i} never acknowledged");
                    let url = {
                        let alive = alive.lock().unwrap();
                        alive[turn % alive.len()].clone()
                    };
                    turn += 1;
                    if let Some(id) = publish_order(&client, &url, &token, i).await {
                        acked.push(id);
                        break;
                    }
                }
            }
            acked
        }));
    }
    let mut acked = HashSet::new();
    for task in tasks {
        acked.extend(task.await.unwrap());
    }
    acked
}

/// How many times each event arrived.
pub fn times(receiver: &Receiver) -> HashMap<String, usize> {
    let mut times = HashMap::new();
    for r in &receiver.received() {
        *times.entry(r.header("webhook-id")).or_default() += 1;
    }
    times
}

/// Waits until every one of `events` has arrived; how many times each
/// event did.
async fn arrived(receiver: &Receiver, events: &HashSet<String>) -> HashMap<String, usize> {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = times(receiver);
        let missing = events.iter().filter(|e| !seen.contains_key(*e)).count();
        if missing == 0 {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} of {} events never arrived",
            events.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The id of the server's current delivery worker, from its log.
pub fn worker_of(server: &Server) -> String {
    let log = server.log();
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("delivery worker started"))
        .expect("the worker's start in the log");
    token_in(line, "worker=")
}

/// Waits until `worker` holds deliveries (the receiver holds their
/// answers), and returns the events they carry.
async fn held_events(db: &TestDb, worker: &str) -> HashSet<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let held: Vec<String> =
            sqlx::query_scalar("SELECT event_id FROM deliveries WHERE lease_owner = $1")
                .bind(worker)
                .fetch_all(&db.pool)
                .await
                .unwrap();
        if !held.is_empty() {
            return held.into_iter().collect();
        }
        assert!(Instant::now() < deadline, "{worker} never held a delivery");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
