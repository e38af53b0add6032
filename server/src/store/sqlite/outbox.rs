//! `outbox` in SQLite.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::StoreResult;
use crate::store::outbox::{NewMail, Outbox, OutboxMail};

#[async_trait]
impl Outbox for SqliteStore {
    async fn insert(&self, m: &NewMail<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO outbox (to_address, subject, body, transport, status, error, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.to_address)
        .bind(m.subject)
        .bind(m.body)
        .bind(m.transport)
        .bind(m.status)
        .bind(m.error)
        .bind(m.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn to_address(&self, to: &str) -> StoreResult<Vec<OutboxMail>> {
        Ok(
            sqlx::query_as("SELECT * FROM outbox WHERE to_address = ? ORDER BY id DESC")
                .bind(to)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
