//! The outbox: a record of every mail. Without SMTP the body is kept so a
//! developer can read it (it holds one-time links); with SMTP only the envelope.

use super::{Exec, StoreResult, Timestamp, sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxMail {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: Option<String>,
    /// `log` or `smtp`.
    pub transport: String,
    /// `logged`, `sent` or `failed`.
    pub status: String,
    pub error: Option<String>,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
}

/// A mail to record (its id is given by the store).
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub to_address: &'a str,
    pub subject: &'a str,
    pub body: Option<&'a str>,
    pub transport: &'a str,
    pub status: &'a str,
    pub error: Option<&'a str>,
    pub created_at: i64,
}

pub async fn insert(db: impl Exec<'_>, m: &NewMail<'_>) -> StoreResult<()> {
    sql(
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
    .execute(db)
    .await?;
    Ok(())
}

/// Mails to `to`, newest first; for operators and tests.
pub async fn to_address(db: impl Exec<'_>, to: &str) -> StoreResult<Vec<OutboxMail>> {
    sql("SELECT * FROM outbox WHERE to_address = $1 ORDER BY id DESC")
        .bind(to)
        .fetch_all(db)
        .await
}
