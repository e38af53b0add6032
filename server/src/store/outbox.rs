//! The outbox: a record of every mail. Without SMTP the body is kept so a
//! developer can read it (it holds one-time links); with SMTP only the envelope.

use async_trait::async_trait;

use super::{StoreResult, Timestamp};

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

#[async_trait]
pub trait Outbox: Send + Sync {
    async fn insert(&self, mail: &NewMail<'_>) -> StoreResult<()>;

    /// Mails to `to`, newest first; for operators and tests.
    async fn to_address(&self, to: &str) -> StoreResult<Vec<OutboxMail>>;
}
