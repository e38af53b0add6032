//! `projects` in PostgreSQL.

use async_trait::async_trait;
use portal_contract::ids::{OrganisationId, ProjectId};

use super::credentials::SELECT as CREDENTIALS;
use super::{PgStore, conflict, events};
use crate::store::credentials::Credential;
use crate::store::events::NewEvent;
use crate::store::projects::{Project, Projects};
use crate::store::{StoreResult, Timestamp};

const SELECT: &str = "SELECT p.*, (SELECT COUNT(*) FROM credentials c \
     WHERE c.project_id = p.id AND c.revoked_at IS NULL) AS credential_count, \
     (SELECT COUNT(*) FROM webhooks w WHERE w.project_id = p.id) AS webhook_count FROM projects p";

#[async_trait]
impl Projects for PgStore {
    async fn insert(&self, p: &Project) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO projects (id, organisation_id, name, description, environment, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&p.id)
        .bind(&p.organisation_id)
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.environment)
        .bind(Timestamp(p.created_at))
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    async fn list(&self, org: &OrganisationId) -> StoreResult<Vec<Project>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT} WHERE p.organisation_id = $1 ORDER BY lower(p.name), p.id"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn get(&self, org: &OrganisationId, id: &ProjectId) -> StoreResult<Option<Project>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT} WHERE p.organisation_id = $1 AND p.id = $2"
        ))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn update(
        &self,
        id: &ProjectId,
        name: &str,
        description: &str,
        event: &NewEvent,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE projects SET name = $1, description = $2 WHERE id = $3")
            .bind(name)
            .bind(description)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(conflict)?;
        events::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete(
        &self,
        id: &ProjectId,
        revoked: &(dyn for<'c> Fn(&'c Credential) -> NewEvent + Send + Sync),
    ) -> StoreResult<usize> {
        let mut tx = self.pool.begin().await?;
        // Creating a credential takes a key-share lock on its project's row:
        // this waits for those in flight, and holds off new ones.
        sqlx::query("SELECT id FROM projects WHERE id = $1 FOR UPDATE")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let working: Vec<Credential> = sqlx::query_as(&format!(
            "{CREDENTIALS} WHERE c.project_id = $1 AND c.revoked_at IS NULL"
        ))
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        // Written before the delete, for the organisation's endpoints: the
        // project's own go with it.
        for credential in &working {
            events::insert(&mut tx, &revoked(credential)).await?;
        }
        sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(working.len())
    }
}
