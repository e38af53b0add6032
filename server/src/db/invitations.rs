//! The `invitations` table.

use portal_contract::Role;
use portal_contract::ids::InvitationId;
use portal_contract::team::{InvitationOut, InvitationStatus};
use sqlx::SqliteExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitation {
    pub id: String,
    pub organisation_id: String,
    pub email: String,
    pub role: String,
    pub token_hash: Vec<u8>,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub accepted_user_id: Option<String>,
    pub revoked_at: Option<i64>,
}

impl Invitation {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }

    pub fn status(&self, now: i64) -> InvitationStatus {
        if self.accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if self.revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        }
    }
}

/// An invitation with the name of who sent it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    #[sqlx(flatten)]
    pub invitation: Invitation,
    pub invited_by_name: String,
}

impl InvitationRow {
    pub fn to_out(&self, now: i64) -> InvitationOut {
        let i = &self.invitation;
        InvitationOut {
            id: InvitationId(i.id.clone()),
            email: i.email.clone(),
            role: i.role(),
            status: i.status(now),
            invited_by: self.invited_by_name.clone(),
            created_at: i.created_at,
            expires_at: i.expires_at,
            accepted_at: i.accepted_at,
            revoked_at: i.revoked_at,
        }
    }
}

/// An invitation row with its inviter's name, then `$rest`.
macro_rules! select_row {
    ($rest:literal) => {
        concat!(
            "SELECT i.*, u.full_name AS invited_by_name FROM invitations i ",
            "JOIN users u ON u.id = i.invited_by ",
            $rest
        )
    };
}

pub async fn insert(db: impl SqliteExecutor<'_>, i: &Invitation) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO invitations (id, organisation_id, email, role, token_hash, invited_by, \
         created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&i.id)
    .bind(&i.organisation_id)
    .bind(&i.email)
    .bind(&i.role)
    .bind(&i.token_hash)
    .bind(&i.invited_by)
    .bind(i.created_at)
    .bind(i.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The organisation's invitations, newest first.
pub async fn list(db: impl SqliteExecutor<'_>, org: &str) -> sqlx::Result<Vec<InvitationRow>> {
    sqlx::query_as(select_row!(
        "WHERE i.organisation_id = ? ORDER BY i.created_at DESC, i.id DESC"
    ))
    .bind(org)
    .fetch_all(db)
    .await
}

/// One invitation of `org`; another organisation's id reads as absent.
pub async fn get(
    db: impl SqliteExecutor<'_>,
    org: &str,
    id: &str,
) -> sqlx::Result<Option<InvitationRow>> {
    sqlx::query_as(select_row!("WHERE i.organisation_id = ? AND i.id = ?"))
        .bind(org)
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn by_token(
    db: impl SqliteExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<InvitationRow>> {
    sqlx::query_as(select_row!("WHERE i.token_hash = ?"))
        .bind(token_hash)
        .fetch_optional(db)
        .await
}

/// Whether `email` has an invitation to `org` that still works.
pub async fn live_exists(
    db: impl SqliteExecutor<'_>,
    org: &str,
    email: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations WHERE organisation_id = ? AND email = ? \
         AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
    )
    .bind(org)
    .bind(email)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// A new link: the old token stops working, the expiry starts again, and the
/// resender becomes the inviter.
pub async fn renew(
    db: impl SqliteExecutor<'_>,
    id: &str,
    token_hash: &[u8],
    invited_by: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE invitations SET token_hash = ?, invited_by = ?, expires_at = ? WHERE id = ?",
    )
    .bind(token_hash)
    .bind(invited_by)
    .bind(expires_at)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn revoke(db: impl SqliteExecutor<'_>, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE invitations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks the invitation accepted; false when it was accepted or revoked meanwhile.
pub async fn accept(
    db: impl SqliteExecutor<'_>,
    id: &str,
    user_id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE invitations SET accepted_at = ?, accepted_user_id = ? \
         WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
    )
    .bind(now)
    .bind(user_id)
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
