//! The delivery worker: takes due deliveries, sends each as a signed POST
//! (15 s timeout, no redirects, only to public addresses unless allowed),
//! and records the attempt. `2xx` succeeds; `410` disables the endpoint;
//! anything else is retried on the schedule, and an endpoint whose delivery
//! runs out of retries without a success since is disabled and its admins
//! are told.
//!
//! Durable by construction: a delivery is a row written with its event, the
//! worker only holds it (`leased`) while sending, and start-up releases what
//! a killed process held. Delivery is at least once, with the same
//! `webhook-id` every time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use portal_contract::webhooks::{DeliveryStatus, RETRY_SCHEDULE};
use reqwest::Url;
use reqwest::redirect::Policy;
use tokio::sync::{Notify, Semaphore};

use crate::db::{self, webhooks::Attempt, webhooks::Due};
use crate::mail::Mail;
use crate::state::AppState;
use crate::webhooks::{signing, ssrf};

/// Deliveries in flight at once.
pub const CONCURRENCY: usize = 64;
/// How long a receiver gets to answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a response body the log keeps.
const EXCERPT_BYTES: usize = 1024;
/// How often the worker looks for retries that came due (new events wake it at once).
const POLL: Duration = Duration::from_millis(250);

pub struct Deliverer {
    wake: Notify,
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
}

/// Runs forever: claims due deliveries and attempts each, `CONCURRENCY` at a time.
pub async fn run(state: AppState) {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    loop {
        let free = permits.available_permits() as i64;
        let due = if free == 0 {
            Vec::new()
        } else {
            match db::webhooks::claim_due(&state.db, state.now(), free).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim due deliveries");
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
        for d in due {
            let permit = permits.clone().acquire_owned().await.expect("never closed");
            let state = state.clone();
            tokio::spawn(async move {
                let id = d.id.clone();
                if let Err(e) = attempt(&state, d).await {
                    tracing::warn!(delivery = %id, error = %e, "could not record a delivery attempt");
                    // Due again later rather than held for ever.
                    let _ = db::webhooks::redeliver(&state.db, &id, state.now() + 5).await;
                }
                drop(permit);
                // A slot is free: there may be more waiting.
                state.deliverer.wake();
            });
        }
    }
}

/// What came back from one request.
struct Outcome {
    status: Option<u16>,
    excerpt: String,
    error: Option<String>,
}

async fn attempt(state: &AppState, due: Due) -> anyhow::Result<()> {
    let Some(webhook) = db::webhooks::by_id(&state.db, &due.webhook_id).await? else {
        return Ok(db::webhooks::abandon(&state.db, &due.id).await?);
    };
    if !webhook.enabled {
        return Ok(db::webhooks::abandon(&state.db, &due.id).await?);
    }
    let now = state.now();
    let mut signatures = vec![signing::sign(
        &state.vault.open(&webhook.id, &webhook.secret)?,
        &due.event_id,
        now,
        &due.body,
    )];
    if let (Some(previous), Some(until)) = (&webhook.previous_secret, webhook.previous_secret_until)
        && until > now
    {
        signatures.push(signing::sign(
            &state.vault.open(&webhook.id, previous)?,
            &due.event_id,
            now,
            &due.body,
        ));
    }
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("webhook-id".to_owned(), due.event_id.clone()),
        ("webhook-timestamp".to_owned(), now.to_string()),
        ("webhook-signature".to_owned(), signatures.join(" ")),
    ];

    let started = Instant::now();
    let outcome = send(state, &webhook.url, &headers, &due.body).await;
    let latency_ms = started.elapsed().as_millis() as i64;
    let number = due.attempts + 1;
    let succeeded = outcome.status.is_some_and(|s| (200..300).contains(&s));
    let gone = outcome.status == Some(410);
    let retry_in = RETRY_SCHEDULE.get(due.attempts as usize).copied();
    let (status, next) = match (succeeded, gone, retry_in) {
        (true, _, _) => (DeliveryStatus::Succeeded, None),
        (false, false, Some(wait)) => (DeliveryStatus::Pending, Some(now + wait)),
        _ => (DeliveryStatus::Failed, None),
    };
    let record = Attempt {
        delivery_id: due.id.clone(),
        attempt: number,
        started_at: now,
        request_headers: serde_json::to_string(&headers)?,
        response_status: outcome.status,
        response_excerpt: outcome.excerpt,
        latency_ms,
        error: outcome.error,
    };

    let mut tx = state.db.begin().await?;
    db::webhooks::record_attempt(&mut tx, &record, status, next).await?;
    let mut disabled_for_failing = false;
    if succeeded {
        if webhook.failing_since.is_some() {
            db::webhooks::set_failing_since(&mut *tx, &webhook.id, None).await?;
        }
    } else if gone {
        db::webhooks::disable(&mut tx, &webhook.id, "gone").await?;
        tracing::info!(webhook = %webhook.id, "endpoint answered 410 Gone: disabled");
    } else if status == DeliveryStatus::Failed {
        // Out of retries, and nothing got through since this one first failed.
        let first_try: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MIN(started_at), ?) FROM delivery_attempts WHERE delivery_id = ?",
        )
        .bind(now)
        .bind(&due.id)
        .fetch_one(&mut *tx)
        .await?;
        if webhook.failing_since.is_some_and(|f| f <= first_try) {
            disabled_for_failing = db::webhooks::disable(&mut tx, &webhook.id, "failing").await?;
        }
    } else if webhook.failing_since.is_none() {
        db::webhooks::set_failing_since(&mut *tx, &webhook.id, Some(now)).await?;
    }
    tx.commit().await?;
    if disabled_for_failing {
        tell_admins(state, &webhook).await;
    }
    Ok(())
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
