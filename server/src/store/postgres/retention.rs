//! Retention in PostgreSQL.

use async_trait::async_trait;

use super::PgStore;
use crate::store::retention::Retention;
use crate::store::{StoreResult, Timestamp};

#[async_trait]
impl Retention for PgStore {
    async fn purge_events(&self, before: i64, batch: u32) -> StoreResult<u64> {
        // Deliveries and their attempts go with their event (ON DELETE CASCADE).
        let done = sqlx::query(
            "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < $1 \
               AND NOT EXISTS (SELECT 1 FROM deliveries d \
                               WHERE d.event_id = e.id AND d.status = 'pending') \
             LIMIT $2)",
        )
        .bind(Timestamp(before))
        .bind(i64::from(batch))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn purge_outbox(&self, before: i64, batch: u32) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM outbox WHERE id IN \
             (SELECT id FROM outbox WHERE created_at < $1 LIMIT $2)",
        )
        .bind(Timestamp(before))
        .bind(i64::from(batch))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn purge_invitations(&self, before: i64, now: i64, batch: u32) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM invitations WHERE id IN (SELECT id FROM invitations \
             WHERE created_at < $1 AND (accepted_at IS NOT NULL OR revoked_at IS NOT NULL \
               OR expires_at <= $2) LIMIT $3)",
        )
        .bind(Timestamp(before))
        .bind(Timestamp(now))
        .bind(i64::from(batch))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
