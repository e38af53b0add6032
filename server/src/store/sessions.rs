//! Server-side sessions, keyed by the SHA-256 of the cookie's value.

use async_trait::async_trait;
use portal_contract::ids::UserId;
use sqlx::{FromRow, Row};

use super::organisations::Organisation;
use super::users::User;
use super::{StoreResult, Timestamp};

#[derive(Clone, sqlx::FromRow)]
pub struct Session {
    pub id_hash: Vec<u8>,
    pub user_id: UserId,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    #[sqlx(try_from = "Timestamp")]
    pub last_seen_at: i64,
    #[sqlx(try_from = "Timestamp")]
    pub expires_at: i64,
}

portal_contract::redacted_debug!(Session { user_id, created_at, last_seen_at, expires_at } secret { id_hash });

#[async_trait]
pub trait Sessions: Send + Sync {
    async fn insert(&self, session: &Session) -> StoreResult<()>;

    /// The session with its user and organisation, in one query: this runs
    /// on every signed-in request.
    async fn lookup(&self, id_hash: &[u8]) -> StoreResult<Option<(Session, User, Organisation)>>;

    /// Used at `now`; ends at `expires_at` unless used again.
    async fn touch(&self, id_hash: &[u8], now: i64, expires_at: i64) -> StoreResult<()>;

    async fn delete(&self, id_hash: &[u8]) -> StoreResult<()>;

    /// Returns how many ended.
    async fn delete_expired(&self, now: i64) -> StoreResult<u64>;
}

/// A session, its user and organisation from one joined row, as both
/// backends' `lookup` select them.
pub(super) fn from_joined_row<R: Row>(
    row: &R,
    id_hash: &[u8],
) -> sqlx::Result<(Session, User, Organisation)>
where
    for<'r> User: FromRow<'r, R>,
    for<'r> Timestamp: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> portal_contract::accounts::OrganisationStatus:
        sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    &'static str: sqlx::ColumnIndex<R>,
{
    let user = User::from_row(row)?;
    let session = Session {
        id_hash: id_hash.to_vec(),
        user_id: user.id.clone(),
        created_at: row.try_get::<Timestamp, _>("s_created_at")?.0,
        last_seen_at: row.try_get::<Timestamp, _>("last_seen_at")?.0,
        expires_at: row.try_get::<Timestamp, _>("expires_at")?.0,
    };
    let org = Organisation {
        id: user.organisation_id.clone(),
        name: row.try_get("o_name")?,
        status: row.try_get("o_status")?,
        created_at: row.try_get::<Timestamp, _>("o_created_at")?.0,
    };
    Ok((session, user, org))
}
