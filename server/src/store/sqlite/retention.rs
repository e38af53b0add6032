//! Retention in SQLite.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::StoreResult;
use crate::store::retention::Retention;

#[async_trait]
impl Retention for SqliteStore {
    async fn purge_events(&self, before: i64, batch: u32) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        // Deliveries and their attempts go with their event (ON DELETE CASCADE).
        let done = sqlx::query(
            "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < ? \
               AND NOT EXISTS (SELECT 1 FROM deliveries d \
                               WHERE d.event_id = e.id AND d.status = 'pending') \
             LIMIT ?)",
        )
        .bind(before)
        .bind(batch)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn purge_outbox(&self, before: i64, batch: u32) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "DELETE FROM outbox WHERE id IN \
             (SELECT id FROM outbox WHERE created_at < ? LIMIT ?)",
        )
        .bind(before)
        .bind(batch)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn purge_invitations(&self, before: i64, now: i64, batch: u32) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "DELETE FROM invitations WHERE id IN (SELECT id FROM invitations \
             WHERE created_at < ? AND (accepted_at IS NOT NULL OR revoked_at IS NOT NULL \
               OR expires_at <= ?) LIMIT ?)",
        )
        .bind(before)
        .bind(now)
        .bind(batch)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
