//! API credentials and their secrets (SHA-256 only); what the token
//! endpoint and partner calls read; last use.

use async_trait::async_trait;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::credentials::{OverviewExample, Scope};
use portal_contract::ids::{CredentialId, OrganisationId, ProjectId, UserId};
use portal_contract::projects::Environment;

use super::events::NewEvent;
use super::{MaybeTimestamp, StoreResult, Timestamp};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credential {
    pub id: CredentialId,
    pub organisation_id: OrganisationId,
    pub project_id: ProjectId,
    pub description: String,
    /// Space-separated, as in OAuth2: "read", "write" or "read write".
    pub scopes: String,
    pub created_by: Option<UserId>,
    /// The creator's name, joined in by reads.
    #[sqlx(default)]
    pub created_by_name: Option<String>,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub revoked_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub last_token_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub last_call_at: Option<i64>,
}

impl Credential {
    pub fn scopes(&self) -> Vec<Scope> {
        Scope::parse_list(&self.scopes).unwrap_or_default()
    }
}

/// A working secret of a credential, as lists show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Secret {
    pub credential_id: CredentialId,
    /// The prefix and first random characters.
    pub hint: String,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<i64>,
}

/// What the token endpoint needs to know about the secret it was given.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub credential_id: CredentialId,
    pub organisation_id: OrganisationId,
    pub project_id: ProjectId,
    pub scopes: String,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub revoked_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub secret_expires_at: Option<i64>,
    pub organisation_status: OrganisationStatus,
}

/// What a partner API call needs to know about its token's credential now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Caller {
    pub credential_id: CredentialId,
    pub description: String,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub revoked_at: Option<i64>,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub organisation_status: OrganisationStatus,
    pub project_id: ProjectId,
    pub project_name: String,
    pub environment: Environment,
    /// The token's secret is still one of the credential's, not expired.
    pub secret_live: bool,
}

/// The counts and firsts the quick-start checklist ticks from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Overview {
    pub projects: i64,
    pub credentials: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub first_token_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub first_call_at: Option<i64>,
}

/// When a credential last got a token and last made a call, as noted since
/// the last write.
#[derive(Debug, Clone)]
pub struct Use {
    pub credential_id: CredentialId,
    pub token_at: Option<i64>,
    pub call_at: Option<i64>,
}

#[async_trait]
pub trait Credentials: Send + Sync {
    /// A new credential with its first secret, and `credential.created`.
    async fn create(
        &self,
        credential: &Credential,
        secret_hash: &[u8],
        hint: &str,
        event: &NewEvent,
    ) -> StoreResult<()>;

    /// A project's credentials, newest first, and their working secrets
    /// (the one that doesn't expire first, then newest first).
    async fn list_for_project(
        &self,
        project: &ProjectId,
        now: i64,
    ) -> StoreResult<(Vec<Credential>, Vec<Secret>)>;

    /// One of `org`'s credentials; another organisation's id reads as absent.
    async fn get(&self, org: &OrganisationId, id: &CredentialId)
    -> StoreResult<Option<Credential>>;

    /// A credential's working secrets, in the order of `list_for_project`.
    async fn secrets(&self, id: &CredentialId, now: i64) -> StoreResult<Vec<Secret>>;

    /// Adds a new secret; the working ones end at `old_until` at the latest
    /// (`now`: at once, and they are deleted); and `credential.rolled`.
    async fn roll(
        &self,
        id: &CredentialId,
        secret_hash: &[u8],
        hint: &str,
        now: i64,
        old_until: i64,
        event: &NewEvent,
    ) -> StoreResult<()>;

    /// Revokes the credential, forgets its secrets, and `credential.revoked`.
    async fn revoke(&self, id: &CredentialId, now: i64, event: &NewEvent) -> StoreResult<()>;

    /// The credential a secret (by its hash) belongs to. One indexed read,
    /// the same whether the client id exists or not.
    async fn grant_for_secret(&self, secret_hash: &[u8]) -> StoreResult<Option<Grant>>;

    /// The credential a token names, and whether the secret it was issued
    /// for (`secret`, the start of that secret's hash) still works at `now`:
    /// a secret rolled "now" ends its tokens too.
    async fn caller(
        &self,
        id: &CredentialId,
        secret: &[u8],
        now: i64,
    ) -> StoreResult<Option<Caller>>;

    /// Records last uses, in one transaction; never moves a time backwards.
    async fn record_use(&self, uses: &[Use]) -> StoreResult<()>;

    /// The quick-start checklist's counts, and the newest working credential
    /// to fill its examples with.
    async fn overview(
        &self,
        org: &OrganisationId,
        now: i64,
    ) -> StoreResult<(Overview, Option<OverviewExample>)>;
}

/// The overview's example as both backends select it.
#[derive(sqlx::FromRow)]
pub(super) struct ExampleRow {
    project_id: ProjectId,
    project_name: String,
    client_id: CredentialId,
    secret_hint: String,
}

impl From<ExampleRow> for OverviewExample {
    fn from(r: ExampleRow) -> Self {
        Self {
            project_id: r.project_id,
            project_name: r.project_name,
            client_id: r.client_id,
            secret_hint: r.secret_hint,
        }
    }
}
