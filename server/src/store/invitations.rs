//! Invitations to join an organisation, their tokens stored as hashes.

use async_trait::async_trait;
use portal_contract::Role;
use portal_contract::ids::{InvitationId, OrganisationId, UserId};
use portal_contract::team::InvitationStatus;

use super::events::NewEvent;
use super::users::User;
use super::{MaybeTimestamp, StoreResult, Timestamp};

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

#[async_trait]
pub trait Invitations: Send + Sync {
    async fn insert(&self, invitation: &Invitation) -> StoreResult<()>;

    /// The organisation's invitations, newest first.
    async fn list(&self, org: &OrganisationId) -> StoreResult<Vec<InvitationRow>>;

    /// One invitation of `org`; another organisation's id reads as absent.
    async fn get(
        &self,
        org: &OrganisationId,
        id: &InvitationId,
    ) -> StoreResult<Option<InvitationRow>>;

    async fn by_token(&self, token_hash: &[u8]) -> StoreResult<Option<InvitationRow>>;

    /// Whether `email` has an invitation to `org` that still works.
    async fn live_exists(&self, org: &OrganisationId, email: &str, now: i64) -> StoreResult<bool>;

    /// A new link: the old token stops working, the expiry starts again,
    /// and the resender becomes the inviter.
    async fn renew(
        &self,
        id: &InvitationId,
        token_hash: &[u8],
        invited_by: &UserId,
        expires_at: i64,
    ) -> StoreResult<()>;

    async fn revoke(&self, id: &InvitationId, now: i64) -> StoreResult<()>;

    /// Creates `user` (replacing an unconfirmed account at the address),
    /// marks the invitation accepted and writes `member.joined`, in one
    /// transaction. False (nothing changed) when the invitation was accepted,
    /// revoked or expired meanwhile; `Conflict(UserEmail)` when the address
    /// got an account.
    async fn accept(
        &self,
        id: &InvitationId,
        user: &User,
        now: i64,
        event: &NewEvent,
    ) -> StoreResult<bool>;
}
