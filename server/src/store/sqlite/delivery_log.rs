//! The delivery log in SQLite: `deliveries` and `delivery_attempts`.

use async_trait::async_trait;
use portal_contract::ids::{DeliveryId, OrganisationId, WebhookId};
use portal_contract::webhooks::{AttemptOut, DeliveryQuery};

use super::SqliteStore;
use super::queue::now_ms;
use crate::store::StoreResult;
use crate::store::delivery_log::{AttemptRow, Delivery, DeliveryDetail, DeliveryLog, filtered};

#[async_trait]
impl DeliveryLog for SqliteStore {
    async fn page(
        &self,
        webhook: &WebhookId,
        q: &DeliveryQuery,
    ) -> StoreResult<(Vec<Delivery>, i64)> {
        let total: i64 = filtered("SELECT COUNT(*)", webhook, q)
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await?;
        let mut b = filtered("SELECT *", webhook, q);
        b.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(DeliveryQuery::PAGE_SIZE))
            .push(" OFFSET ")
            .push_bind(i64::from(q.page() - 1) * i64::from(DeliveryQuery::PAGE_SIZE));
        let rows = b.build_query_as().fetch_all(&self.pool).await?;
        Ok((rows, total))
    }

    async fn event_types(&self, webhook: &WebhookId) -> StoreResult<Vec<String>> {
        // A skip scan of `deliveries_by_webhook_type`: one index seek per
        // type, however long the log.
        Ok(sqlx::query_scalar(
            "WITH RECURSIVE types (event_type) AS ( \
               SELECT MIN(event_type) FROM deliveries WHERE webhook_id = ?1 \
               UNION ALL \
               SELECT (SELECT MIN(event_type) FROM deliveries \
                       WHERE webhook_id = ?1 AND event_type > types.event_type) \
               FROM types WHERE types.event_type IS NOT NULL) \
             SELECT event_type FROM types WHERE event_type IS NOT NULL",
        )
        .bind(webhook)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn get(
        &self,
        org: &OrganisationId,
        id: &DeliveryId,
    ) -> StoreResult<Option<DeliveryDetail>> {
        let Some(delivery): Option<Delivery> = sqlx::query_as(
            "SELECT d.* FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.id = ? AND w.organisation_id = ?",
        )
        .bind(id)
        .bind(org)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let (body, url): (String, String) = sqlx::query_as(
            "SELECT e.body, w.url FROM events e, webhooks w WHERE e.id = ? AND w.id = ?",
        )
        .bind(&delivery.event_id)
        .bind(&delivery.webhook_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(DeliveryDetail {
            delivery,
            body,
            url,
        }))
    }

    async fn attempts(&self, id: &DeliveryId) -> StoreResult<Vec<AttemptOut>> {
        let rows: Vec<AttemptRow> = sqlx::query_as(
            "SELECT attempt, started_at, request_headers, response_status, response_excerpt, \
             latency_ms, error FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(AttemptRow::into_out).collect())
    }

    async fn redeliver(&self, id: &DeliveryId, now: i64) -> StoreResult<bool> {
        Ok(sqlx::query(concat!(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = ?1 \
             WHERE id = ?2 AND (leased_until IS NULL OR leased_until <= ",
            now_ms!(),
            ")"
        ))
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }
}
