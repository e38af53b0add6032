//! The delivery log in PostgreSQL: `deliveries` and `delivery_attempts`.

use async_trait::async_trait;
use portal_contract::ids::{DeliveryId, OrganisationId, WebhookId};
use portal_contract::webhooks::{AttemptOut, DeliveryQuery};

use super::PgStore;
use crate::store::delivery_log::{AttemptRow, Delivery, DeliveryDetail, DeliveryLog, filtered};
use crate::store::{StoreResult, Timestamp};

#[async_trait]
impl DeliveryLog for PgStore {
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
        // A loose index scan of `deliveries_by_webhook_type`: one index seek
        // per type, however long the log.
        Ok(sqlx::query_scalar(
            "WITH RECURSIVE types (event_type) AS ( \
               SELECT MIN(event_type) FROM deliveries WHERE webhook_id = $1 \
               UNION ALL \
               SELECT (SELECT MIN(event_type) FROM deliveries \
                       WHERE webhook_id = $1 AND event_type > types.event_type) \
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
        let row = sqlx::query(
            "SELECT d.*, e.body, w.url FROM deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id \
             WHERE d.id = $1 AND w.organisation_id = $2",
        )
        .bind(id)
        .bind(org)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        use sqlx::{FromRow, Row};
        Ok(Some(DeliveryDetail {
            delivery: Delivery::from_row(&row)?,
            body: row.try_get("body")?,
            url: row.try_get("url")?,
        }))
    }

    async fn attempts(&self, id: &DeliveryId) -> StoreResult<Vec<AttemptOut>> {
        let rows: Vec<AttemptRow> = sqlx::query_as(
            "SELECT attempt, started_at, request_headers, response_status, response_excerpt, \
             latency_ms, error FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(AttemptRow::into_out).collect())
    }

    async fn redeliver(&self, id: &DeliveryId, now: i64) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let due = sqlx::query(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = $1 \
             WHERE id = $2 AND (leased_until IS NULL OR leased_until <= now())",
        )
        .bind(Timestamp(now))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if due {
            super::queue::notify(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(due)
    }
}
