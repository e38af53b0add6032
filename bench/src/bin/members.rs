//! Member-list API under a short bounded load: an organisation with 10 000
//! members, the server (release build) on one core and the load generator on
//! the other, over HTTP with keep-alive. Prints p50/p99 per scenario.

use std::sync::Arc;
use std::time::{Duration, Instant};

use portal_bench::portal::Backend;
use portal_bench::{Stats, ms};
use portal_server::app;
use portal_server::clock::SystemClock;
use portal_server::config::Config;
use serde_json::{Value, json};

const MEMBERS: usize = 10_000;
/// Concurrent clients, and requests per scenario.
const CONCURRENCY: usize = 4;
const REQUESTS: usize = 2_000;
/// p99 target of the issue.
const TARGET_P99: Duration = Duration::from_millis(20);

fn main() -> anyhow::Result<()> {
    println!(
        "member list: {MEMBERS} members, {CONCURRENCY} concurrent clients, {REQUESTS} requests each"
    );
    println!(
        "{:<11} {:<28} {:>10} {:>10} {:>10} {:>10}",
        "backend", "scenario", "req/s", "p50", "p99", "max"
    );
    for backend in Backend::available() {
        let worst = run_on(&backend)?;
        let verdict = if worst <= TARGET_P99 { "met" } else { "MISSED" };
        println!(
            "{}: target p99 <= {}: {verdict} (worst p99 {})",
            backend.name(),
            ms(TARGET_P99),
            ms(worst)
        );
    }
    Ok(())
}

/// The scenarios on one backend; returns the worst p99.
fn run_on(backend: &Backend) -> anyhow::Result<Duration> {
    let dir = tempfile::tempdir()?;
    let mut config = Config::defaults();
    config.dist = dir.path().join("no-dist");
    config.data_dir = dir.path().to_owned();
    config.log = "warn".into();

    // The server gets one worker thread; the load generator the other core.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (url, state) = server.block_on(async {
        config.database_url = backend.fresh_database(dir.path()).await?;
        if config.database_url.starts_with("postgres") {
            // On PostgreSQL the keys come by configuration, as for several instances.
            let token = dir.path().join(portal_server::tokens::KEY_FILE);
            portal_server::tokens::KeySet::generate().write(&token)?;
            let webhook = dir.path().join(portal_server::webhooks::vault::KEY_FILE);
            portal_server::keyfile::load_or_create(&webhook, "webhook secret key")?;
            config.token_keys_file = Some(token);
            config.webhook_key_file = Some(webhook);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        config.public_url = url.clone();
        // Mail kept in memory, where the sign-up's confirmation link is read.
        let mailer = portal_server::mail::Mailer::Memory(Default::default());
        let (router, state) = app::build_with_mailer(config, Arc::new(SystemClock), mailer).await?;
        tokio::spawn(app::serve(
            listener,
            router,
            state.clone(),
            std::future::pending(),
        ));
        anyhow::Ok((url, state))
    })?;

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let worst = client_rt.block_on(async {
        let client = signed_in_client(&url, &state).await?;
        seed(&state, MEMBERS - 1).await?;
        let mut worst = Duration::ZERO;
        for (name, path) in [
            ("first page", "/api/users"),
            ("search \"member 42\"", "/api/users?query=member%2042"),
            (
                "filtered: admins, page 3",
                "/api/users?role=admin&status=active&page=3",
            ),
            (
                "sorted: last sign-in",
                "/api/users?sort=last_sign_in&order=desc",
            ),
            (
                "sorted: joined, page 200",
                "/api/users?sort=joined&page=200&per_page=50",
            ),
        ] {
            let stats = load(&client, &format!("{url}{path}")).await?;
            worst = worst.max(stats.percentile(99.0));
            println!(
                "{:<11} {name:<28} {:>10.0} {:>10} {:>10} {:>10}",
                backend.name(),
                stats.per_second(),
                ms(stats.percentile(50.0)),
                ms(stats.percentile(99.0)),
                ms(stats.percentile(100.0)),
            );
        }
        anyhow::Ok(worst)
    })?;
    server.shutdown_timeout(Duration::from_secs(1));
    Ok(worst)
}

/// Signs up and confirms the organisation's superadmin; returns their browser.
async fn signed_in_client(
    url: &str,
    state: &portal_server::state::AppState,
) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", url.parse()?);
    headers.insert("x-portal-request", "1".parse()?);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .pool_max_idle_per_host(CONCURRENCY)
        .build()?;
    let email = "bench@acme.test";
    let signup = json!({ "organisation_name": "Bench Org", "full_name": "Ada Lovelace", "email": email,
        "password": "correct horse battery", "pin": "482915" });
    client
        .post(format!("{url}/api/signup"))
        .json(&signup)
        .send()
        .await?
        .error_for_status()?;
    // The outbox keeps no bodies (their links are single-use keys): the
    // mail itself, from the memory mailer.
    let body = match &state.mailer {
        portal_server::mail::Mailer::Memory(kept) => kept
            .lock()
            .map_err(|_| anyhow::anyhow!("the mailer's lock"))?
            .iter()
            .rev()
            .find(|m| m.to == email)
            .map(|m| m.body.clone())
            .unwrap_or_default(),
        _ => anyhow::bail!("the bench reads its mail from the memory mailer"),
    };
    let token = body
        .split("token=")
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or_default();
    client
        .post(format!("{url}/api/signup/confirm"))
        .json(&json!({ "token": token }))
        .send()
        .await?
        .error_for_status()?;
    Ok(client)
}

/// `n` more members of the one organisation, straight into the database
/// (through sqlx's `Any` driver, so either backend): a third each admin,
/// developer, viewer; every seventh deactivated; half have signed in.
async fn seed(state: &portal_server::state::AppState, n: usize) -> anyhow::Result<()> {
    let org = portal_server::store::organisations::list(&state.store)
        .await?
        .into_iter()
        .next()
        .map(|o| o.id.0)
        .unwrap_or_default();
    let url = &state.config.database_url;
    let postgres = url.starts_with("postgres");
    // Times are integers in SQLite and `timestamptz` in PostgreSQL; `$n`
    // parameters suit both (sqlx's `Any` passes the SQL through).
    let time = |n: usize| {
        if postgres {
            format!("to_timestamp(${n})")
        } else {
            format!("${n}")
        }
    };
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(url).await?;
    let mut tx = db.begin().await?;
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut sql = "INSERT INTO users (id, organisation_id, email, full_name, password_hash, \
                       pin_hash, role, status, email_confirmed_at, last_sign_in_at, created_at) \
                       VALUES "
            .to_owned();
        for (row, _) in chunk.iter().enumerate() {
            let p = row * 11;
            sql.push_str(&format!(
                "{}(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, {}, {}, {})",
                if row == 0 { "" } else { ", " },
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                time(p + 9),
                time(p + 10),
                time(p + 11),
            ));
        }
        let mut insert = sqlx::query(&sql);
        for &i in chunk {
            insert = insert
                .bind(format!("usr_bench{i:06}"))
                .bind(org.clone())
                .bind(format!("member{i:05}@acme.test"))
                .bind(format!("Member {i:05}"))
                .bind("-")
                .bind("-")
                .bind(["admin", "developer", "viewer"][i % 3])
                .bind(if i % 7 == 0 { "deactivated" } else { "active" })
                .bind(1_i64)
                .bind((i % 2 == 0).then_some(1_700_000_000 + i as i64))
                .bind(1_690_000_000 + i as i64);
        }
        insert.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    if postgres {
        // What autovacuum does soon after a bulk insert: statistics for the
        // planner and the visibility map for index-only scans.
        sqlx::query("VACUUM (ANALYZE) users").execute(&db).await?;
    }
    db.close().await;
    Ok(())
}

/// `REQUESTS` GETs of `url` from `CONCURRENCY` clients; every answer must be 200.
async fn load(client: &reqwest::Client, url: &str) -> anyhow::Result<Stats> {
    // Warm up the connections and the database's cache.
    for _ in 0..50 {
        client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, url) = (client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(REQUESTS / CONCURRENCY);
            for _ in 0..REQUESTS / CONCURRENCY {
                let t = Instant::now();
                let page: Value = client
                    .get(&url)
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                samples.push(t.elapsed());
                anyhow::ensure!(
                    page["total"].as_u64().is_some(),
                    "not a member page: {page}"
                );
            }
            anyhow::Ok(samples)
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    Ok(Stats::new(samples, started.elapsed()))
}
