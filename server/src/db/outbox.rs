//! The `outbox` table: a record of every mail.

use sqlx::SqliteExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxMail {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: Option<String>,
    pub transport: String,
    pub status: String,
    pub error: Option<String>,
    pub created_at: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    db: impl SqliteExecutor<'_>,
    to: &str,
    subject: &str,
    body: Option<&str>,
    transport: &str,
    status: &str,
    error: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO outbox (to_address, subject, body, transport, status, error, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(transport)
    .bind(status)
    .bind(error)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Newest first; for operators and tests.
pub async fn to_address(db: impl SqliteExecutor<'_>, to: &str) -> sqlx::Result<Vec<OutboxMail>> {
    sqlx::query_as("SELECT * FROM outbox WHERE to_address = ? ORDER BY id DESC")
        .bind(to)
        .fetch_all(db)
        .await
}
