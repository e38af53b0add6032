//! Server-side sessions, keyed by the SHA-256 of the cookie's value.

use portal_contract::accounts::OrganisationStatus;
use portal_contract::ids::UserId;

use super::organisations::Organisation;
use super::users::User;
use super::{Exec, StoreResult, Timestamp, sql};

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

pub async fn insert(db: impl Exec<'_>, s: &Session) -> StoreResult<()> {
    sql(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.id_hash)
    .bind(&s.user_id)
    .bind(Timestamp(s.created_at))
    .bind(Timestamp(s.last_seen_at))
    .bind(Timestamp(s.expires_at))
    .execute(db)
    .await?;
    Ok(())
}

/// A session with its user and organisation, as `lookup` reads them.
#[derive(sqlx::FromRow)]
struct Joined {
    #[sqlx(flatten)]
    user: User,
    #[sqlx(try_from = "Timestamp")]
    s_created_at: i64,
    #[sqlx(try_from = "Timestamp")]
    last_seen_at: i64,
    #[sqlx(try_from = "Timestamp")]
    expires_at: i64,
    o_name: String,
    o_status: OrganisationStatus,
    #[sqlx(try_from = "Timestamp")]
    o_created_at: i64,
}

/// The session with its user and organisation, in one query: this runs on
/// every signed-in request.
pub async fn lookup(
    db: impl Exec<'_>,
    id_hash: &[u8],
) -> StoreResult<Option<(Session, User, Organisation)>> {
    let row: Option<Joined> = sql(
        "SELECT s.created_at AS s_created_at, s.last_seen_at, s.expires_at, \
                u.*, o.name AS o_name, o.status AS o_status, o.created_at AS o_created_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN organisations o ON o.id = u.organisation_id WHERE s.id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        let session = Session {
            id_hash: id_hash.to_vec(),
            user_id: r.user.id.clone(),
            created_at: r.s_created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
        };
        let org = Organisation {
            id: r.user.organisation_id.clone(),
            name: r.o_name,
            status: r.o_status,
            created_at: r.o_created_at,
        };
        (session, r.user, org)
    }))
}

/// Used at `now`; ends at `expires_at` unless used again.
pub async fn touch(
    db: impl Exec<'_>,
    id_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    sql("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3")
        .bind(Timestamp(now))
        .bind(Timestamp(expires_at))
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete(db: impl Exec<'_>, id_hash: &[u8]) -> StoreResult<()> {
    sql("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of `user` but `keep` (the one making the change, if any).
pub async fn delete_for_user(
    db: impl Exec<'_>,
    user: &UserId,
    keep: Option<&[u8]>,
) -> StoreResult<u64> {
    sql("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id_hash <> $2)")
        .bind(user)
        .bind(keep)
        .execute(db)
        .await
}

/// Returns how many ended.
pub async fn delete_expired(db: impl Exec<'_>, now: i64) -> StoreResult<u64> {
    sql("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(Timestamp(now))
        .execute(db)
        .await
}
