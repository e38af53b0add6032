//! The delivery queue in PostgreSQL. Due deliveries are claimed with `FOR
//! UPDATE SKIP LOCKED`: workers claiming at the same time take different
//! rows and never wait for each other. A batch of attempts is recorded in
//! one statement when all succeeded, otherwise in one transaction.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use portal_contract::ids::{DeliveryId, WebhookId};
use portal_contract::webhooks::DisabledReason;
use sqlx::PgConnection;

use super::PgStore;
use super::webhooks::disable;
use crate::store::queue::{Due, Effect, Queue, Recorded, attempts_json};
use crate::store::webhooks::Webhook;
use crate::store::{StoreResult, Timestamp};

/// Records a batch: `$1` the attempts as JSON (`attempts_json`), `$2` the
/// endpoints to clear `failing_since` of. Data-modifying CTEs, so it is one
/// statement, atomic on its own.
const RECORD: &str = "\
    WITH r AS ( \
      SELECT * FROM jsonb_to_recordset($1::jsonb) AS r ( \
        delivery_id text, attempt bigint, started_at bigint, request_headers text, \
        response_status bigint, response_excerpt text, latency_ms bigint, error text, \
        status text, next_attempt_at bigint)), \
    attempts AS ( \
      INSERT INTO delivery_attempts (delivery_id, attempt, started_at, request_headers, \
        response_status, response_excerpt, latency_ms, error) \
      SELECT delivery_id, attempt, to_timestamp(started_at), request_headers, \
        response_status, response_excerpt, latency_ms, error FROM r), \
    deliveries AS ( \
      UPDATE deliveries d SET status = r.status, attempts = r.attempt, \
        next_attempt_at = to_timestamp(r.next_attempt_at), leased = false, \
        last_http_status = r.response_status, last_latency_ms = r.latency_ms \
      FROM r WHERE d.id = r.delivery_id) \
    UPDATE webhooks SET failing_since = NULL \
    WHERE failing_since IS NOT NULL AND id = ANY($2::text[])";

#[async_trait]
impl Queue for PgStore {
    async fn release_all(&self) -> StoreResult<u64> {
        Ok(
            sqlx::query("UPDATE deliveries SET leased = false WHERE leased")
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn claim(&self, now: i64, limit: i64) -> StoreResult<Vec<Due>> {
        // The endpoint's fingerprint as `Webhook::fingerprint` writes it.
        Ok(sqlx::query_as(
            "WITH due AS ( \
               SELECT id FROM deliveries \
               WHERE status = 'pending' AND NOT leased AND next_attempt_at <= $1 \
               ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
             UPDATE deliveries d SET leased = true FROM due WHERE d.id = due.id \
             RETURNING d.id, d.event_id, d.webhook_id, d.attempts, \
               (SELECT body FROM events e WHERE e.id = d.event_id) AS body, \
               (SELECT CASE WHEN w.enabled THEN '1' ELSE '0' END \
                  || ' ' || upper(encode(w.secret, 'hex')) \
                  || ' ' || COALESCE(upper(encode(w.previous_secret, 'hex')), '') \
                  || ' ' || COALESCE(extract(epoch FROM w.previous_secret_until)::bigint::text, '') \
                  || ' ' || w.url \
                FROM webhooks w WHERE w.id = d.webhook_id) AS endpoint",
        )
        .bind(Timestamp(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn endpoints(&self, ids: &[&WebhookId]) -> StoreResult<Vec<Webhook>> {
        let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        Ok(sqlx::query_as("SELECT * FROM webhooks WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn release(&self, ids: &[&DeliveryId], at: i64) -> StoreResult<()> {
        let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        sqlx::query(
            "UPDATE deliveries SET leased = false, next_attempt_at = $1 \
             WHERE leased AND id = ANY($2)",
        )
        .bind(Timestamp(at))
        .bind(&ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn abandon(&self, id: &DeliveryId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE deliveries SET status = 'failed', leased = false, next_attempt_at = NULL \
             WHERE id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record(&self, attempts: &[Recorded]) -> StoreResult<Vec<WebhookId>> {
        // Endpoints with anything but successes here get their attempts'
        // effects one by one, in order; the others only need
        // `failing_since` cleared.
        let troubled: HashSet<&WebhookId> = attempts
            .iter()
            .filter(|r| r.effect != Effect::Succeeded)
            .map(|r| &r.webhook_id)
            .collect();
        let mut succeeded: Vec<&str> = attempts
            .iter()
            .map(|r| &r.webhook_id)
            .filter(|id| !troubled.contains(id))
            .map(|id| id.as_str())
            .collect();
        succeeded.sort_unstable();
        succeeded.dedup();
        let rows = attempts_json(attempts);
        if troubled.is_empty() {
            sqlx::query(RECORD)
                .bind(&rows)
                .bind(&succeeded)
                .execute(&self.pool)
                .await?;
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(RECORD)
            .bind(&rows)
            .bind(&succeeded)
            .execute(&mut *tx)
            .await?;
        let disabled = apply(&mut tx, attempts, &troubled).await?;
        tx.commit().await?;
        Ok(disabled)
    }
}

/// The effects of a batch's attempts on its troubled endpoints, in order.
async fn apply(
    conn: &mut PgConnection,
    attempts: &[Recorded],
    troubled: &HashSet<&WebhookId>,
) -> sqlx::Result<Vec<WebhookId>> {
    let mut disabled = Vec::new();
    // Per endpoint, whether `failing_since` was last cleared (true) or set
    // (false) here: the same again changes nothing.
    let mut failing_cleared: HashMap<&WebhookId, bool> = HashMap::new();
    for r in attempts.iter().filter(|r| troubled.contains(&r.webhook_id)) {
        let id = &r.webhook_id;
        match r.effect {
            Effect::Succeeded => {
                if failing_cleared.insert(id, true) != Some(true) {
                    sqlx::query("UPDATE webhooks SET failing_since = NULL WHERE id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Effect::Gone => {
                disable(conn, id, DisabledReason::Gone).await?;
                tracing::info!(webhook = %id, "endpoint answered 410 Gone: disabled");
            }
            Effect::Exhausted => {
                // Out of retries, and nothing got through since this delivery
                // was first attempted.
                let failing: Option<bool> = sqlx::query_scalar(
                    "SELECT failing_since IS NOT NULL AND failing_since <= \
                       (SELECT COALESCE(MIN(started_at), $1) FROM delivery_attempts \
                        WHERE delivery_id = $2) \
                     FROM webhooks WHERE id = $3",
                )
                .bind(Timestamp(r.attempt.started_at))
                .bind(&r.attempt.delivery_id)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
                if failing.unwrap_or(false) && disable(conn, id, DisabledReason::Failing).await? {
                    disabled.push(id.clone());
                }
            }
            Effect::Retrying => {
                if failing_cleared.insert(id, false) != Some(false) {
                    sqlx::query(
                        "UPDATE webhooks SET failing_since = $1 WHERE id = $2 \
                         AND failing_since IS NULL",
                    )
                    .bind(Timestamp(r.attempt.started_at))
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                }
            }
        }
    }
    Ok(disabled)
}
