//! The delivery queue in PostgreSQL. Due deliveries are claimed with `FOR
//! UPDATE SKIP LOCKED`: workers claiming at the same time take different
//! rows and never wait for each other. A claim holds a delivery for its
//! worker until a lease ends; a lease that runs out (its worker died) is
//! taken over by any worker. `NOTIFY` wakes every instance's worker when
//! deliveries are written. A batch of attempts is recorded in one statement
//! when all succeeded, otherwise in one transaction.

use std::sync::Arc;

use async_trait::async_trait;
use portal_contract::ids::{DeliveryId, EndpointId};
use sqlx::postgres::PgListener;
use tokio::sync::Notify;

use super::PgStore;
use crate::store::endpoints::{self, Endpoint};
use crate::store::queue::{
    Batch, CHANNEL, Depth, Due, EndpointHealth, Lease, Queue, announce, attempts_json,
};
use crate::store::{Conn, MaybeTimestamp, StoreResult, Timestamp};

/// Records a batch: `$1` the attempts as JSON (`attempts_json`), `$2` the
/// endpoints whose `failing_since` it clears (`Batch::cleared`), `$3` the
/// owner: only deliveries it still holds are recorded and released. Data-modifying CTEs, so it is one
/// statement, atomic on its own.
const RECORD: &str = "\
    WITH r AS ( \
      SELECT r.* FROM jsonb_to_recordset($1::jsonb) AS r ( \
        delivery_id text, attempt bigint, started_at bigint, request_headers text, \
        response_status bigint, response_excerpt text, latency_ms bigint, error text, \
        status text, next_attempt_at bigint) \
      JOIN deliveries d ON d.id = r.delivery_id AND d.lease_owner = $3), \
    attempts AS ( \
      INSERT INTO delivery_attempts (delivery_id, attempt, started_at, request_headers, \
        response_status, response_excerpt, latency_ms, error) \
      SELECT delivery_id, attempt, to_timestamp(started_at), request_headers, \
        response_status, response_excerpt, latency_ms, error FROM r \
      ON CONFLICT DO NOTHING), \
    deliveries AS ( \
      UPDATE deliveries d SET status = r.status, attempts = r.attempt, \
        next_attempt_at = to_timestamp(r.next_attempt_at), lease_owner = NULL, \
        leased_until = NULL, last_http_status = r.response_status, \
        last_latency_ms = r.latency_ms \
      FROM r WHERE d.id = r.delivery_id) \
    UPDATE webhooks SET failing_since = NULL \
    WHERE failing_since IS NOT NULL AND id = ANY($2::text[])";

#[async_trait]
impl Queue for PgStore {
    async fn claim(
        &self,
        lease: &Lease<'_>,
        now: i64,
        limit: i64,
        per_endpoint: i64,
        skip: &[EndpointId],
    ) -> StoreResult<Vec<Due>> {
        let skip: Vec<&str> = skip.iter().map(|id| id.as_str()).collect();
        // `oldest` reads the oldest due rows without locking them; `due`
        // locks its picks and checks again that they are due and free (rows
        // another worker claimed since this statement's snapshot are not).
        Ok(sqlx::query_as(
            "WITH oldest AS ( \
               SELECT id, webhook_id, next_attempt_at FROM deliveries \
               WHERE status = 'pending' AND next_attempt_at <= $3 \
                 AND (leased_until IS NULL OR leased_until <= now() - make_interval(secs => $2)) \
                 AND webhook_id <> ALL($6) \
               ORDER BY next_attempt_at LIMIT $4 * 4), \
             ranked AS ( \
               SELECT id, next_attempt_at, \
                 row_number() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at, id) AS turn \
               FROM oldest), \
             due AS ( \
               SELECT d.id FROM deliveries d JOIN ranked r ON r.id = d.id \
               WHERE r.turn <= $5 AND d.status = 'pending' AND d.next_attempt_at <= $3 \
                 AND (d.leased_until IS NULL \
                      OR d.leased_until <= now() - make_interval(secs => $2)) \
               ORDER BY r.turn, r.next_attempt_at LIMIT $4 FOR UPDATE OF d SKIP LOCKED) \
             UPDATE deliveries d SET lease_owner = $1, \
               leased_until = now() + make_interval(secs => $2) \
             FROM due WHERE d.id = due.id \
             RETURNING d.id, d.event_id, d.webhook_id, d.attempts, \
               (SELECT body FROM events e WHERE e.id = d.event_id) AS body, \
               (SELECT w.revision FROM webhooks w WHERE w.id = d.webhook_id) AS endpoint",
        )
        .bind(lease.owner)
        .bind(seconds(lease))
        .bind(Timestamp(now))
        .bind(limit)
        .bind(per_endpoint)
        .bind(&skip)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn renew(&self, lease: &Lease<'_>, ids: &[&DeliveryId]) -> StoreResult<()> {
        let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        sqlx::query(
            "UPDATE deliveries SET leased_until = now() + make_interval(secs => $1) \
             WHERE lease_owner = $2 AND id = ANY($3)",
        )
        .bind(seconds(lease))
        .bind(lease.owner)
        .bind(&ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn endpoints(&self, ids: &[&EndpointId]) -> StoreResult<Vec<Endpoint>> {
        endpoints::by_ids(Conn::PostgresPool(&self.pool), ids).await
    }

    async fn release(&self, owner: &str, ids: &[&DeliveryId], at: i64) -> StoreResult<()> {
        let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        sqlx::query(
            "UPDATE deliveries SET lease_owner = NULL, leased_until = NULL, next_attempt_at = $1 \
             WHERE lease_owner = $2 AND id = ANY($3)",
        )
        .bind(Timestamp(at))
        .bind(owner)
        .bind(&ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn hand_back(&self, owner: &str) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let handed = sqlx::query(
            "UPDATE deliveries SET lease_owner = NULL, leased_until = NULL WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if handed > 0 {
            announce(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(handed)
    }

    async fn abandon(&self, owner: &str, id: &DeliveryId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE deliveries SET status = 'failed', lease_owner = NULL, leased_until = NULL, \
             next_attempt_at = NULL WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record(
        &self,
        owner: &str,
        batch: &Batch<'_>,
        health: &dyn EndpointHealth,
    ) -> StoreResult<Vec<EndpointId>> {
        let rows = attempts_json(batch.attempts);
        let cleared: Vec<&str> = batch.cleared.iter().map(|id| id.as_str()).collect();
        if batch.troubled.is_empty() {
            sqlx::query(RECORD)
                .bind(&rows)
                .bind(&cleared)
                .bind(owner)
                .execute(&self.pool)
                .await?;
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(RECORD)
            .bind(&rows)
            .bind(&cleared)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        let disabled = health
            .apply(&mut Conn::Postgres(&mut tx), &batch.troubled)
            .await?;
        tx.commit().await?;
        Ok(disabled)
    }

    async fn listen(&self, wake: Arc<Notify>) -> StoreResult<()> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(_) => wake.notify_one(),
                    Err(e) => {
                        // recv() connects again by itself; a worker that
                        // misses a wake-up still finds the work on its next poll.
                        tracing::warn!(error = %e, "listening for new deliveries failed");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(())
    }

    async fn depth(&self, now: i64) -> StoreResult<Depth> {
        let (due, oldest): (i64, MaybeTimestamp) = sqlx::query_as(
            "SELECT COUNT(*), MIN(next_attempt_at) FROM deliveries \
             WHERE status = 'pending' AND next_attempt_at <= $1 \
               AND (leased_until IS NULL OR leased_until <= now())",
        )
        .bind(Timestamp(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(Depth {
            due,
            oldest_due_at: oldest.0,
        })
    }
}

/// A lease's length as PostgreSQL's `make_interval` takes it.
fn seconds(lease: &Lease<'_>) -> f64 {
    lease.millis as f64 / 1000.0
}
