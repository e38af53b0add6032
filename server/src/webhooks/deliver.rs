//! The delivery worker: takes due deliveries, sends each as a signed POST
//! (15 s timeout, no redirects, only to public addresses unless allowed),
//! and records the attempt. `2xx` succeeds; `410` disables the endpoint;
//! anything else is retried on the schedule, and an endpoint whose delivery
//! runs out of retries without a success since is disabled and its admins
//! are told.
//!
//! Durable by construction: a delivery is a row written with its event, the
//! worker only holds it (`leased`) while sending and until its attempt is
//! recorded, and start-up releases what a killed process held. Delivery is
//! at least once, with the same `webhook-id` every time.
//!
//! Few round trips to the database, and no waiting for the pool: the worker
//! claims on a connection of its own, with each delivery a fingerprint of its
//! endpoint, so endpoints (secrets opened) are kept and read again only when
//! they changed; one writer, on another connection of its own, records the
//! attempts that finished meanwhile together, in one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use portal_contract::webhooks::{DeliveryStatus, RETRY_SCHEDULE};
use reqwest::Url;
use reqwest::redirect::Policy;
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tokio::sync::{Notify, Semaphore, mpsc};

use crate::db::{self, webhooks::Attempt, webhooks::Due, webhooks::Recorded, webhooks::Webhook};
use crate::mail::Mail;
use crate::state::AppState;
use crate::webhooks::{signing, ssrf};

/// Deliveries being sent at once.
pub const CONCURRENCY: usize = 64;
/// How long a receiver gets to answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a response body the log keeps.
const EXCERPT_BYTES: usize = 1024;
/// How often the worker looks for retries that came due (new events wake it at once).
const POLL: Duration = Duration::from_millis(250);
/// Attempts sent but not recorded yet, at most; and recorded in one transaction, at most.
const UNRECORDED: usize = 1024;
const RECORD_BATCH: usize = 256;
/// How long the worker waits for another connection's write, as SQLite's
/// busy timeout does for the pool's connections.
const LOCKED_FOR: Duration = Duration::from_secs(5);
/// Endpoints kept between claims, at most.
const ENDPOINTS_KEPT: usize = 1024;
/// Under load, the least time between two claims; and how long the writer
/// lets attempts gather before recording them.
const CLAIM_GAP: Duration = Duration::from_millis(2);
const RECORD_GAP: Duration = Duration::from_millis(10);

pub struct Deliverer {
    wake: Notify,
    /// Claims made so far: a test that moves the clock waits for the next
    /// ones before it says "nothing came due".
    passes: AtomicU64,
    client: reqwest::Client,
    allow_private: bool,
}

impl Deliverer {
    pub fn new(allow_private: bool) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!(
                "PartnerPortal-Webhooks/",
                env!("CARGO_PKG_VERSION")
            ))
            .dns_resolver(Arc::new(ssrf::GuardedResolver { allow_private }))
            .pool_max_idle_per_host(CONCURRENCY)
            .build()?;
        Ok(Self {
            wake: Notify::new(),
            passes: AtomicU64::new(0),
            client,
            allow_private,
        })
    }

    /// Tells the worker that deliveries were written.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// How many times the worker has looked for due deliveries.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::SeqCst)
    }
}

/// Runs forever: claims due deliveries and attempts each, `CONCURRENCY` at a
/// time.
pub async fn run(state: AppState) {
    let sending = Arc::new(Semaphore::new(CONCURRENCY));
    let (finished, results) = mpsc::channel(UNRECORDED);
    tokio::spawn(record(state.clone(), results));
    let mut conn = OwnConnection::new(&state);
    let mut endpoints = HashMap::new();
    let mut last_claim: Option<Instant> = None;
    loop {
        // Under load, claims come at most every CLAIM_GAP and take what came
        // due meanwhile, rather than one or two deliveries per event.
        if let Some(last) = last_claim {
            tokio::time::sleep_until((last + CLAIM_GAP).into()).await;
        }
        last_claim = Some(Instant::now());
        let free = sending.available_permits() as i64;
        let due = if free == 0 {
            Vec::new()
        } else {
            let claimed = claim(&state, &mut conn, &mut endpoints, free).await;
            state.deliverer.passes.fetch_add(1, Ordering::SeqCst);
            match claimed {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim due deliveries");
                    conn.after(&e);
                    Vec::new()
                }
            }
        };
        if due.is_empty() {
            tokio::select! {
                _ = state.deliverer.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
            continue;
        }
        for (due, endpoint) in due {
            let permit = sending.clone().acquire_owned().await.expect("never closed");
            let (state, finished) = (state.clone(), finished.clone());
            tokio::spawn(async move {
                let result = attempt(&state, &due, &endpoint).await;
                // Recorded soon; the delivery stays held until then.
                let _ = finished.send(Finished { endpoint, result }).await;
                drop(permit);
                // A slot is free: there may be more waiting.
                state.deliverer.wake();
            });
        }
    }
}

/// A database connection of the worker's own. Not from the pool, so the
/// worker never waits behind request handlers for one; and without SQLite's
/// busy handler, which sleeps 1, 2, 5, 10… ms while another connection
/// writes: the worker tries again itself, sooner (`Locked`).
struct OwnConnection {
    options: SqliteConnectOptions,
    conn: Option<SqliteConnection>,
}

impl OwnConnection {
    fn new(state: &AppState) -> Self {
        Self {
            options: (*state.db.connect_options())
                .clone()
                .busy_timeout(Duration::ZERO),
            conn: None,
        }
    }

    async fn get(&mut self) -> sqlx::Result<&mut SqliteConnection> {
        if self.conn.is_none() {
            self.conn = Some(self.options.connect().await?);
        }
        Ok(self.conn.as_mut().expect("just opened"))
    }

    /// After an error: a connection that failed other than in the database
    /// is opened again next time.
    fn after(&mut self, e: &anyhow::Error) {
        if e.downcast_ref::<sqlx::Error>()
            .is_none_or(|e| !matches!(e, sqlx::Error::Database(_)))
        {
            self.conn = None;
        }
    }
}

/// Waiting for another connection's write to end, for at most `LOCKED_FOR`:
/// first by letting the other tasks run (the writer usually needs only this
/// thread to finish), then 1 ms at a time.
struct Locked {
    tries: u32,
    since: Instant,
}

impl Locked {
    fn new() -> Self {
        Self {
            tries: 0,
            since: Instant::now(),
        }
    }

    /// Whether to try again after `e`, having waited.
    async fn again(&mut self, e: &sqlx::Error) -> bool {
        // SQLITE_BUSY and its extended codes.
        let busy = matches!(e, sqlx::Error::Database(d)
            if d.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 5));
        if !busy || self.since.elapsed() > LOCKED_FOR {
            return false;
        }
        self.tries += 1;
        if self.tries <= 3 {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        true
    }
}

/// An endpoint as read, with its secrets opened.
struct Endpoint {
    webhook: Webhook,
    /// As `claim_due` gives it: when a claim gives another, this is stale.
    fingerprint: String,
    secret: String,
    /// The previous secret, and until when it signs too.
    previous: Option<(String, i64)>,
}

impl Endpoint {
    fn open(state: &AppState, webhook: Webhook) -> anyhow::Result<Self> {
        let secret = state.vault.open(&webhook.id, &webhook.secret)?;
        let previous = match (&webhook.previous_secret, webhook.previous_secret_until) {
            (Some(sealed), Some(until)) => Some((state.vault.open(&webhook.id, sealed)?, until)),
            _ => None,
        };
        Ok(Self {
            fingerprint: db::webhooks::endpoint_fingerprint(&webhook),
            webhook,
            secret,
            previous,
        })
    }
}

/// Takes up to `limit` due deliveries, each with its endpoint as it is now.
/// Endpoints are kept between claims with their secrets opened, and read
/// again when the claim shows that one changed (URL, enabled, a secret): a
/// rotation or a disable counts from the next claim on, as when each claim
/// read them. Deliveries of endpoints that are disabled or gone end without
/// an attempt.
async fn claim(
    state: &AppState,
    conn: &mut OwnConnection,
    endpoints: &mut HashMap<String, Arc<Endpoint>>,
    limit: i64,
) -> anyhow::Result<Vec<(Due, Arc<Endpoint>)>> {
    let now = state.now();
    let mut locked = Locked::new();
    let due = loop {
        match db::webhooks::claim_due(conn.get().await?, now, limit).await {
            Ok(due) => break due,
            Err(e) if locked.again(&e).await => {}
            Err(e) => return Err(e.into()),
        }
    };
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let mut unopened = HashSet::new();
    let mut stale: Vec<&str> = due
        .iter()
        .filter(|d| {
            d.endpoint.is_some()
                && endpoints
                    .get(&d.webhook_id)
                    .is_none_or(|e| Some(&e.fingerprint) != d.endpoint.as_ref())
        })
        .map(|d| d.webhook_id.as_str())
        .collect();
    stale.sort_unstable();
    stale.dedup();
    if !stale.is_empty() {
        if endpoints.len() >= ENDPOINTS_KEPT {
            endpoints.clear();
        }
        for id in &stale {
            endpoints.remove(*id);
        }
        let read = match conn.get().await {
            Ok(c) => db::webhooks::by_ids(c, &stale).await,
            Err(e) => Err(e),
        };
        let webhooks = match read {
            Ok(webhooks) => webhooks,
            Err(e) => {
                release(state, due.iter().map(|d| d.id.as_str())).await;
                return Err(e.into());
            }
        };
        for webhook in webhooks {
            let id = webhook.id.clone();
            match Endpoint::open(state, webhook) {
                Ok(endpoint) => {
                    endpoints.insert(id, Arc::new(endpoint));
                }
                Err(e) => {
                    tracing::warn!(webhook = %id, error = %e, "could not open a signing secret");
                    unopened.insert(id);
                }
            }
        }
    }
    let mut claimed = Vec::with_capacity(due.len());
    let mut held = Vec::new();
    let mut ended = Vec::new();
    for d in due {
        if d.endpoint.is_none() {
            ended.push(d.id);
            continue;
        }
        match endpoints.get(&d.webhook_id) {
            Some(e) if e.webhook.enabled => claimed.push((d, e.clone())),
            // Its secret would not open: due again later rather than held
            // until the next start.
            None if unopened.contains(&d.webhook_id) => held.push(d.id),
            // Disabled, or deleted since the claim.
            _ => ended.push(d.id),
        }
    }
    release(state, held.iter().map(String::as_str)).await;
    for id in ended {
        if let Err(e) = db::webhooks::abandon(&state.db, &id).await {
            tracing::warn!(delivery = %id, error = %e, "could not end a delivery");
            release(state, std::iter::once(id.as_str())).await;
        }
    }
    Ok(claimed)
}

/// Lets go of held deliveries that could not be attempted or recorded: due
/// again after the first wait of the schedule rather than held until the
/// next start.
async fn release(state: &AppState, ids: impl Iterator<Item = &str>) {
    let ids: Vec<&str> = ids.collect();
    if ids.is_empty() {
        return;
    }
    let at = state.now() + RETRY_SCHEDULE[0];
    if let Err(e) = db::webhooks::release(&state.db, &ids, at).await {
        tracing::warn!(error = %e, "could not release held deliveries");
    }
}

/// A finished attempt on its way to the writer.
struct Finished {
    endpoint: Arc<Endpoint>,
    result: Attempted,
}

/// What an attempt did and what it means for its delivery.
struct Attempted {
    recorded: Recorded,
    succeeded: bool,
    gone: bool,
}

/// What came back from one request.
struct Outcome {
    status: Option<u16>,
    excerpt: String,
    error: Option<String>,
}

async fn attempt(state: &AppState, due: &Due, endpoint: &Endpoint) -> Attempted {
    let now = state.now();
    let mut signatures = vec![signing::sign(
        &endpoint.secret,
        &due.event_id,
        now,
        &due.body,
    )];
    if let Some((previous, until)) = &endpoint.previous
        && *until > now
    {
        signatures.push(signing::sign(previous, &due.event_id, now, &due.body));
    }
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("webhook-id".to_owned(), due.event_id.clone()),
        ("webhook-timestamp".to_owned(), now.to_string()),
        ("webhook-signature".to_owned(), signatures.join(" ")),
    ];

    let started = Instant::now();
    let outcome = send(state, &endpoint.webhook.url, &headers, &due.body).await;
    let latency_ms = started.elapsed().as_millis() as i64;
    let succeeded = outcome.status.is_some_and(|s| (200..300).contains(&s));
    let gone = outcome.status == Some(410);
    let retry_in = RETRY_SCHEDULE.get(due.attempts as usize).copied();
    let (status, next_attempt_at) = match (succeeded, gone, retry_in) {
        (true, _, _) => (DeliveryStatus::Succeeded, None),
        (false, false, Some(wait)) => (DeliveryStatus::Pending, Some(now + wait)),
        _ => (DeliveryStatus::Failed, None),
    };
    Attempted {
        recorded: Recorded {
            attempt: Attempt {
                delivery_id: due.id.clone(),
                attempt: due.attempts + 1,
                started_at: now,
                request_headers: serde_json::to_string(&headers).expect("strings serialise"),
                response_status: outcome.status,
                response_excerpt: outcome.excerpt,
                latency_ms,
                error: outcome.error,
            },
            status,
            next_attempt_at,
        },
        succeeded,
        gone,
    }
}

/// The writer: records the attempts that finished while it wrote the
/// previous ones, together.
async fn record(state: AppState, mut finished: mpsc::Receiver<Finished>) {
    let mut conn = OwnConnection::new(&state);
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    while finished.recv_many(&mut batch, RECORD_BATCH).await > 0 {
        // Let more finish: fewer, bigger transactions.
        if batch.len() < RECORD_BATCH {
            tokio::time::sleep(RECORD_GAP).await;
        }
        while batch.len() < RECORD_BATCH {
            match finished.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        match write(&mut conn, &batch).await {
            Ok(disabled) => {
                for endpoint in disabled {
                    tell_admins(&state, &endpoint.webhook).await;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, count = batch.len(), "could not record delivery attempts");
                conn.after(&e);
                release(
                    &state,
                    batch
                        .iter()
                        .map(|f| f.result.recorded.attempt.delivery_id.as_str()),
                )
                .await;
            }
        }
        batch.clear();
    }
}

/// Records a batch of attempts, and what they mean for their endpoints, in
/// one transaction. Returns the endpoints it disabled for failing.
async fn write(conn: &mut OwnConnection, batch: &[Finished]) -> anyhow::Result<Vec<Arc<Endpoint>>> {
    // Endpoints with anything but successes here get their attempts' effects
    // one by one, in order; the others only need `failing_since` cleared.
    let troubled: HashSet<&str> = batch
        .iter()
        .filter(|f| !f.result.succeeded)
        .map(|f| f.endpoint.webhook.id.as_str())
        .collect();
    let mut succeeded: Vec<&str> = batch
        .iter()
        .map(|f| f.endpoint.webhook.id.as_str())
        .filter(|id| !troubled.contains(id))
        .collect();
    succeeded.sort_unstable();
    succeeded.dedup();
    let recorded: Vec<Recorded> = batch.iter().map(|f| f.result.recorded.clone()).collect();
    let mut locked = Locked::new();

    if troubled.is_empty() {
        // The usual case: begun, written and committed in one round trip.
        loop {
            let c = conn.get().await?;
            match db::webhooks::record_attempts_committed(c, &recorded, &succeeded).await {
                Ok(()) => return Ok(Vec::new()),
                Err(e) if locked.again(&e).await => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let c = conn.get().await?;
    loop {
        match sqlx::query("BEGIN IMMEDIATE").execute(&mut *c).await {
            Ok(_) => break,
            Err(e) if locked.again(&e).await => {}
            Err(e) => return Err(e.into()),
        }
    }
    let done = write_in_transaction(c, batch, &troubled, &recorded, &succeeded).await;
    if done.is_err() {
        let _ = sqlx::query("ROLLBACK").execute(&mut *c).await;
    }
    done
}

/// `write` once the transaction is begun; commits it.
async fn write_in_transaction(
    c: &mut SqliteConnection,
    batch: &[Finished],
    troubled: &HashSet<&str>,
    recorded: &[Recorded],
    succeeded: &[&str],
) -> anyhow::Result<Vec<Arc<Endpoint>>> {
    db::webhooks::record_attempts(c, recorded, succeeded).await?;
    let mut disabled = Vec::new();
    // Per endpoint, whether `failing_since` was last cleared (true) or set
    // (false) here: the same again changes nothing.
    let mut failing_cleared: HashMap<&str, bool> = HashMap::new();
    for f in batch {
        let webhook = &f.endpoint.webhook;
        if !troubled.contains(webhook.id.as_str()) {
            continue;
        }
        let Recorded {
            attempt, status, ..
        } = &f.result.recorded;
        if f.result.succeeded {
            if failing_cleared.insert(&webhook.id, true) != Some(true) {
                db::webhooks::set_failing_since(&mut *c, &webhook.id, None).await?;
            }
        } else if f.result.gone {
            db::webhooks::disable(c, &webhook.id, "gone").await?;
            tracing::info!(webhook = %webhook.id, "endpoint answered 410 Gone: disabled");
        } else if *status == DeliveryStatus::Failed {
            // Out of retries, and nothing got through since this one first failed.
            if db::webhooks::failing_since_first_try(
                &mut *c,
                &webhook.id,
                &attempt.delivery_id,
                attempt.started_at,
            )
            .await?
                && db::webhooks::disable(c, &webhook.id, "failing").await?
            {
                disabled.push(f.endpoint.clone());
            }
        } else if failing_cleared.insert(&webhook.id, false) != Some(false) {
            db::webhooks::mark_failing(&mut *c, &webhook.id, attempt.started_at).await?;
        }
    }
    sqlx::query("COMMIT").execute(&mut *c).await?;
    Ok(disabled)
}

async fn send(state: &AppState, url: &str, headers: &[(String, String)], body: &str) -> Outcome {
    let failed = |e: String| Outcome {
        status: None,
        excerpt: String::new(),
        error: Some(e),
    };
    let url = match Url::parse(url) {
        Ok(u) => u,
        Err(_) => return failed("The URL is not valid.".into()),
    };
    if let Err(refused) = ssrf::check_literal(&url, state.deliverer.allow_private) {
        return failed(refused.into());
    }
    let mut request = state.deliverer.client.post(url).body(body.to_owned());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return failed("No answer within 15 seconds.".into()),
        Err(e) if format!("{e:?}").contains(ssrf::REFUSED) => return failed(ssrf::REFUSED.into()),
        Err(e) if e.is_connect() => return failed("Could not connect to the endpoint.".into()),
        Err(e) => return failed(format!("The request failed: {e}")),
    };
    let status = response.status().as_u16();
    let mut excerpt = Vec::new();
    while excerpt.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
            _ => break,
        }
    }
    excerpt.truncate(EXCERPT_BYTES);
    Outcome {
        status: Some(status),
        excerpt: String::from_utf8_lossy(&excerpt).into_owned(),
        error: None,
    }
}

/// Mails the organisation's admins that an endpoint was disabled.
async fn tell_admins(state: &AppState, webhook: &db::webhooks::Webhook) {
    tracing::warn!(webhook = %webhook.id, "endpoint kept failing: disabled");
    let Ok(admins) = db::webhooks::admin_emails(&state.db, &webhook.organisation_id).await else {
        return;
    };
    let link = format!(
        "{}/projects/{}/webhooks/{}",
        state.config.public_url.trim_end_matches('/'),
        webhook.project_id,
        webhook.id
    );
    for to in admins {
        let mail = Mail {
            to,
            subject: "A webhook endpoint was disabled".into(),
            body: format!(
                "Deliveries to {} kept failing until they ran out of retries, so the endpoint is disabled and gets no new events.\n\n\
                 See the delivery log, fix the receiver, then enable the endpoint again and redeliver what it missed:\n{link}\n",
                webhook.url
            ),
        };
        if let Err(e) = state
            .mailer
            .send(&state.db, state.clock.as_ref(), mail)
            .await
        {
            tracing::warn!(error = %e, "could not mail about a disabled endpoint");
        }
    }
}
