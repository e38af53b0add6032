//! A real user signing in while a flood of hostile sign-ins arrives (issue
//! 27): 2 000 a second, each for an unknown account from an address of its
//! own (through a trusted proxy's `X-Forwarded-For`, so no per-address
//! limit sees them), against the release server on one core with SQLite.
//!
//! The user signs in from the browser they signed in with before (the
//! account's device cookie) four times a second, first in quiet, then during
//! the flood; the figures are their latency and how many got in. A browser
//! the account doesn't know fares as a stranger: it is turned away with 503
//! and `Retry-After` while the flood lasts, which the last line shows.
//!
//! Build the server first: `cargo build --release -p portal-server`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::ensure;
use portal_bench::portal::{Backend, Portal};
use portal_bench::process::on_load_core;
use portal_bench::{Stats, ms};
use serde_json::json;

const HOSTILE_PER_SECOND: u32 = 2_000;
/// The hostile load is sent in bursts of this many, evenly spaced.
const BURST: u32 = 10;
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURED: Duration = Duration::from_secs(10);
/// The real user signs in this often.
const EVERY: Duration = Duration::from_millis(250);
const EMAIL: &str = "bench@acme.test";
const PASSWORD: &str = "correct horse battery";

fn main() -> anyhow::Result<()> {
    // The flood's requests are tasks of this thread (`spawn_local`).
    on_load_core("sign-in", || async {
        tokio::task::LocalSet::new().run_until(run()).await
    })
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let portal = Portal::start(
        dir.path(),
        &Backend::Sqlite,
        &[
            // The load generator stands in for a proxy in front of clients
            // from everywhere.
            ("PORTAL_TRUSTED_PROXIES", "127.0.0.1"),
            // The user signs in more often than an account, or an address,
            // may (5, then one a minute; 30 a minute): this measures the
            // gate and the instance's budget, not those limits.
            ("PORTAL_ACCOUNT_SIGN_INS", "100000"),
            ("PORTAL_SIGN_INS_PER_MINUTE", "1000000"),
        ],
    )
    .await?;
    let project = portal.project().await?;
    let owner = project.browser().clone();
    let sign_in_url = portal.at("/api/session");

    let quiet = user_signs_in(&owner, &sign_in_url, MEASURED).await?;

    let answers: Rc<RefCell<BTreeMap<u16, u32>>> = Rc::default();
    let flood = {
        let answers = answers.clone();
        let url = sign_in_url.clone();
        let origin = portal.at("");
        tokio::task::spawn_local(async move {
            flood(
                &url,
                &origin,
                WARM_UP + MEASURED + Duration::from_secs(1),
                answers,
            )
            .await
        })
    };
    tokio::time::sleep(WARM_UP).await;
    let flooded = user_signs_in(&owner, &sign_in_url, MEASURED).await?;
    // A browser the account doesn't know, during the flood.
    let stranger = reqwest::Client::builder().cookie_store(true).build()?;
    let mut stranger_answers: BTreeMap<u16, u32> = BTreeMap::new();
    for _ in 0..4 {
        let status = attempt(
            &stranger,
            &sign_in_url,
            &portal.at(""),
            EMAIL,
            PASSWORD,
            None,
        )
        .await?;
        *stranger_answers.entry(status).or_default() += 1;
        tokio::time::sleep(EVERY).await;
    }
    let (sent, flooded_for) = flood.await??;
    let answered: u32 = answers.borrow().values().sum();

    println!(
        "sign-in, release server on one core, SQLite; {HOSTILE_PER_SECOND} hostile sign-ins/s from as many addresses"
    );
    for (name, (stats, statuses)) in [("quiet", &quiet), ("during the flood", &flooded)] {
        println!(
            "  the owner's browser, {name}: {} sign-ins, statuses {statuses:?}, p50 {}, p99 {}, max {}",
            stats.count,
            ms(stats.percentile(50.0)),
            ms(stats.percentile(99.0)),
            ms(stats.percentile(100.0)),
        );
    }
    println!(
        "  hostile: {sent} sent ({:.0}/s), answers {:?}",
        f64::from(sent) / flooded_for.as_secs_f64(),
        answers.borrow()
    );
    println!("  a browser the account doesn't know, during the flood: {stranger_answers:?}");
    ensure!(answered > 0, "the flood got no answers");
    Ok(())
}

/// Sign-ins of the account from its own browser, every `EVERY` for `how_long`:
/// their latencies, and how many got each status.
async fn user_signs_in(
    browser: &reqwest::Client,
    url: &str,
    how_long: Duration,
) -> anyhow::Result<(Stats, BTreeMap<u16, u32>)> {
    let start = Instant::now();
    let mut latencies = Vec::new();
    let mut statuses = BTreeMap::new();
    let mut tick = tokio::time::interval(EVERY);
    while start.elapsed() < how_long {
        tick.tick().await;
        let sent = Instant::now();
        let response = browser
            .post(url)
            .json(&json!({ "email": EMAIL, "password": PASSWORD }))
            .send()
            .await?;
        let status = response.status().as_u16();
        response.bytes().await?;
        latencies.push(sent.elapsed());
        *statuses.entry(status).or_default() += 1;
    }
    Ok((Stats::new(latencies, start.elapsed()), statuses))
}

/// `HOSTILE_PER_SECOND` sign-ins a second for `how_long`, open loop (sent on
/// time whether or not earlier ones were answered), each for an unknown
/// account from an address of its own; returns how many were sent, in how
/// long.
async fn flood(
    url: &str,
    origin: &str,
    how_long: Duration,
    answers: Rc<RefCell<BTreeMap<u16, u32>>>,
) -> anyhow::Result<(u32, Duration)> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(10))
        .build()?;
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1) * BURST / HOSTILE_PER_SECOND);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sent = 0u32;
    while start.elapsed() < how_long {
        tick.tick().await;
        for _ in 0..BURST {
            sent += 1;
            let (client, url, origin, answers) = (
                client.clone(),
                url.to_owned(),
                origin.to_owned(),
                answers.clone(),
            );
            let n = sent;
            tokio::task::spawn_local(async move {
                let address = format!("10.{}.{}.{}", n >> 16 & 255, n >> 8 & 255, n & 255);
                let email = format!("nobody{n}@bench.test");
                let status = attempt(
                    &client,
                    &url,
                    &origin,
                    &email,
                    "a guess at it",
                    Some(&address),
                )
                .await
                .unwrap_or(0);
                *answers.borrow_mut().entry(status).or_default() += 1;
            });
        }
    }
    Ok((sent, start.elapsed()))
}

/// One sign-in; its status.
async fn attempt(
    client: &reqwest::Client,
    url: &str,
    origin: &str,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> anyhow::Result<u16> {
    let mut request = client
        .post(url)
        .header("origin", origin)
        .header("x-portal-request", "1")
        .json(&json!({ "email": email, "password": password }));
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    response.bytes().await?;
    Ok(status)
}
