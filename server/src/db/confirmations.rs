//! The `email_confirmations` table: single-use links, stored as hashes.

use sqlx::SqliteExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Confirmation {
    pub token_hash: Vec<u8>,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert(db: impl SqliteExecutor<'_>, c: &Confirmation) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO email_confirmations (token_hash, user_id, created_at, expires_at) \
         VALUES (?, ?, ?, ?)",
    )
    .bind(&c.token_hash)
    .bind(&c.user_id)
    .bind(c.created_at)
    .bind(c.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: impl SqliteExecutor<'_>, hash: &[u8]) -> sqlx::Result<Option<Confirmation>> {
    sqlx::query_as("SELECT * FROM email_confirmations WHERE token_hash = ?")
        .bind(hash)
        .fetch_optional(db)
        .await
}

/// Marks the link used; false when someone else used it first.
pub async fn mark_used(db: impl SqliteExecutor<'_>, hash: &[u8], now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE email_confirmations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
    )
    .bind(now)
    .bind(hash)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A new link replaces the old ones: they stop working.
pub async fn expire_all_for_user(
    db: impl SqliteExecutor<'_>,
    user_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE email_confirmations SET expires_at = MIN(expires_at, ?) \
         WHERE user_id = ? AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(())
}
