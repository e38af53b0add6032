//! What an operator watches: the health checks a proxy or orchestrator asks,
//! the Prometheus metrics on their own address, and limits that keep
//! working when Redis doesn't answer.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::receiver::Receiver;

#[tokio::test]
async fn live_and_ready_say_what_the_instance_can_do() {
    let app = spawn_app().await;
    let live = app.get("/api/health/live").await;
    assert_eq!(live.status(), 200);
    assert_eq!(live.json::<Value>().await.unwrap()["status"], "ok");

    let ready = app.get("/api/health/ready").await;
    assert_eq!(ready.status(), 200);
    let shared = if test_redis().is_some() {
        "shared"
    } else {
        "per_instance"
    };
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({ "status": "ready", "database": "ok", "rate_limits": shared })
    );
}

#[tokio::test]
async fn without_redis_limits_hold_per_instance_and_ready_says_so() {
    // Nothing listens on the discard port.
    let app = spawn_with(|c| {
        c.redis_url = Some("redis://127.0.0.1:9".into());
        c.sign_ins_per_minute = 2;
    })
    .await;
    let ready = app.get("/api/health/ready").await;
    assert_eq!(ready.status(), 200, "still ready: the limits still hold");
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["rate_limits"], "redis_unreachable");
    let wrong = |n: usize| json!({ "email": format!("nobody{n}@acme.test"), "password": "wrong password!" });
    assert_eq!(app.post("/api/session", &wrong(1)).await.status(), 401);
    assert_eq!(app.post("/api/session", &wrong(2)).await.status(), 401);
    rate_limited(app.post("/api/session", &wrong(3)).await, 30).await;
}

#[tokio::test]
async fn a_redis_url_that_is_not_one_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = portal_server::config::Config::defaults();
    config.database_url = fresh_database(dir.path()).await;
    let (token_keys, webhook_key) = shared_keys(dir.path());
    config.token_keys_file = Some(token_keys);
    config.webhook_key_file = Some(webhook_key);
    config.data_dir = dir.path().to_owned();
    config.redis_url = Some("http://127.0.0.1:6379".into());
    let clock = std::sync::Arc::new(portal_server::clock::TestClock::default());
    let Err(error) = portal_server::app::build(config, clock).await else {
        panic!("started with an http:// Redis URL");
    };
    assert!(
        format!("{error:#}").contains("PORTAL_REDIS_URL is not a Redis URL"),
        "{error:#}"
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run under scripts/with-postgres.sh with --include-ignored"]
async fn ready_is_503_while_the_database_refuses_connections() {
    let app = spawn_app().await;
    assert!(app.db.postgres, "this test stops a PostgreSQL database");
    let name: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let cluster = std::env::var("PORTAL_TEST_POSTGRES").unwrap();
    let admin = TestDb::connect(&cluster).await;
    let refuse = |allow: bool| format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS {allow}");
    sqlx::query(&refuse(false))
        .execute(&admin.pool)
        .await
        .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&name)
    .execute(&admin.pool)
    .await
    .unwrap();

    let ready = app.get("/api/health/ready").await;
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["database"], "unreachable");
    // Alive all the same: restarting it would not bring the database back.
    assert_eq!(app.get("/api/health/live").await.status(), 200);

    sqlx::query(&refuse(true))
        .execute(&admin.pool)
        .await
        .unwrap();
    let mut status = 0;
    for _ in 0..50 {
        status = app.get("/api/health/ready").await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "ready again once the database is back");
}

/// A free port on loopback, for a listener the server opens itself.
fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The Prometheus page served at `metrics`.
async fn scrape(metrics: SocketAddr) -> String {
    reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the series `name{labels}` in a Prometheus text page.
fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address() {
    let metrics = free_address();
    let app = spawn_with(|c| {
        c.metrics_addr = Some(metrics);
        c.webhook_allow_private = true;
        c.token_requests_per_second = 1;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let receiver = Receiver::start().await;
    let hook = app
        .post(
            &format!("/api/projects/{project}/webhooks"),
            &json!({ "url": format!("{}/hook", receiver.url) }),
        )
        .await;
    assert_eq!(hook.status(), 201);
    let credential = app.credential(&project, &["read", "write"]).await;
    let token = app
        .access_token(&credential.client_id, &credential.client_secret)
        .await;
    // The second token request within the second is refused.
    let refused = app
        .token(&credential.client_id, &credential.client_secret)
        .await;
    assert_eq!(refused.status(), 429);
    assert_eq!(
        app.get(&format!("/api/projects/{project}")).await.status(),
        200
    );
    let published = reqwest::Client::new()
        .post(app.at("/v1/events"))
        .bearer_auth(&token)
        .json(&json!({ "type": "order.created", "data": { "order": 1 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 202);
    receiver.wait_for(1).await;

    // The attempt is counted once it is made; the samplers run every few seconds.
    let mut page = String::new();
    for _ in 0..100 {
        page = scrape(metrics).await;
        if page.contains("portal_delivery_attempts_total{outcome=\"succeeded\"}")
            && page.contains("portal_delivery_queue_due")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Requests by route (the template, not the id) and status. Only this
    // test's server counts requests, so these are exact.
    let requests = |method: &str, route: &str, status: u16| {
        sample(
            &page,
            &format!(
                "portal_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(requests("POST", "/v1/auth/token", 200), Some(1.0), "{page}");
    assert_eq!(requests("POST", "/v1/auth/token", 429), Some(1.0));
    assert_eq!(requests("GET", "/api/projects/{id}", 200), Some(1.0));
    assert_eq!(requests("POST", "/v1/events", 202), Some(1.0));
    assert!(!page.contains(&project), "no ids in labels");
    let token_latency = sample(
        &page,
        "portal_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/auth/token\"}",
    );
    assert_eq!(token_latency, Some(2.0));
    assert!(page.contains(
        "portal_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/auth/token\",le=\"0.005\"}"
    ));
    // Counters every server in this process adds to (the recorder is the
    // process's): at least this test's.
    let at_least = |series: &str, n: f64| {
        let value = sample(&page, series).unwrap_or_else(|| panic!("{series} in {page}"));
        assert!(value >= n, "{series} = {value}");
    };
    at_least("portal_tokens_issued_total", 1.0);
    at_least(
        "portal_rate_limited_total{limit=\"token_by_client_address\"}",
        1.0,
    );
    at_least("portal_delivery_attempts_total{outcome=\"succeeded\"}", 1.0);
    at_least("portal_delivery_attempt_duration_seconds_count", 1.0);
    // Gauges sampled from this server's store.
    for gauge in [
        "portal_delivery_queue_due",
        "portal_delivery_queue_oldest_due_seconds",
        "portal_database_connections{state=\"idle\"}",
        "portal_database_connections{state=\"in_use\"}",
        "portal_database_connections_max",
    ] {
        assert!(sample(&page, gauge).is_some(), "{gauge} in {page}");
    }
    assert!(page.contains("# HELP portal_http_requests_total"));

    // Not on the public address.
    let public = app.get("/metrics").await.text().await.unwrap();
    assert!(!public.contains("portal_http_requests_total"));
}

#[tokio::test]
async fn invented_methods_add_no_series_to_the_metrics() {
    let metrics = free_address();
    let app = spawn_with(|c| c.metrics_addr = Some(metrics)).await;
    // The series of one route no other test asks for (the recorder is the
    // process's, shared by the tests that run beside this one).
    let series = |page: &str| -> Vec<String> {
        page.lines()
            .filter(|l| l.contains("route=\"/api/openapi.json\""))
            .map(|l| {
                l.rsplit_once(' ')
                    .map_or(l, |(series, _)| series)
                    .to_owned()
            })
            .collect()
    };
    let send = |method: String| {
        let client = app.client.clone();
        let url = app.at("/api/openapi.json");
        async move {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            client.request(method, url).send().await.unwrap().status()
        }
    };
    assert_eq!(send("AAAA1".into()).await, 405);
    let before = series(&scrape(metrics).await);
    assert!(
        before
            .iter()
            .any(|s| s.contains("method=\"other\"") && s.contains("status=\"405\"")),
        "{before:#?}"
    );
    for i in 0..10_000 {
        assert_eq!(send(format!("X{i}")).await, 405);
    }
    let after = series(&scrape(metrics).await);
    assert_eq!(after, before, "10 000 invented methods changed the series");
    let total = sample(
        &scrape(metrics).await,
        "portal_http_requests_total{method=\"other\",route=\"/api/openapi.json\",status=\"405\"}",
    );
    assert_eq!(total, Some(10_001.0));
}

/// A "Redis" that takes connections and reads what it is sent, and never
/// answers; it counts the connections and the rate-limit script calls.
async fn silent_redis() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let asked = counted.clone();
            asked.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&buf[..n]);
                    asked.fetch_add(text.matches("EVAL").count(), Ordering::SeqCst);
                }
            });
        }
    });
    (url, asked)
}

#[tokio::test]
async fn a_silent_redis_is_left_alone_and_each_instance_keeps_its_share() {
    let (url, asked) = silent_redis().await;
    // Four sign-ins a minute for the portal, on two instances: two for this one.
    let app = spawn_with(move |c| {
        c.redis_url = Some(url);
        c.instances = 2;
        c.sign_ins_per_minute = 4;
    })
    .await;
    let started = asked.load(std::sync::atomic::Ordering::SeqCst);
    let wrong = |n: usize| json!({ "email": format!("nobody{n}@acme.test"), "password": "wrong password!" });
    assert_eq!(app.post("/api/session", &wrong(1)).await.status(), 401);
    assert_eq!(app.post("/api/session", &wrong(2)).await.status(), 401);
    rate_limited(app.post("/api/session", &wrong(3)).await, 30).await;
    for n in 4..10 {
        assert_eq!(app.post("/api/session", &wrong(n)).await.status(), 429);
    }
    // The first request found Redis silent; the next nine didn't ask it
    // (connections or script calls), so none of them waited on it.
    let asked = asked.load(std::sync::atomic::Ordering::SeqCst) - started;
    assert!(asked <= 2, "Redis was asked {asked} times for 9 requests");
}

/// The machine's clock, `offset` seconds off: an instance on a skewed machine.
struct SkewedClock(i64);

impl portal_server::clock::Clock for SkewedClock {
    fn now_nanos(&self) -> i64 {
        portal_server::clock::SystemClock.now_nanos() + self.0 * 1_000_000_000
    }

    fn is_machine_clock(&self) -> bool {
        true
    }
}

#[tokio::test]
#[ignore = "needs Redis: run under scripts/with-postgres.sh --redis with --include-ignored"]
async fn shared_limits_keep_redis_time_and_name_nothing_a_guess_could_check() {
    use portal_server::clock::Clock;
    use portal_server::limits::{Limit, Limits};
    let redis = test_redis().expect("PORTAL_TEST_REDIS_URL (scripts/with-postgres.sh --redis)");
    let dir = tempfile::tempdir().unwrap();
    let mut config = portal_server::config::Config::defaults();
    config.redis_url = Some(redis.clone());
    config.redis_prefix = redis_prefix(dir.path());
    config.sign_ins_per_minute = 1;
    let key = [7u8; 32];
    // One instance's machine is an hour ahead.
    let ahead = Limits::new(&config, std::sync::Arc::new(SkewedClock(3600)), key)
        .await
        .unwrap();
    let right = Limits::new(&config, std::sync::Arc::new(SkewedClock(0)), key)
        .await
        .unwrap();
    let email = "ada@acme.test";
    // The instance ahead uses up the account's attempts...
    let mut taken = 0;
    while ahead.wait(&[(Limit::SignInByEmail, email)]).await.is_ok() {
        taken += 1;
        assert!(taken < 100, "never refused");
    }
    assert!(taken >= 1);
    // ...and the other is refused for the minute the limit says, not an
    // hour more.
    let wait = right
        .wait(&[(Limit::SignInByEmail, email)])
        .await
        .unwrap_err();
    assert!((1..=60).contains(&wait), "wait {wait} s");
    assert!(SkewedClock(0).is_machine_clock());

    // The keys name the email by an HMAC with the server's key: the plain
    // SHA-256 of a guessed address finds nothing.
    let client = redis::Client::open(redis).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", config.redis_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    use sha2::Digest;
    let plain: String = sha2::Sha256::digest(email.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!keys[0].contains(&plain), "{keys:?}");
    assert!(
        keys[0].starts_with(&format!("{}:rl:sign_in_by_email:", config.redis_prefix)),
        "{keys:?}"
    );
}
