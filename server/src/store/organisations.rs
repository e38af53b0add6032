//! Organisations (partner accounts).

use async_trait::async_trait;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::ids::OrganisationId;

use super::{StoreResult, Timestamp};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub status: OrganisationStatus,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
}

#[async_trait]
pub trait Organisations: Send + Sync {
    async fn get(&self, id: &OrganisationId) -> StoreResult<Option<Organisation>>;

    /// Every organisation, oldest first (for operators).
    async fn list(&self) -> StoreResult<Vec<Organisation>>;

    async fn rename(&self, id: &OrganisationId, name: &str) -> StoreResult<()>;

    /// False when there is no such organisation.
    async fn set_status(
        &self,
        id: &OrganisationId,
        status: OrganisationStatus,
    ) -> StoreResult<bool>;
}
