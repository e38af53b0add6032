//! The delivery log: deliveries, their attempts, redelivery.

use portal_contract::ids::{DeliveryId, EndpointId, EventId, OrganisationId};
use portal_contract::webhooks::{AttemptOut, DeliveryQuery, DeliveryStatus};

use super::queue::unheld;
use super::{Exec, MaybeTimestamp, Sql, StoreResult, Timestamp, sql};

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub webhook_id: EndpointId,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub next_attempt_at: Option<i64>,
    pub last_http_status: Option<i64>,
    pub last_latency_ms: Option<i64>,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
}

/// A delivery with what was sent and where.
#[derive(Debug, Clone)]
pub struct DeliveryDetail {
    pub delivery: Delivery,
    /// The event's body, as signed and sent.
    pub body: String,
    pub url: String,
}

/// A page of an endpoint's deliveries, newest first, and how many match.
pub async fn page(
    db: impl Exec<'_>,
    webhook: &EndpointId,
    q: &DeliveryQuery,
) -> StoreResult<(Vec<Delivery>, i64)> {
    let mut c = db.conn();
    let total: i64 = filtered("SELECT COUNT(*)", webhook, q)
        .scalar(&mut c)
        .await?;
    let mut page = filtered("SELECT *", webhook, q);
    page.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(i64::from(DeliveryQuery::PAGE_SIZE))
        .push(" OFFSET ")
        .push_bind(i64::from(q.page() - 1) * i64::from(DeliveryQuery::PAGE_SIZE));
    let rows = page.fetch_all(&mut c).await?;
    Ok((rows, total))
}

/// The event types the endpoint has deliveries of, in order: a loose index
/// scan of `deliveries_by_webhook_type`, one index seek per type, however
/// long the log.
pub async fn event_types(db: impl Exec<'_>, webhook: &EndpointId) -> StoreResult<Vec<String>> {
    sql("WITH RECURSIVE types (event_type) AS ( \
           SELECT MIN(event_type) FROM deliveries WHERE webhook_id = $1 \
           UNION ALL \
           SELECT (SELECT MIN(event_type) FROM deliveries \
                   WHERE webhook_id = $1 AND event_type > types.event_type) \
           FROM types WHERE types.event_type IS NOT NULL) \
         SELECT event_type FROM types WHERE event_type IS NOT NULL")
    .bind(webhook)
    .scalars(db)
    .await
}

/// A delivery with its event's body and its endpoint's URL, as `get` reads it.
#[derive(sqlx::FromRow)]
struct Detail {
    #[sqlx(flatten)]
    delivery: Delivery,
    body: String,
    url: String,
}

/// One of `org`'s deliveries, with its event's body and its endpoint's URL.
pub async fn get(
    db: impl Exec<'_>,
    org: &OrganisationId,
    id: &DeliveryId,
) -> StoreResult<Option<DeliveryDetail>> {
    let row: Option<Detail> = sql("SELECT d.*, e.body, w.url FROM deliveries d \
         JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id \
         WHERE d.id = $1 AND w.organisation_id = $2")
    .bind(id)
    .bind(org)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| DeliveryDetail {
        delivery: r.delivery,
        body: r.body,
        url: r.url,
    }))
}

/// A delivery of an event to an endpoint.
pub async fn for_event(
    db: impl Exec<'_>,
    event: &EventId,
    webhook: &EndpointId,
) -> StoreResult<Delivery> {
    sql("SELECT * FROM deliveries WHERE event_id = $1 AND webhook_id = $2")
        .bind(event)
        .bind(webhook)
        .fetch_one(db)
        .await
}

/// A delivery's attempts, first to last.
pub async fn attempts(db: impl Exec<'_>, id: &DeliveryId) -> StoreResult<Vec<AttemptOut>> {
    let rows: Vec<AttemptRow> = sql(
        "SELECT attempt, started_at, request_headers, response_status, response_excerpt, \
         latency_ms, error FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AttemptRow::into_out).collect())
}

/// Makes a delivery due at `now`, whatever became of it; false while a
/// worker holds it.
pub async fn make_due(db: impl Exec<'_>, id: &DeliveryId, now: i64) -> StoreResult<bool> {
    let mut c = db.conn();
    let text = format!(
        "UPDATE deliveries SET status = 'pending', next_attempt_at = $1 WHERE id = $2 AND {}",
        unheld(c.dialect())
    );
    let due = sql(&text)
        .bind(Timestamp(now))
        .bind(id)
        .execute(&mut c)
        .await?;
    Ok(due == 1)
}

/// Ends the endpoint's waiting deliveries (those a worker sends now are
/// recorded by their worker).
pub async fn end_waiting(db: impl Exec<'_>, webhook: &EndpointId) -> StoreResult<()> {
    let mut c = db.conn();
    let text = format!(
        "UPDATE deliveries SET status = 'failed', next_attempt_at = NULL \
         WHERE webhook_id = $1 AND status = 'pending' AND {}",
        unheld(c.dialect())
    );
    sql(&text).bind(webhook).execute(&mut c).await?;
    Ok(())
}

/// When a delivery was first attempted, if it was.
pub async fn first_attempted(db: impl Exec<'_>, id: &DeliveryId) -> StoreResult<Option<i64>> {
    let first: Option<MaybeTimestamp> =
        sql("SELECT MIN(started_at) FROM delivery_attempts WHERE delivery_id = $1")
            .bind(id)
            .scalar_optional(db)
            .await?;
    Ok(first.and_then(|t| t.0))
}

/// A row of `delivery_attempts`, as both backends select it.
#[derive(sqlx::FromRow)]
struct AttemptRow {
    attempt: i64,
    #[sqlx(try_from = "Timestamp")]
    started_at: i64,
    request_headers: String,
    response_status: Option<i64>,
    response_excerpt: String,
    latency_ms: i64,
    error: Option<String>,
}

impl AttemptRow {
    fn into_out(self) -> AttemptOut {
        AttemptOut {
            attempt: self.attempt as u32,
            started_at: self.started_at,
            request_headers: serde_json::from_str(&self.request_headers).unwrap_or_default(),
            response_status: self.response_status.map(|s| s as u16),
            response_excerpt: self.response_excerpt,
            latency_ms: self.latency_ms as u32,
            error: self.error,
        }
    }
}

/// `SELECT …` (`select`) of an endpoint's deliveries with the log's filters.
fn filtered<'a>(select: &str, webhook: &'a EndpointId, q: &'a DeliveryQuery) -> Sql<'a> {
    let mut b = Sql::builder(select);
    b.push(" FROM deliveries WHERE webhook_id = ")
        .push_bind(webhook);
    if let Some(status) = q.status {
        b.push(" AND status = ").push_bind(status);
    }
    if let Some(t) = q.event_type.as_deref().filter(|t| !t.is_empty()) {
        b.push(" AND event_type = ").push_bind(t);
    }
    b
}
