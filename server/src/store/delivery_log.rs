//! The delivery log: deliveries, their attempts, redelivery.

use async_trait::async_trait;
use portal_contract::ids::{DeliveryId, EventId, OrganisationId, WebhookId};
use portal_contract::webhooks::{AttemptOut, DeliveryQuery, DeliveryStatus};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::{MaybeTimestamp, StoreResult, Timestamp};

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub webhook_id: WebhookId,
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

#[async_trait]
pub trait DeliveryLog: Send + Sync {
    /// A page of an endpoint's deliveries, newest first, and how many match.
    async fn page(
        &self,
        webhook: &WebhookId,
        query: &DeliveryQuery,
    ) -> StoreResult<(Vec<Delivery>, i64)>;

    /// The event types the endpoint has deliveries of, in order.
    async fn event_types(&self, webhook: &WebhookId) -> StoreResult<Vec<String>>;

    /// One of `org`'s deliveries, with its event's body and its endpoint's URL.
    async fn get(
        &self,
        org: &OrganisationId,
        id: &DeliveryId,
    ) -> StoreResult<Option<DeliveryDetail>>;

    /// A delivery's attempts, first to last.
    async fn attempts(&self, id: &DeliveryId) -> StoreResult<Vec<AttemptOut>>;

    /// Makes a delivery due now, whatever became of it; false while a worker
    /// holds it.
    async fn redeliver(&self, id: &DeliveryId, now: i64) -> StoreResult<bool>;
}

/// A row of `delivery_attempts`, as both backends select it.
#[derive(sqlx::FromRow)]
pub(super) struct AttemptRow {
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
    pub(super) fn into_out(self) -> AttemptOut {
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

/// `SELECT …` (`select`) of an endpoint's deliveries with the log's
/// filters, for both backends.
pub(super) fn filtered<'a, DB: Database>(
    select: &str,
    webhook: &'a WebhookId,
    q: &'a DeliveryQuery,
) -> QueryBuilder<'a, DB>
where
    &'a WebhookId: Encode<'a, DB> + Type<DB>,
    DeliveryStatus: Encode<'a, DB> + Type<DB>,
    &'a str: Encode<'a, DB> + Type<DB>,
{
    let mut b = QueryBuilder::new(select);
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
