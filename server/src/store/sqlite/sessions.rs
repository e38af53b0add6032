//! `sessions` in SQLite.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::StoreResult;
use crate::store::organisations::Organisation;
use crate::store::sessions::{Session, Sessions, from_joined_row};
use crate::store::users::User;

#[async_trait]
impl Sessions for SqliteStore {
    async fn insert(&self, s: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&s.id_hash)
        .bind(&s.user_id)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn lookup(&self, id_hash: &[u8]) -> StoreResult<Option<(Session, User, Organisation)>> {
        let row = sqlx::query(
            "SELECT s.created_at AS s_created_at, s.last_seen_at, s.expires_at, \
                    u.*, o.name AS o_name, o.status AS o_status, o.created_at AS o_created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             JOIN organisations o ON o.id = u.organisation_id WHERE s.id_hash = ?",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(from_joined_row(&row, id_hash)?))
    }

    async fn touch(&self, id_hash: &[u8], now: i64, expires_at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?")
            .bind(now)
            .bind(expires_at)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete(&self, id_hash: &[u8]) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_expired(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
