//! The delivery worker: takes due deliveries, sends each as a signed POST
//! (15 s timeout, no redirects, only to public addresses unless allowed),
//! and records the attempt. `2xx` succeeds; `410` disables the endpoint;
//! anything else is retried on the schedule, and an endpoint whose delivery
//! runs out of retries without a success since is disabled and its admins
//! are told.
//!
//! Durable by construction: a delivery is a row written with its event; a
//! worker holds it under a lease (its id, and a time the lease ends, renewed
//! while it sends and until its attempt is recorded), and any worker takes
//! over a lease that ran out because its worker died. Any number of
//! processes run a worker on one database. Delivery is at least once, with
//! the same `webhook-id` every time.
//!
//! Fair: an endpoint, and an organisation, hold only so many of the worker's
//! slots at once, and a claim skips the deliveries of those that are full
//! (`fairness`), so a tenant whose endpoints hang delays no one else.
//!
//! The queue itself (`store::queue`) is the backend's: how it claims and
//! records with few round trips is its business; what an attempt means for
//! its endpoint is `health`'s. Endpoints are kept between claims with their
//! secrets opened, and read again only when a claim shows that one changed
//! (its revision moved).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portal_contract::ids::{DeliveryId, EndpointId};
use portal_contract::webhooks::RETRY_SCHEDULE;
use reqwest::Url;
use reqwest::redirect::Policy;
use tokio::sync::{Notify, Semaphore, mpsc, watch};

use crate::clock::Clock;
use crate::store::Store;
use crate::store::endpoints::Endpoint;
use crate::store::queue::{Attempt, Due, Effect, Lease, Recorded};
pub use crate::webhooks::fairness::CONCURRENCY;
use crate::webhooks::fairness::{ENDPOINT_IN_FLIGHT, Fairness};
use crate::webhooks::health::{self, Health};
use crate::webhooks::vault::Vault;
use crate::webhooks::{signing, ssrf};

/// What the worker works with: the store, the key that opens signing
/// secrets, the clock, its own state, and who to tell when it disables an
/// endpoint.
#[derive(Clone)]
pub struct Worker {
    pub store: Store,
    pub vault: Arc<Vault>,
    pub clock: Arc<dyn Clock>,
    pub deliverer: Arc<Deliverer>,
    pub on_disabled: Arc<dyn OnDisabled>,
}

impl Worker {
    fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// Told when the worker disabled an endpoint because its deliveries kept
/// failing (the use cases mail its admins).
#[async_trait::async_trait]
pub trait OnDisabled: Send + Sync {
    async fn endpoint_disabled(&self, webhook: &Endpoint);
}

/// How long a receiver gets to answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a response body the log keeps.
const EXCERPT_BYTES: usize = 1024;
/// How often the worker looks for retries that came due (new events wake it at once).
const POLL: Duration = Duration::from_millis(250);
/// Attempts sent but not recorded yet, at most; and recorded in one transaction, at most.
const UNRECORDED: usize = 1024;
const RECORD_BATCH: usize = 256;
/// Endpoints kept between claims, at most.
const ENDPOINTS_KEPT: usize = 1024;
/// Under load, the least time between two claims; and how long the writer
/// lets attempts gather before recording them.
const CLAIM_GAP: Duration = Duration::from_millis(2);
const RECORD_GAP: Duration = Duration::from_millis(10);

pub struct Deliverer {
    wake: Arc<Notify>,
    /// Claims made so far: a test that moves the clock waits for the next
    /// ones before it says "nothing came due".
    passes: AtomicU64,
    client: reqwest::Client,
    allow_private: bool,
    /// This process's worker: the owner of its leases, unique per run.
    owner: String,
    /// How long a claim holds a delivery; renewed every quarter of it while
    /// it is sent, so only a dead (or stalled for longer than a lease and a
    /// grace as long) worker's leases are taken over.
    lease: Duration,
    /// Deliveries this worker holds: claimed, and not recorded or let go yet.
    held: Mutex<HashSet<DeliveryId>>,
    /// True once the server stops: no more claims.
    stopping: watch::Sender<bool>,
    /// Attempts in flight by endpoint and organisation.
    fairness: Mutex<Fairness>,
}

impl Deliverer {
    pub fn new(allow_private: bool, lease: Duration) -> anyhow::Result<Self> {
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
            // HTTP_PROXY and friends in the server's environment must not
            // route deliveries: a proxy would reach what the guard refuses.
            .no_proxy()
            .build()?;
        Ok(Self {
            wake: Arc::new(Notify::new()),
            passes: AtomicU64::new(0),
            client,
            allow_private,
            owner: crate::crypto::new_id("wrk_"),
            lease: lease.max(Duration::from_millis(100)),
            held: Mutex::new(HashSet::new()),
            stopping: watch::Sender::new(false),
            fairness: Mutex::new(Fairness::default()),
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

    /// The worker's id, which owns its leases.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Stops claiming; `run` then finishes what it sends and hands back the rest.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    fn lease(&self) -> Lease<'_> {
        Lease {
            owner: &self.owner,
            millis: i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX),
        }
    }

    fn fairness(&self) -> std::sync::MutexGuard<'_, Fairness> {
        self.fairness.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn hold<'a>(&self, ids: impl Iterator<Item = &'a DeliveryId>) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.extend(ids.cloned());
    }

    fn let_go<'a>(&self, ids: impl Iterator<Item = &'a DeliveryId>) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            held.remove(id);
        }
    }
}

/// Claims due deliveries and attempts each, `CONCURRENCY` at a time, until
/// the server stops (`Deliverer::stop`). Then it stops claiming, lets the
/// attempts in flight finish (at most the request timeout) and be recorded,
/// and hands back anything it still holds.
pub async fn run(worker: Worker) {
    let deliverer = &worker.deliverer;
    if let Err(e) = worker.store.queue().listen(deliverer.wake.clone()).await {
        tracing::warn!(error = %e, "could not listen for deliveries written elsewhere; polling");
    }
    tracing::info!(worker = %deliverer.owner, "delivery worker started");
    let sending = Arc::new(Semaphore::new(CONCURRENCY));
    let (finished, results) = mpsc::channel(UNRECORDED);
    let writer = tokio::spawn(record(worker.clone(), results));
    let renewer = tokio::spawn(renew(worker.clone()));
    let mut stopping = deliverer.stopping.subscribe();
    let mut endpoints: HashMap<EndpointId, Arc<Opened>> = HashMap::new();
    let mut last_claim: Option<Instant> = None;
    while !*stopping.borrow() {
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
            let skip = deliverer.fairness().full(
                endpoints
                    .iter()
                    .map(|(id, e)| (id, &e.webhook.organisation_id)),
                Instant::now(),
            );
            let claimed = claim(&worker, &mut endpoints, free, &skip).await;
            deliverer.passes.fetch_add(1, Ordering::SeqCst);
            match claimed {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim due deliveries");
                    Vec::new()
                }
            }
        };
        if due.is_empty() {
            tokio::select! {
                _ = deliverer.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stopping.changed() => {}
            }
            continue;
        }
        for (due, endpoint) in due {
            let permit = sending.clone().acquire_owned().await.expect("never closed");
            let (worker, finished) = (worker.clone(), finished.clone());
            tokio::spawn(async move {
                let result = {
                    let _slot = Slot::taken(&worker.deliverer, &endpoint.webhook);
                    attempt(&worker, &due, &endpoint).await
                };
                // Recorded soon; the delivery stays held until then.
                let _ = finished.send(Finished { endpoint, result }).await;
                drop(permit);
                // A slot is free: there may be more waiting.
                worker.deliverer.wake();
            });
        }
    }
    // Stopping: the attempts in flight end within the request timeout.
    let all = u32::try_from(CONCURRENCY).expect("small");
    if tokio::time::timeout(TIMEOUT + Duration::from_secs(5), sending.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("attempts still running at shutdown; their deliveries are handed back");
    }
    drop(finished);
    let _ = tokio::time::timeout(Duration::from_secs(10), writer).await;
    renewer.abort();
    match worker.store.queue().hand_back(&deliverer.owner).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deliveries = n, "handed back to the other workers"),
        Err(e) => {
            tracing::warn!(error = %e, "could not hand back held deliveries; their leases run out")
        }
    }
    tracing::info!(worker = %deliverer.owner, "delivery worker stopped");
}

/// An attempt's share of the worker (`Fairness::admit` took it): given back
/// when the attempt ends, however it ends, so a panic can't keep it.
struct Slot<'a> {
    deliverer: &'a Deliverer,
    webhook: EndpointId,
    organisation: portal_contract::ids::OrganisationId,
    started: Instant,
}

impl<'a> Slot<'a> {
    fn taken(deliverer: &'a Deliverer, webhook: &Endpoint) -> Self {
        Self {
            deliverer,
            webhook: webhook.id.clone(),
            organisation: webhook.organisation_id.clone(),
            started: Instant::now(),
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.deliverer.fairness().finish(
            &self.webhook,
            &self.organisation,
            self.started.elapsed(),
            Instant::now(),
        );
    }
}

/// Keeps the leases of the deliveries this worker holds from running out
/// while their attempts run (or wait to be recorded): a renewal every
/// quarter of a lease, so three in a row can be late or fail before a lease
/// runs out, and another lease's length passes before it is taken over.
async fn renew(worker: Worker) {
    let deliverer = &worker.deliverer;
    let mut every = tokio::time::interval(deliverer.lease / 4);
    // A renewal that came late is followed by the next one a quarter lease
    // later, not by a burst to catch up.
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let held: Vec<DeliveryId> = deliverer
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect();
        if held.is_empty() {
            continue;
        }
        let ids: Vec<&DeliveryId> = held.iter().collect();
        if let Err(e) = worker.store.queue().renew(&deliverer.lease(), &ids).await {
            tracing::warn!(error = %e, "could not renew delivery leases");
        }
    }
}

/// An endpoint as read, with its secrets opened.
struct Opened {
    webhook: Endpoint,
    /// As the claim gave it: when a claim gives another, this is stale.
    revision: i64,
    secret: String,
    /// The previous secret, and until when it signs too.
    previous: Option<(String, i64)>,
}

impl Opened {
    fn open(worker: &Worker, webhook: Endpoint) -> anyhow::Result<Self> {
        let secret = worker.vault.open(&webhook.id.0, &webhook.secret)?;
        let previous = match (&webhook.previous_secret, webhook.previous_secret_until) {
            (Some(sealed), Some(until)) => Some((worker.vault.open(&webhook.id.0, sealed)?, until)),
            _ => None,
        };
        Ok(Self {
            revision: webhook.revision,
            webhook,
            secret,
            previous,
        })
    }
}

/// Takes up to `limit` due deliveries (none of the endpoints in `skip`),
/// each with its endpoint as it is now, and a slot for each (`fairness`).
/// Endpoints are kept between claims with their secrets opened, and read
/// again when the claim shows that one changed (URL, enabled, a secret): a
/// rotation or a disable counts from the next claim on, as when each claim
/// read them. Deliveries of endpoints that are disabled or gone end without
/// an attempt; those of an endpoint or organisation found full are let go,
/// due at once, and the next claims skip them while it stays full.
async fn claim(
    worker: &Worker,
    endpoints: &mut HashMap<EndpointId, Arc<Opened>>,
    limit: i64,
    skip: &[EndpointId],
) -> anyhow::Result<Vec<(Due, Arc<Opened>)>> {
    let queue = worker.store.queue();
    let deliverer = &worker.deliverer;
    let now = worker.now();
    let per_endpoint = ENDPOINT_IN_FLIGHT as i64;
    let due = queue
        .claim(&deliverer.lease(), now, limit, per_endpoint, skip)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    deliverer.hold(due.iter().map(|d| &d.id));
    let mut unopened = HashSet::new();
    let mut stale: Vec<&EndpointId> = due
        .iter()
        .filter(|d| {
            d.endpoint.is_some()
                && endpoints
                    .get(&d.webhook_id)
                    .is_none_or(|e| Some(e.revision) != d.endpoint)
        })
        .map(|d| &d.webhook_id)
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
        let webhooks = match queue.endpoints(&stale).await {
            Ok(webhooks) => webhooks,
            Err(e) => {
                release(worker, due.iter().map(|d| &d.id)).await;
                return Err(e.into());
            }
        };
        for webhook in webhooks {
            let id = webhook.id.clone();
            match Opened::open(worker, webhook) {
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
    let mut waiting = Vec::new();
    for d in due {
        if d.endpoint.is_none() {
            ended.push(d.id);
            continue;
        }
        match endpoints.get(&d.webhook_id) {
            Some(e) if e.webhook.enabled => {
                let webhook = &e.webhook;
                if deliverer
                    .fairness()
                    .admit(&webhook.id, &webhook.organisation_id, Instant::now())
                {
                    claimed.push((d, e.clone()));
                } else {
                    waiting.push(d.id);
                }
            }
            // Its secret would not open: due again later rather than held
            // until the next start.
            None if unopened.contains(&d.webhook_id) => held.push(d.id),
            // Disabled, or deleted since the claim.
            _ => ended.push(d.id),
        }
    }
    release(worker, held.iter()).await;
    release_at(worker, waiting.iter(), now).await;
    for id in ended {
        if let Err(e) = queue.abandon(&deliverer.owner, &id).await {
            tracing::warn!(delivery = %id, error = %e, "could not end a delivery");
            release(worker, std::iter::once(&id)).await;
        }
        deliverer.let_go(std::iter::once(&id));
    }
    Ok(claimed)
}

/// Lets go of held deliveries that could not be attempted or recorded: due
/// again after the first wait of the schedule rather than held until the
/// next start.
async fn release<'a>(worker: &Worker, ids: impl Iterator<Item = &'a DeliveryId>) {
    release_at(worker, ids, worker.now() + RETRY_SCHEDULE[0]).await;
}

/// Lets go of held deliveries without an attempt, due again at `at`.
async fn release_at<'a>(worker: &Worker, ids: impl Iterator<Item = &'a DeliveryId>, at: i64) {
    let ids: Vec<&DeliveryId> = ids.collect();
    if ids.is_empty() {
        return;
    }
    let deliverer = &worker.deliverer;
    match worker
        .store
        .queue()
        .release(&deliverer.owner, &ids, at)
        .await
    {
        Ok(()) => deliverer.let_go(ids.into_iter()),
        Err(e) => tracing::warn!(error = %e, "could not release held deliveries"),
    }
}

/// A finished attempt on its way to the writer.
struct Finished {
    endpoint: Arc<Opened>,
    result: Attempted,
}

/// What an attempt did and what it means for its delivery and endpoint.
struct Attempted {
    recorded: Recorded,
}

/// What came back from one request.
struct Outcome {
    status: Option<u16>,
    excerpt: String,
    error: Option<String>,
}

async fn attempt(worker: &Worker, due: &Due, endpoint: &Opened) -> Attempted {
    let now = worker.now();
    let mut signatures = vec![signing::sign(
        &endpoint.secret,
        &due.event_id.0,
        now,
        &due.body,
    )];
    if let Some((previous, until)) = &endpoint.previous
        && *until > now
    {
        signatures.push(signing::sign(previous, &due.event_id.0, now, &due.body));
    }
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("webhook-id".to_owned(), due.event_id.0.clone()),
        ("webhook-timestamp".to_owned(), now.to_string()),
        ("webhook-signature".to_owned(), signatures.join(" ")),
    ];

    let started = Instant::now();
    let outcome = send(
        &worker.deliverer,
        &endpoint.webhook.url,
        &headers,
        &due.body,
    )
    .await;
    let latency_ms = started.elapsed().as_millis() as i64;
    let (status, next_attempt_at, effect) = health::outcome(outcome.status, due.attempts, now);
    let counted = match effect {
        Effect::Succeeded => "succeeded",
        Effect::Retrying => "retrying",
        Effect::Gone | Effect::Exhausted => "failed",
    };
    metrics::counter!("portal_delivery_attempts_total", "outcome" => counted).increment(1);
    metrics::histogram!("portal_delivery_attempt_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    Attempted {
        recorded: Recorded {
            webhook_id: endpoint.webhook.id.clone(),
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
            effect,
        },
    }
}

/// The writer: records the attempts that finished while it wrote the
/// previous ones, together, in one transaction.
async fn record(worker: Worker, mut finished: mpsc::Receiver<Finished>) {
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
        let recorded: Vec<Recorded> = batch.iter().map(|f| f.result.recorded.clone()).collect();
        let deliverer = &worker.deliverer;
        let written = worker
            .store
            .queue()
            .record(&deliverer.owner, &health::batch(&recorded), &Health)
            .await;
        match written {
            Ok(disabled) => {
                deliverer.let_go(recorded.iter().map(|r| &r.attempt.delivery_id));
                for id in disabled {
                    if let Some(f) = batch.iter().find(|f| f.endpoint.webhook.id == id) {
                        tracing::warn!(webhook = %id, "endpoint kept failing: disabled");
                        worker
                            .on_disabled
                            .endpoint_disabled(&f.endpoint.webhook)
                            .await;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, count = batch.len(), "could not record delivery attempts");
                release(
                    &worker,
                    batch.iter().map(|f| &f.result.recorded.attempt.delivery_id),
                )
                .await;
            }
        }
        batch.clear();
    }
}

async fn send(
    deliverer: &Deliverer,
    url: &str,
    headers: &[(String, String)],
    body: &str,
) -> Outcome {
    let failed = |e: String| Outcome {
        status: None,
        excerpt: String::new(),
        error: Some(e),
    };
    let url = match Url::parse(url) {
        Ok(u) => u,
        Err(_) => return failed("The URL is not valid.".into()),
    };
    if let Err(refused) = ssrf::check_literal(&url, deliverer.allow_private) {
        return failed(refused.into());
    }
    let mut request = deliverer.client.post(url).body(body.to_owned());
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
