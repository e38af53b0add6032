//! `organisations` in PostgreSQL.

use async_trait::async_trait;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::ids::OrganisationId;

use super::PgStore;
use crate::store::StoreResult;
use crate::store::organisations::{Organisation, Organisations};

#[async_trait]
impl Organisations for PgStore {
    async fn get(&self, id: &OrganisationId) -> StoreResult<Option<Organisation>> {
        Ok(sqlx::query_as("SELECT * FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn list(&self) -> StoreResult<Vec<Organisation>> {
        Ok(
            sqlx::query_as("SELECT * FROM organisations ORDER BY created_at, id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn rename(&self, id: &OrganisationId, name: &str) -> StoreResult<()> {
        sqlx::query("UPDATE organisations SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_status(
        &self,
        id: &OrganisationId,
        status: OrganisationStatus,
    ) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE organisations SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
