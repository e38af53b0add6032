//! The delivery queue the worker (`webhooks::deliver`) takes its work from:
//! claim due deliveries, record what their attempts did. Each backend runs
//! it its own way (`sqlite/queue.rs`, `postgres/queue.rs`), tuned for its
//! database; what an attempt means for its endpoint is the worker's rule
//! (`webhooks::health`), applied in the transaction that records it.

use std::sync::Arc;

use async_trait::async_trait;
use portal_contract::ids::{DeliveryId, EndpointId, EventId};
use portal_contract::webhooks::DeliveryStatus;
use tokio::sync::Notify;

use super::endpoints::Endpoint;
use super::{Conn, Dialect, Exec, StoreResult, sql};

/// A delivery claimed for an attempt: what to send, where.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub webhook_id: EndpointId,
    pub attempts: i64,
    pub body: String,
    /// The endpoint's revision as it is now (`None`: it is gone): a copy
    /// the worker kept is current while its `Endpoint::revision` is this.
    pub endpoint: Option<i64>,
}

/// What one attempt did.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery_id: DeliveryId,
    pub attempt: i64,
    pub started_at: i64,
    /// JSON array of [name, value] pairs, as sent.
    pub request_headers: String,
    pub response_status: Option<u16>,
    pub response_excerpt: String,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// What an attempt means for its endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// 2xx: the endpoint is not failing any more.
    Succeeded,
    /// 410: the endpoint is disabled as gone.
    Gone,
    /// Failed, to be retried: the endpoint is failing since this attempt,
    /// unless it was already.
    Retrying,
    /// Failed for the last time: the endpoint is disabled as failing if
    /// nothing got through since this delivery was first attempted.
    Exhausted,
}

/// A batch of attempts to record, as the endpoint health rule sorted them:
/// endpoints that only succeeded get `failing_since` cleared with the
/// batch; the others have their attempts' effects applied one by one.
#[derive(Debug)]
pub struct Batch<'a> {
    pub attempts: &'a [Recorded],
    pub cleared: Vec<&'a EndpointId>,
    pub troubled: Vec<&'a Recorded>,
}

/// The effects of attempts on their endpoints (`webhooks::health`), applied
/// in the transaction that records them.
#[async_trait]
pub trait EndpointHealth: Send + Sync {
    /// Applies `troubled`'s effects, in order; returns the endpoints it
    /// disabled for failing (their admins are told).
    async fn apply(
        &self,
        conn: &mut Conn<'_>,
        troubled: &[&Recorded],
    ) -> StoreResult<Vec<EndpointId>>;
}

/// An attempt, where its delivery stands after it, and its effect.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub webhook_id: EndpointId,
    pub attempt: Attempt,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<i64>,
    pub effect: Effect,
}

/// How many deliveries are due and waiting, and since when the oldest one is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Depth {
    pub due: i64,
    pub oldest_due_at: Option<i64>,
}

/// A worker's hold on deliveries: its id, and how long a claim or a
/// renewal holds them. Leases are counted on the database's clock, so
/// instances whose clocks disagree still agree on when one ran out; and a
/// lease that ran out is taken over only once it has been out for as long
/// again, so a worker whose renewal was held back (a busy machine, a slow
/// connection) keeps what it is still sending.
#[derive(Debug, Clone)]
pub struct Lease<'a> {
    /// The worker's id (unique per process run).
    pub owner: &'a str,
    /// How long a claim or a renewal holds, in milliseconds; and how long a
    /// lease that ran out waits before another worker takes it over.
    pub millis: i64,
}

#[async_trait]
pub trait Queue: Send + Sync {
    /// Takes up to `limit` deliveries due at `now` (the server's clock, which
    /// schedules retries) that no lease holds (or whose lease ran out a
    /// lease ago, on the database's clock: its worker died), holding them
    /// for `lease`: of
    /// the oldest due (a window a few times `limit`, so a claim costs the
    /// same however long the queue), at most `per_endpoint` per endpoint,
    /// taking each endpoint's oldest in turn; none for the endpoints in
    /// `skip` (those the worker has no room for).
    async fn claim(
        &self,
        lease: &Lease<'_>,
        now: i64,
        limit: i64,
        per_endpoint: i64,
        skip: &[EndpointId],
    ) -> StoreResult<Vec<Due>>;

    /// Holds the owner's deliveries `ids` for another `lease` from the
    /// database's now (their attempts still run).
    async fn renew(&self, lease: &Lease<'_>, ids: &[&DeliveryId]) -> StoreResult<()>;

    /// The endpoints with these ids (those that exist).
    async fn endpoints(&self, ids: &[&EndpointId]) -> StoreResult<Vec<Endpoint>>;

    /// Lets go of the owner's deliveries `ids` without an attempt, due again at `at`.
    async fn release(&self, owner: &str, ids: &[&DeliveryId], at: i64) -> StoreResult<()>;

    /// Lets go of everything the owner holds, due at once (a worker stopping).
    /// Returns how many.
    async fn hand_back(&self, owner: &str) -> StoreResult<u64>;

    /// Ends a held delivery without an attempt (its endpoint is gone or disabled).
    async fn abandon(&self, owner: &str, id: &DeliveryId) -> StoreResult<()>;

    /// Records a batch's attempts, in order, releasing their deliveries
    /// (those the owner still holds: another worker that took over a run-out
    /// lease records its own), and applies their effects to the endpoints
    /// (`health`), in one transaction. Returns the endpoints it disabled for
    /// failing.
    async fn record(
        &self,
        owner: &str,
        batch: &Batch<'_>,
        health: &dyn EndpointHealth,
    ) -> StoreResult<Vec<EndpointId>>;

    /// Wakes `wake` whenever any process of this portal writes deliveries
    /// (PostgreSQL: `LISTEN`); nothing to do for SQLite, whose one process
    /// wakes its own worker. Runs until the store is dropped.
    async fn listen(&self, wake: Arc<Notify>) -> StoreResult<()>;

    /// What is due at `now` and not held, for the metrics.
    async fn depth(&self, now: i64) -> StoreResult<Depth>;
}

/// The attempts as a JSON array, which both backends' `record` read in SQL
/// (all of a batch in one statement).
pub(super) fn attempts_json(attempts: &[Recorded]) -> String {
    let rows: Vec<serde_json::Value> = attempts
        .iter()
        .map(|r| {
            let a = &r.attempt;
            serde_json::json!({
                "delivery_id": a.delivery_id,
                "attempt": a.attempt,
                "started_at": a.started_at,
                "request_headers": a.request_headers,
                "response_status": a.response_status,
                "response_excerpt": a.response_excerpt,
                "latency_ms": a.latency_ms,
                "error": a.error,
                "status": r.status.as_str(),
                "next_attempt_at": r.next_attempt_at,
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// The channel whose `NOTIFY` wakes every instance's worker on PostgreSQL:
/// deliveries were written, or made due.
pub const CHANNEL: &str = "portal_deliveries";

/// Wakes every instance's worker when the unit of work commits: deliveries
/// were written or made due. On PostgreSQL a `NOTIFY`; on SQLite nothing
/// (one process writes and delivers: the use case wakes its own worker).
pub async fn announce(db: impl Exec<'_>) -> StoreResult<()> {
    let mut c = db.conn();
    if c.dialect() == Dialect::Postgres {
        sql("SELECT pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(&mut c)
            .await?;
    }
    Ok(())
}

/// The condition "no worker holds this delivery now", on the database's
/// clock, where leases are counted (`Lease`).
pub(super) fn unheld(dialect: Dialect) -> &'static str {
    dialect.pick(
        "(leased_until IS NULL OR leased_until <= CAST(unixepoch('subsec') * 1000 AS INTEGER))",
        "(leased_until IS NULL OR leased_until <= now())",
    )
}
