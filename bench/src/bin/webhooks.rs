//! Webhook deliveries end to end: `POST /v1/events` to our release binary,
//! then the signed POST it makes to a receiver in this process.
//!
//! The server runs as its own process pinned to core 0 (`taskset -c 0`), with
//! one endpoint subscribed to everything. This process pins itself to core 1
//! and runs both the load and the receiver: 16 publishers in a closed loop,
//! each on its own keep-alive connection, each sending its next event as soon
//! as the previous one is answered 202, until a fixed count is published. The
//! receiver checks every request's Standard Webhooks signature and notes when
//! each `webhook-id` first arrived with a 2xx answer. Latency is that moment
//! minus the moment its publish was sent; msg/s is the count over the time
//! from the first publish to the last receipt.
//!
//! Two scenarios on the same server: every first attempt answered 200; then
//! the first attempt of every tenth event (by the sequence number in its
//! data, so exactly 10 %) answered 500, so those arrive on the first retry of
//! the schedule, about 5 s later.
//!
//! Build the server first: `cargo build --release -p portal-server`.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use portal_bench::{Stats, ms};
use portal_contract::webhooks::RETRY_SCHEDULE;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::Notify;

/// Events published per scenario.
const MESSAGES: usize = 10_000;
/// Published and received before the first scenario, not counted.
const WARM_UP: usize = 500;
/// Publishers, each with one keep-alive connection and one publish in flight.
const PUBLISHERS: usize = 16;
/// What is published; the endpoint wants only this type (not the portal's
/// own events, such as the credential created while setting up).
const EVENT_TYPE: &str = "order.created";
/// In the second scenario, the first attempt of every `FAIL_EVERY`-th event fails.
const FAIL_EVERY: u64 = 10;
/// How long the last events may take to arrive after the last publish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);
/// The server's core, and the load generator's (and receiver's).
const SERVER_CORE: &str = "0";
const LOAD_CORE: &str = "1";
/// Targets of the issue, for the scenario without failures.
const TARGET_RATE: f64 = 1200.0;
const TARGET_P50: Duration = Duration::from_millis(10);
/// What the issue reports for svix-server with PostgreSQL on this kind of machine.
const SVIX_RATE: f64 = 600.0;
const SVIX_P50: Duration = Duration::from_millis(24);
const PIN: &str = "482915";
/// CPU used by other processes during a measurement (in cores) above which
/// the figures get a warning.
const NOISE_CORES: f64 = 0.1;

fn main() -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    ensure!(
        cores >= 2,
        "the webhook benchmark needs two cores (server, load); this machine offers {cores}"
    );
    // Before any other thread exists, so every thread of this process stays on LOAD_CORE.
    pin_this_process(LOAD_CORE)?;
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build of the load generator; run with --release");
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let receiver = Receiver::start().await?;
    let mut portal = Portal::start(dir.path())?;
    portal.wait_until_up().await?;
    let (token, secret) = portal.set_up(&receiver.url()).await?;
    receiver.use_secret(&secret)?;
    let publisher = Publisher {
        addr: portal.addr,
        authorization: format!("Bearer {token}"),
    };
    let pid = portal.child.id();

    publisher
        .scenario(&receiver, WARM_UP, None, pid)
        .await
        .context("warming up")?;
    let ok = publisher
        .scenario(&receiver, MESSAGES, None, pid)
        .await
        .context("the scenario without failures")?;
    let failing = publisher
        .scenario(&receiver, MESSAGES, Some(FAIL_EVERY), pid)
        .await
        .context("the scenario with failing first attempts")?;
    drop(portal);

    println!(
        "webhook deliveries: POST /v1/events -> signed POST to a receiver in the load generator; \
         {PUBLISHERS} publishers in a closed loop, {MESSAGES} events per scenario; \
         server on core {SERVER_CORE}, load and receiver on core {LOAD_CORE}"
    );
    println!(
        "latency: publish sent -> event received (answered 2xx); \
         msg/s: events / (first publish sent -> last event received)"
    );
    println!(
        "{:<36} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12}",
        "scenario", "msg/s", "p50", "p95", "p99", "max", "202 p50", "server CPU"
    );
    let percent = 100 / FAIL_EVERY;
    for (name, run) in [
        ("every first attempt succeeds".to_owned(), &ok),
        (
            format!("{percent} % of first attempts fail (500)"),
            &failing,
        ),
    ] {
        println!(
            "{name:<36} {:>7.0} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6.0} µs/msg",
            run.stats.per_second(),
            ms(run.stats.percentile(50.0)),
            ms(run.stats.percentile(95.0)),
            ms(run.stats.percentile(99.0)),
            ms(run.stats.percentile(100.0)),
            ms(run.published.percentile(50.0)),
            run.server_cpu.as_secs_f64() * 1e6 / run.stats.count as f64,
        );
    }
    println!(
        "{:<36} {:>7} {:>10}   (from the issue, same kind of machine)",
        "svix-server + PostgreSQL",
        format!("~{SVIX_RATE:.0}"),
        format!("~{}", ms(SVIX_P50)),
    );
    println!(
        "with failures: the failed {percent} % arrive on the first retry, {} s later by the \
         retry schedule; that wait is their latency (p95 and up) and stretches msg/s: expected",
        RETRY_SCHEDULE[0]
    );
    for (name, run) in [("first", &ok), ("second", &failing)] {
        println!(
            "{name} scenario: {} requests to the receiver, {} signatures did not verify, \
             {} duplicate deliveries; {:.0} server context switches per event",
            run.requests,
            run.bad_signatures,
            run.duplicates,
            run.switches as f64 / run.stats.count as f64,
        );
        if run.others > NOISE_CORES {
            println!(
                "warning: other processes kept {:.2} cores busy during the {name} scenario; \
                 its figures are not reliable",
                run.others
            );
        }
    }
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let rate = ok.stats.per_second();
    let p50 = ok.stats.percentile(50.0);
    println!(
        "target msg/s >= {TARGET_RATE:.0} (no failures): {} ({rate:.0}, {:.1}x svix-server)",
        verdict(rate >= TARGET_RATE),
        rate / SVIX_RATE
    );
    println!(
        "target p50 <= {} (no failures): {} ({})",
        ms(TARGET_P50),
        verdict(p50 <= TARGET_P50),
        ms(p50)
    );
    ensure!(
        ok.bad_signatures == 0 && failing.bad_signatures == 0,
        "some deliveries were not signed with the endpoint's secret"
    );
    Ok(())
}

/// `taskset -a -p -c <core> <this process>`.
fn pin_this_process(core: &str) -> anyhow::Result<()> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", core, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .context("taskset (util-linux) is needed to pin the benchmark to cores")?;
    ensure!(status.success(), "taskset could not pin the load generator");
    Ok(())
}

/// A free port on 127.0.0.1 (free when asked; the server binds it next).
fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Our release binary pinned to `SERVER_CORE`, with a fresh database in a
/// temporary folder and its output in a file there; killed on drop.
struct Portal {
    child: Child,
    log: PathBuf,
    addr: SocketAddr,
}

impl Portal {
    fn start(dir: &Path) -> anyhow::Result<Self> {
        let program = std::env::current_exe()?.with_file_name("portal-server");
        ensure!(
            program.exists(),
            "{} is missing: run `cargo build --release -p portal-server` first",
            program.display()
        );
        let addr = free_addr()?;
        let mut command = Command::new("taskset");
        command.args(["-c", SERVER_CORE]).arg(&program);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PORTAL_") {
                command.env_remove(key);
            }
        }
        command
            .env("PORTAL_ADDR", addr.to_string())
            .env("PORTAL_PUBLIC_URL", format!("http://{addr}"))
            .env(
                "PORTAL_DATABASE_URL",
                format!("sqlite://{}/portal.db", dir.display()),
            )
            .env("PORTAL_DATA_DIR", dir)
            .env("PORTAL_DIST", dir.join("no-dist"))
            // Warnings only, but the mail (the confirmation link) is printed.
            .env("PORTAL_LOG", "warn,portal_server::mail=info")
            // The receiver is on 127.0.0.1.
            .env("PORTAL_WEBHOOK_ALLOW_PRIVATE", "true");
        let log = dir.join("portal-server.log");
        let out = std::fs::File::create(&log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting portal-server")?;
        Ok(Self { child, log, addr })
    }

    fn at(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_until_up(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("portal-server exited ({status}):\n{}", self.log());
            }
            if let Ok(response) = client.get(self.at("/api/health")).send().await
                && response.status() == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("portal-server did not come up:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs up (the confirmation link comes from the log), creates a sandbox
    /// project, one endpoint at `hook_url` for `EVENT_TYPE`, and a
    /// `write` credential; returns an access token of it and the endpoint's
    /// signing secret.
    async fn set_up(&self, hook_url: &str) -> anyhow::Result<(String, String)> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("origin", self.at("").parse()?);
        headers.insert("x-portal-request", "1".parse()?);
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .build()?;
        let post = |client: &reqwest::Client, path: &str, body: Value| {
            let request = client.post(self.at(path)).json(&body);
            async move {
                let response = request.send().await?;
                let status = response.status();
                let text = response.text().await?;
                ensure!(status.is_success(), "{status}: {text}");
                anyhow::Ok(serde_json::from_str::<Value>(&text).unwrap_or(Value::Null))
            }
        };
        post(
            &browser,
            "/api/signup",
            json!({ "organisation_name": "Bench Org", "full_name": "Ada Lovelace",
                "email": "bench@acme.test", "password": "correct horse battery", "pin": PIN }),
        )
        .await
        .context("signing up")?;
        let token = self.confirmation_token().await?;
        post(&browser, "/api/signup/confirm", json!({ "token": token }))
            .await
            .context("confirming the sign-up")?;
        let project = post(
            &browser,
            "/api/projects",
            json!({ "name": "Bench", "environment": "sandbox" }),
        )
        .await
        .context("creating a project")?;
        let project = project["id"].as_str().context("a project id")?;
        let hook = post(
            &browser,
            &format!("/api/projects/{project}/webhooks"),
            json!({ "url": hook_url, "description": "Webhook benchmark",
                "event_types": [EVENT_TYPE] }),
        )
        .await
        .context("adding the webhook endpoint")?;
        let secret = hook["secret"].as_str().context("a signing secret")?;
        let credential = post(
            &browser,
            &format!("/api/projects/{project}/credentials"),
            json!({ "description": "Webhook benchmark", "scopes": ["write"], "pin": PIN }),
        )
        .await
        .context("creating a credential")?;
        let issued = post(
            &reqwest::Client::new(),
            "/v1/auth/token",
            json!({ "grant_type": "client_credentials", "client_id": credential["client_id"],
                "client_secret": credential["client_secret"], "scope": "write" }),
        )
        .await
        .context("getting an access token")?;
        let access = issued["access_token"].as_str().context("an access token")?;
        Ok((access.to_owned(), secret.to_owned()))
    }

    /// The token of the confirmation link the server printed.
    async fn confirmation_token(&self) -> anyhow::Result<String> {
        const MARKER: &str = "/signup/confirm?token=";
        for _ in 0..50 {
            let log = self.log();
            if let Some(start) = log.find(MARKER) {
                return Ok(log[start + MARKER.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no confirmation link in the log:\n{}", self.log())
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The webhook receiver: an HTTP/1.1 server on 127.0.0.1 in this process.
#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// The signing key: the base64 after `whsec_`, decoded.
    key: Mutex<Vec<u8>>,
    book: Mutex<Book>,
    /// Every expected event has arrived.
    complete: Notify,
}

/// What the receiver saw during one scenario.
#[derive(Default)]
struct Book {
    /// Answer 500 to the first attempt of events whose `data.seq` is a multiple of this.
    fail_every: Option<u64>,
    expected: usize,
    /// When each `webhook-id` first arrived and was answered 2xx.
    received: HashMap<String, Instant>,
    /// Ids whose first attempt was answered 500.
    failed: HashSet<String>,
    requests: usize,
    bad_signatures: usize,
    duplicates: usize,
}

impl Receiver {
    async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let receiver = Self {
            addr: listener.local_addr()?,
            shared: Arc::default(),
        };
        let shared = receiver.shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(shared.receive(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(receiver)
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn use_secret(&self, secret: &str) -> anyhow::Result<()> {
        let key = STANDARD.decode(
            secret
                .strip_prefix("whsec_")
                .context("a secret starting with whsec_")?,
        )?;
        *self.shared.key.lock().unwrap() = key;
        Ok(())
    }

    /// Starts a scenario: `expected` new events, failing as told.
    fn expect(&self, expected: usize, fail_every: Option<u64>) {
        *self.shared.book.lock().unwrap() = Book {
            fail_every,
            expected,
            ..Book::default()
        };
    }

    /// Waits until every expected event has arrived, at most `timeout`.
    async fn wait(&self, timeout: Duration) -> anyhow::Result<Book> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.complete.notified();
            {
                let book = self.shared.book.lock().unwrap();
                if book.received.len() >= book.expected {
                    break;
                }
                if tokio::time::Instant::now() >= deadline {
                    bail!(
                        "{} of {} events arrived within {}s of the last publish \
                         ({} signatures did not verify)",
                        book.received.len(),
                        book.expected,
                        timeout.as_secs(),
                        book.bad_signatures
                    );
                }
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
        Ok(std::mem::take(&mut *self.shared.book.lock().unwrap()))
    }
}

impl Shared {
    async fn receive(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let now = Instant::now();
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        let id = header("webhook-id");
        let verified = {
            let key = self.key.lock().unwrap();
            verify(
                &key,
                id,
                header("webhook-timestamp"),
                &body,
                header("webhook-signature"),
            )
        };
        let seq = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|event| event["data"]["seq"].as_u64());
        let answer = |status: StatusCode| {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = status;
            response
        };

        let mut book = self.book.lock().unwrap();
        book.requests += 1;
        if !verified {
            book.bad_signatures += 1;
            return answer(StatusCode::BAD_REQUEST);
        }
        let fails = book
            .fail_every
            .zip(seq)
            .is_some_and(|(every, seq)| seq % every == 0);
        if fails && book.failed.insert(id.to_owned()) {
            return answer(StatusCode::INTERNAL_SERVER_ERROR);
        }
        if book.received.contains_key(id) {
            book.duplicates += 1;
        } else {
            book.received.insert(id.to_owned(), now);
            if book.received.len() == book.expected {
                self.complete.notify_one();
            }
        }
        answer(StatusCode::OK)
    }
}

/// A Standard Webhooks signature check: one of the space-separated
/// `v1,<base64>` signatures is the HMAC-SHA256 of `id.timestamp.body`.
fn verify(key: &[u8], id: &str, timestamp: &str, body: &[u8], signatures: &str) -> bool {
    if key.is_empty() || id.is_empty() || timestamp.is_empty() {
        return false;
    }
    signatures.split(' ').any(|signature| {
        let Some(Ok(signature)) = signature.strip_prefix("v1,").map(|s| STANDARD.decode(s)) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&signature).is_ok()
    })
}

/// Publishes events to the server with a `write` access token.
struct Publisher {
    addr: SocketAddr,
    authorization: String,
}

type Connection = SendRequest<Full<Bytes>>;

/// What one scenario measured.
struct Run {
    /// Publish sent -> first 2xx receipt, per event; over first publish -> last receipt.
    stats: Stats,
    /// Publish sent -> 202 answered.
    published: Stats,
    requests: usize,
    bad_signatures: usize,
    duplicates: usize,
    /// CPU time of the server (all its threads) during the scenario.
    server_cpu: Duration,
    /// Context switches of the server's threads during the scenario.
    switches: u64,
    /// Cores kept busy by other processes than the server and this one.
    others: f64,
}

impl Publisher {
    /// One HTTP/1.1 keep-alive connection.
    async fn connect(&self) -> anyhow::Result<Connection> {
        let stream = tokio::net::TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Publishes event number `seq`; returns its id, once answered 202.
    async fn publish(&self, connection: &mut Connection, seq: usize) -> anyhow::Result<String> {
        let body = format!(r#"{{"type":"{EVENT_TYPE}","data":{{"seq":{seq}}}}}"#);
        let request = Request::post("/v1/events")
            .header(header::HOST, self.addr.to_string())
            .header(header::AUTHORIZATION, &self.authorization)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body)))?;
        connection
            .ready()
            .await
            .context("the server closed a keep-alive connection")?;
        let response = connection.send_request(request).await?;
        let status = response.status();
        let answer = response.into_body().collect().await?.to_bytes();
        ensure!(
            status == StatusCode::ACCEPTED,
            "POST /v1/events answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
        let event: Value = serde_json::from_slice(&answer)?;
        ensure!(
            event["deliveries"] == 1,
            "the event should go to the one endpoint: {event}"
        );
        Ok(event["id"].as_str().context("an event id")?.to_owned())
    }

    /// `count` events from `PUBLISHERS` publishers in a closed loop, then
    /// waits until the receiver has every one.
    async fn scenario(
        &self,
        receiver: &Receiver,
        count: usize,
        fail_every: Option<u64>,
        server_pid: u32,
    ) -> anyhow::Result<Run> {
        let mut connections = Vec::with_capacity(PUBLISHERS);
        for _ in 0..PUBLISHERS {
            connections.push(self.connect().await?);
        }
        receiver.expect(count, fail_every);
        let this = Arc::new(Self {
            addr: self.addr,
            authorization: self.authorization.clone(),
        });
        let next = Arc::new(AtomicUsize::new(0));
        let before = CpuTime::now(server_pid);
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for mut connection in connections {
            let (this, next) = (this.clone(), next.clone());
            tasks.spawn(async move {
                let mut sent = Vec::with_capacity(count / PUBLISHERS + 1);
                loop {
                    let seq = next.fetch_add(1, Ordering::Relaxed);
                    if seq >= count {
                        break;
                    }
                    let at = Instant::now();
                    let id = this.publish(&mut connection, seq).await?;
                    sent.push((id, at, at.elapsed()));
                }
                anyhow::Ok(sent)
            });
        }
        let mut sent = Vec::with_capacity(count);
        while let Some(task) = tasks.join_next().await {
            sent.extend(task??);
        }
        let book = receiver.wait(DRAIN_TIMEOUT).await?;
        let after = CpuTime::now(server_pid);

        let mut latencies = Vec::with_capacity(count);
        let mut acknowledged = Vec::with_capacity(count);
        for (id, at, answered) in &sent {
            let received = book
                .received
                .get(id)
                .with_context(|| format!("event {id} was acknowledged but never arrived"))?;
            latencies.push(received.saturating_duration_since(*at));
            acknowledged.push(*answered);
        }
        ensure!(
            book.received.len() == sent.len(),
            "the receiver got {} events that were not published",
            book.received.len() - sent.len()
        );
        let last = book.received.values().max().copied().unwrap_or(start);
        let elapsed = last - start;
        Ok(Run {
            stats: Stats::new(latencies, elapsed),
            published: Stats::new(acknowledged, elapsed),
            requests: book.requests,
            bad_signatures: book.bad_signatures,
            duplicates: book.duplicates,
            server_cpu: Duration::from_secs_f64(
                (after.server - before.server) as f64 / CLOCK_TICKS_PER_SECOND,
            ),
            switches: after.switches.saturating_sub(before.switches),
            others: after.others_since(&before, start.elapsed()),
        })
    }
}

/// CPU time from /proc, in clock ticks: all cores busy, and the part of it
/// spent by the server and by this process; and the server's context switches.
struct CpuTime {
    busy: u64,
    server: u64,
    this: u64,
    switches: u64,
}

impl CpuTime {
    fn now(server_pid: u32) -> Self {
        let busy = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|stat| {
                let line = stat.lines().next()?.to_owned();
                let ticks: Vec<u64> = line
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|n| n.parse().ok())
                    .collect();
                // user nice system idle iowait irq softirq steal: all but idle and iowait.
                Some(ticks.iter().take(8).sum::<u64>() - ticks.get(3)? - ticks.get(4)?)
            })
            .unwrap_or(0);
        let process = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // After "pid (comm) ": utime and stime are the 12th and 13th fields.
                    let fields: Vec<u64> = stat
                        .rsplit_once(')')?
                        .1
                        .split_whitespace()
                        .skip(11)
                        .take(2)
                        .filter_map(|n| n.parse().ok())
                        .collect();
                    Some(fields.iter().sum::<u64>())
                })
                .unwrap_or(0)
        };
        Self {
            busy,
            server: process(server_pid),
            this: process(std::process::id()),
            switches: context_switches(server_pid),
        }
    }

    /// Cores kept busy by other processes since `before`, `elapsed` ago.
    fn others_since(&self, before: &Self, elapsed: Duration) -> f64 {
        let ours = (self.server - before.server) + (self.this - before.this);
        let others = (self.busy - before.busy).saturating_sub(ours);
        others as f64 / CLOCK_TICKS_PER_SECOND / elapsed.as_secs_f64()
    }
}

/// Voluntary and involuntary context switches of all of a process's threads.
fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// USER_HZ: 100 on every Linux architecture we run on.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;
