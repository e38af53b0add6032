//! Invitations to join an organisation, their tokens stored as hashes.

use portal_contract::Role;
use portal_contract::ids::{InvitationId, OrganisationId, UserId};
use portal_contract::team::InvitationStatus;

use super::{Exec, MaybeTimestamp, StoreResult, Timestamp, sql};

#[derive(Clone, sqlx::FromRow)]
pub struct Invitation {
    pub id: InvitationId,
    pub organisation_id: OrganisationId,
    pub email: String,
    pub role: Role,
    pub token_hash: Vec<u8>,
    pub invited_by: UserId,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    #[sqlx(try_from = "Timestamp")]
    pub expires_at: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub accepted_at: Option<i64>,
    pub accepted_user_id: Option<UserId>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub revoked_at: Option<i64>,
}

portal_contract::redacted_debug!(Invitation { id, organisation_id, email, role, invited_by, created_at, expires_at, accepted_at, accepted_user_id, revoked_at } secret { token_hash });

impl Invitation {
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

/// An invitation row with its inviter's name.
const SELECT: &str = "SELECT i.*, u.full_name AS invited_by_name FROM invitations i \
     JOIN users u ON u.id = i.invited_by";

pub async fn insert(db: impl Exec<'_>, i: &Invitation) -> StoreResult<()> {
    sql(
        "INSERT INTO invitations (id, organisation_id, email, role, token_hash, invited_by, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&i.id)
    .bind(&i.organisation_id)
    .bind(&i.email)
    .bind(i.role)
    .bind(&i.token_hash)
    .bind(&i.invited_by)
    .bind(Timestamp(i.created_at))
    .bind(Timestamp(i.expires_at))
    .execute(db)
    .await?;
    Ok(())
}

/// The organisation's invitations, newest first.
pub async fn list(db: impl Exec<'_>, org: &OrganisationId) -> StoreResult<Vec<InvitationRow>> {
    sql(&format!(
        "{SELECT} WHERE i.organisation_id = $1 ORDER BY i.created_at DESC, i.id DESC"
    ))
    .bind(org)
    .fetch_all(db)
    .await
}

/// One invitation of `org`; another organisation's id reads as absent.
pub async fn get(
    db: impl Exec<'_>,
    org: &OrganisationId,
    id: &InvitationId,
) -> StoreResult<Option<InvitationRow>> {
    sql(&format!(
        "{SELECT} WHERE i.organisation_id = $1 AND i.id = $2"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn by_token(db: impl Exec<'_>, token_hash: &[u8]) -> StoreResult<Option<InvitationRow>> {
    sql(&format!("{SELECT} WHERE i.token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(db)
        .await
}

/// Whether `email` (whatever its case) has an invitation to `org` that
/// still works.
pub async fn live_exists(
    db: impl Exec<'_>,
    org: &OrganisationId,
    email: &str,
    now: i64,
) -> StoreResult<bool> {
    let n: i64 = sql(
        "SELECT COUNT(*) FROM invitations WHERE organisation_id = $1 \
         AND lower(email) = lower($2) AND accepted_at IS NULL AND revoked_at IS NULL \
         AND expires_at > $3",
    )
    .bind(org)
    .bind(email)
    .bind(Timestamp(now))
    .scalar(db)
    .await?;
    Ok(n > 0)
}

/// A new link: the old token stops working, the expiry starts again, and
/// the resender becomes the inviter.
pub async fn renew(
    db: impl Exec<'_>,
    id: &InvitationId,
    token_hash: &[u8],
    invited_by: &UserId,
    expires_at: i64,
) -> StoreResult<()> {
    sql("UPDATE invitations SET token_hash = $1, invited_by = $2, expires_at = $3 WHERE id = $4")
        .bind(token_hash)
        .bind(invited_by)
        .bind(Timestamp(expires_at))
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn revoke(db: impl Exec<'_>, id: &InvitationId, now: i64) -> StoreResult<()> {
    sql("UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(Timestamp(now))
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Revokes, at `now`, the invitations `user` sent that are still open.
pub async fn revoke_sent_by(db: impl Exec<'_>, user: &UserId, now: i64) -> StoreResult<()> {
    sql(
        "UPDATE invitations SET revoked_at = $1 WHERE invited_by = $2 \
         AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(Timestamp(now))
    .bind(user)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks the invitation accepted by `user` at `now`; false (nothing
/// changed) when it was accepted, revoked or expired meanwhile.
pub async fn accept(
    db: impl Exec<'_>,
    id: &InvitationId,
    user: &UserId,
    now: i64,
) -> StoreResult<bool> {
    let accepted = sql(
        "UPDATE invitations SET accepted_at = $1, accepted_user_id = $2 \
         WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(Timestamp(now))
    .bind(user)
    .bind(id)
    .execute(db)
    .await?;
    Ok(accepted == 1)
}
