//! Users (the members of an organisation) and their email confirmations.

use async_trait::async_trait;
use portal_contract::Role;
use portal_contract::ids::{OrganisationId, UserId};
use portal_contract::team::{MemberListQuery, MemberStatus};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::events::NewEvent;
use super::organisations::Organisation;
use super::{MaybeTimestamp, StoreResult, Timestamp};

#[derive(Clone, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
    pub pin_hash: String,
    pub role: Role,
    pub status: MemberStatus,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub email_confirmed_at: Option<i64>,
    pub pin_failed_attempts: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub pin_locked_until: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub last_sign_in_at: Option<i64>,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
}

portal_contract::redacted_debug!(User { id, organisation_id, email, full_name, role, status, email_confirmed_at, pin_failed_attempts, pin_locked_until, last_sign_in_at, created_at } secret { password_hash, pin_hash });

impl User {
    pub fn is_active(&self) -> bool {
        self.status == MemberStatus::Active
    }
}

/// A single-use link that confirms an address, stored as its hash.
#[derive(Clone, sqlx::FromRow)]
pub struct Confirmation {
    pub token_hash: Vec<u8>,
    pub user_id: UserId,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    #[sqlx(try_from = "Timestamp")]
    pub expires_at: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub used_at: Option<i64>,
}

portal_contract::redacted_debug!(Confirmation { user_id, created_at, expires_at, used_at } secret { token_hash });

/// A change of a member's role or status.
#[derive(Debug, Clone)]
pub struct MemberChange<'a> {
    pub id: &'a UserId,
    /// The role and status the actor saw, which the change was checked
    /// against: it applies only if they still are.
    pub seen_role: Role,
    pub seen_status: MemberStatus,
    /// The new role and status.
    pub role: Role,
    pub status: MemberStatus,
    /// Deactivation: their sessions end and the invitations they sent are
    /// revoked, at `now`.
    pub deactivate: bool,
    pub now: i64,
    /// `member.removed`, when they were active and are deactivated now.
    pub event: Option<&'a NewEvent>,
}

/// What `change_member` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChanged {
    Changed,
    /// The member's role or status is no longer what the actor saw.
    Stale,
    /// It would leave the organisation without an active superadmin.
    LastSuperadmin,
}

#[async_trait]
pub trait Users: Send + Sync {
    /// Whatever the case of `email`.
    async fn by_email(&self, email: &str) -> StoreResult<Option<User>>;

    async fn get(&self, id: &UserId) -> StoreResult<Option<User>>;

    /// One of `org`'s members; another organisation's id reads as absent.
    async fn member(&self, org: &OrganisationId, id: &UserId) -> StoreResult<Option<User>>;

    /// A page of `org`'s members (search, filters, sort) and how many match in all.
    async fn member_page(
        &self,
        org: &OrganisationId,
        query: &MemberListQuery,
    ) -> StoreResult<(Vec<User>, u64)>;

    async fn count_active_superadmins(&self, org: &OrganisationId) -> StoreResult<i64>;

    /// A new organisation with its first user and their confirmation link,
    /// replacing any unconfirmed account at that address (an unconfirmed
    /// sign-up must not hold an address its owner wants). `Conflict(UserEmail)`
    /// when a confirmed account has it.
    async fn sign_up(
        &self,
        organisation: &Organisation,
        user: &User,
        confirmation: &Confirmation,
    ) -> StoreResult<()>;

    async fn record_sign_in(&self, id: &UserId, now: i64) -> StoreResult<()>;

    async fn set_full_name(&self, id: &UserId, name: &str) -> StoreResult<()>;

    /// A new password hash; every session but `keep` ends.
    async fn set_password_hash(&self, id: &UserId, hash: &str, keep: &[u8]) -> StoreResult<()>;

    /// A new PIN hash, which also clears any PIN lockout.
    async fn set_pin_hash(&self, id: &UserId, hash: &str) -> StoreResult<()>;

    /// Takes one PIN attempt, atomically, unless the PIN is locked: returns
    /// the attempt's number (1 = first since the last success), or `None`
    /// while locked. Taken before the (slow) check, so parallel guesses
    /// can't share one.
    async fn take_pin_attempt(&self, id: &UserId, now: i64) -> StoreResult<Option<i64>>;

    /// Until when the PIN is locked, if it is.
    async fn pin_locked_until(&self, id: &UserId) -> StoreResult<Option<i64>>;

    async fn set_pin_state(
        &self,
        id: &UserId,
        attempts: i64,
        locked_until: Option<i64>,
    ) -> StoreResult<()>;

    /// Sets a member's role and status, ends their sessions and writes the
    /// event, in one transaction; unless that would leave the organisation
    /// without an active superadmin (two superadmins demoting each other at
    /// once can't both succeed): false then, and nothing changed.
    async fn change_member(&self, change: MemberChange<'_>) -> StoreResult<MemberChanged>;

    /// Addresses of `org`'s active, confirmed admins and superadmins.
    async fn admin_emails(&self, org: &OrganisationId) -> StoreResult<Vec<String>>;
}

#[async_trait]
pub trait Confirmations: Send + Sync {
    async fn get(&self, token_hash: &[u8]) -> StoreResult<Option<Confirmation>>;

    /// Uses the link, confirms the address and records the sign-in, in one
    /// transaction; false (and nothing changed) when it was used meanwhile.
    async fn confirm(&self, token_hash: &[u8], user: &UserId, now: i64) -> StoreResult<bool>;

    /// A new link for `confirmation.user_id`; the old ones stop working.
    async fn replace(&self, confirmation: &Confirmation, now: i64) -> StoreResult<()>;
}

/// `WHERE …` of the member list, for both backends: the organisation, then
/// the search and filters. `like` is the backend's case-insensitive LIKE
/// (SQLite's `LIKE` ignores the case of ASCII letters; PostgreSQL has
/// `ILIKE`, which its trigram indexes serve).
pub(super) fn member_filter<'a, DB: Database>(
    q: &mut QueryBuilder<'a, DB>,
    like: &str,
    org: &'a OrganisationId,
    query: &'a MemberListQuery,
) where
    &'a OrganisationId: Encode<'a, DB> + Type<DB>,
    String: Encode<'a, DB> + Type<DB>,
    Role: Encode<'a, DB> + Type<DB>,
    MemberStatus: Encode<'a, DB> + Type<DB>,
{
    q.push(" WHERE organisation_id = ").push_bind(org);
    if let Some(text) = query
        .query
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        // LIKE wildcards in the search are literal characters.
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        q.push(format!(" AND (full_name {like} "))
            .push_bind(pattern.clone())
            .push(format!(" ESCAPE '\\' OR email {like} "))
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(role) = query.role {
        q.push(" AND role = ").push_bind(role);
    }
    if let Some(status) = query.status {
        q.push(" AND status = ").push_bind(status);
    }
}
