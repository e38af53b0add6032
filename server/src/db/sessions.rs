//! The `sessions` table: server-side sessions keyed by the SHA-256 of the
//! cookie's value.

use sqlx::{FromRow, Row, SqliteExecutor};

use super::organisations::Organisation;
use super::users::User;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id_hash: Vec<u8>,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub async fn insert(db: impl SqliteExecutor<'_>, s: &Session) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&s.id_hash)
    .bind(&s.user_id)
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(s.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The session with its user and organisation, in one query: this runs on
/// every authenticated request.
pub async fn lookup(
    db: &super::Db,
    id_hash: &[u8],
) -> sqlx::Result<Option<(Session, User, Organisation)>> {
    let row = sqlx::query(
        "SELECT s.created_at AS s_created_at, s.last_seen_at, s.expires_at, \
                u.*, o.name AS o_name, o.status AS o_status, o.created_at AS o_created_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN organisations o ON o.id = u.organisation_id WHERE s.id_hash = ?",
    )
    .bind(id_hash)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user = User::from_row(&row)?;
    let session = Session {
        id_hash: id_hash.to_vec(),
        user_id: user.id.clone(),
        created_at: row.try_get("s_created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
    };
    let org = Organisation {
        id: user.organisation_id.clone(),
        name: row.try_get("o_name")?,
        status: row.try_get("o_status")?,
        created_at: row.try_get("o_created_at")?,
    };
    Ok(Some((session, user, org)))
}

pub async fn touch(
    db: impl SqliteExecutor<'_>,
    id_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?")
        .bind(now)
        .bind(expires_at)
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete(db: impl SqliteExecutor<'_>, id_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of a user except `keep` (the one making the change).
pub async fn delete_others(
    db: impl SqliteExecutor<'_>,
    user_id: &str,
    keep: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id_hash != ?")
        .bind(user_id)
        .bind(keep)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete_expired(db: impl SqliteExecutor<'_>, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
        .bind(now)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Ends every session of a user (deactivation).
pub async fn delete_all(db: impl SqliteExecutor<'_>, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = ?")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}
