//! Projects: an organisation's containers for credentials and webhooks.

use async_trait::async_trait;
use portal_contract::ids::{OrganisationId, ProjectId};
use portal_contract::projects::Environment;

use super::credentials::Credential;
use super::events::NewEvent;
use super::{StoreResult, Timestamp};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Project {
    pub id: ProjectId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub description: String,
    pub environment: Environment,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    /// Credentials not revoked; counted by reads.
    #[sqlx(default)]
    pub credential_count: i64,
    #[sqlx(default)]
    pub webhook_count: i64,
}

#[async_trait]
pub trait Projects: Send + Sync {
    /// `Conflict(ProjectName)` when the organisation has a project of that
    /// name, in any case.
    async fn insert(&self, project: &Project) -> StoreResult<()>;

    /// The organisation's projects by name.
    async fn list(&self, org: &OrganisationId) -> StoreResult<Vec<Project>>;

    /// One of `org`'s projects; another organisation's id reads as absent.
    async fn get(&self, org: &OrganisationId, id: &ProjectId) -> StoreResult<Option<Project>>;

    /// Renames or describes, and writes `project.updated`;
    /// `Conflict(ProjectName)` when the new name is taken.
    async fn update(
        &self,
        id: &ProjectId,
        name: &str,
        description: &str,
        event: &NewEvent,
    ) -> StoreResult<()>;

    /// Deletes the project with its credentials, endpoints, events and
    /// deliveries, and writes in the same transaction the event `revoked`
    /// makes for each of its working credentials: they are read under the
    /// project's lock, so a credential created meanwhile can't go unannounced.
    /// Returns how many credentials it revoked.
    async fn delete(
        &self,
        id: &ProjectId,
        revoked: &(dyn for<'c> Fn(&'c Credential) -> NewEvent + Send + Sync),
    ) -> StoreResult<usize>;
}
