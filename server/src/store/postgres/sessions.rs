//! `sessions` in PostgreSQL.

use async_trait::async_trait;

use super::PgStore;
use crate::store::organisations::Organisation;
use crate::store::sessions::{Session, Sessions, from_joined_row};
use crate::store::users::User;
use crate::store::{StoreResult, Timestamp};

#[async_trait]
impl Sessions for PgStore {
    async fn insert(&self, s: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id_hash)
        .bind(&s.user_id)
        .bind(Timestamp(s.created_at))
        .bind(Timestamp(s.last_seen_at))
        .bind(Timestamp(s.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn lookup(&self, id_hash: &[u8]) -> StoreResult<Option<(Session, User, Organisation)>> {
        let row = sqlx::query(
            "SELECT s.created_at AS s_created_at, s.last_seen_at, s.expires_at, \
                    u.*, o.name AS o_name, o.status AS o_status, o.created_at AS o_created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             JOIN organisations o ON o.id = u.organisation_id WHERE s.id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(from_joined_row(&row, id_hash)?))
    }

    async fn touch(&self, id_hash: &[u8], now: i64, expires_at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3")
            .bind(Timestamp(now))
            .bind(Timestamp(expires_at))
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete(&self, id_hash: &[u8]) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_expired(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(Timestamp(now))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
