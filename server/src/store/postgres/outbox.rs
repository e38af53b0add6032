//! `outbox` in PostgreSQL.

use async_trait::async_trait;

use super::PgStore;
use crate::store::outbox::{NewMail, Outbox, OutboxMail};
use crate::store::{StoreResult, Timestamp};

#[async_trait]
impl Outbox for PgStore {
    async fn insert(&self, m: &NewMail<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO outbox (to_address, subject, body, transport, status, error, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(m.to_address)
        .bind(m.subject)
        .bind(m.body)
        .bind(m.transport)
        .bind(m.status)
        .bind(m.error)
        .bind(Timestamp(m.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn to_address(&self, to: &str) -> StoreResult<Vec<OutboxMail>> {
        Ok(
            sqlx::query_as("SELECT * FROM outbox WHERE to_address = $1 ORDER BY id DESC")
                .bind(to)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
