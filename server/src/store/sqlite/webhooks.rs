//! `webhooks` (endpoints) in SQLite.

use async_trait::async_trait;
use portal_contract::credentials::FailingEndpoint;
use portal_contract::ids::{OrganisationId, ProjectId, WebhookId};
use portal_contract::webhooks::{DisabledReason, WebhookStats};
use sqlx::SqliteConnection;

use super::SqliteStore;
use super::queue::now_ms;
use crate::store::StoreResult;
use crate::store::webhooks::{StatsRow, Webhook, Webhooks};

/// Disables an endpoint for `reason` and ends its waiting deliveries.
/// Returns whether it was enabled until now.
pub(super) async fn disable(
    conn: &mut SqliteConnection,
    id: &WebhookId,
    reason: DisabledReason,
) -> sqlx::Result<bool> {
    let changed = sqlx::query(
        "UPDATE webhooks SET enabled = 0, disabled_reason = ? WHERE id = ? AND enabled = 1",
    )
    .bind(reason)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    // Those being sent now are recorded by their worker.
    sqlx::query(concat!(
        "UPDATE deliveries SET status = 'failed', next_attempt_at = NULL \
         WHERE webhook_id = ? AND status = 'pending' \
           AND (leased_until IS NULL OR leased_until <= ",
        now_ms!(),
        ")"
    ))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(changed)
}

#[async_trait]
impl Webhooks for SqliteStore {
    async fn insert(&self, w: &Webhook) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webhooks (id, organisation_id, project_id, url, description, event_types, \
             enabled, secret, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
        )
        .bind(&w.id)
        .bind(&w.organisation_id)
        .bind(&w.project_id)
        .bind(&w.url)
        .bind(&w.description)
        .bind(&w.event_types)
        .bind(&w.secret)
        .bind(w.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get(&self, org: &OrganisationId, id: &WebhookId) -> StoreResult<Option<Webhook>> {
        Ok(
            sqlx::query_as("SELECT * FROM webhooks WHERE organisation_id = ? AND id = ?")
                .bind(org)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn list_for_project(&self, project: &ProjectId) -> StoreResult<Vec<Webhook>> {
        Ok(
            sqlx::query_as("SELECT * FROM webhooks WHERE project_id = ? ORDER BY created_at, id")
                .bind(project)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn update(
        &self,
        w: &Webhook,
        disable_for: Option<DisabledReason>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        if let Some(reason) = disable_for {
            disable(&mut tx, &w.id, reason).await?;
        }
        sqlx::query(
            "UPDATE webhooks SET url = ?, description = ?, event_types = ?, enabled = ?, \
             disabled_reason = ?, failing_since = ? WHERE id = ?",
        )
        .bind(&w.url)
        .bind(&w.description)
        .bind(&w.event_types)
        .bind(w.enabled)
        .bind(w.disabled_reason)
        .bind(w.failing_since)
        .bind(&w.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rotate_secret(
        &self,
        id: &WebhookId,
        secret: &[u8],
        previous: Option<&[u8]>,
        previous_until: Option<i64>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE webhooks SET secret = ?, previous_secret = ?, previous_secret_until = ? \
             WHERE id = ?",
        )
        .bind(secret)
        .bind(previous)
        .bind(previous_until)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete(&self, id: &WebhookId) -> StoreResult<()> {
        sqlx::query("DELETE FROM webhooks WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn stats(
        &self,
        project: &ProjectId,
        since: i64,
    ) -> StoreResult<Vec<(WebhookId, WebhookStats)>> {
        let rows: Vec<StatsRow> = sqlx::query_as(
            "SELECT w.id, COALESCE(a.succeeded, 0) AS succeeded, COALESCE(a.failed, 0) AS failed, \
               a.last, \
               (SELECT d.status FROM deliveries d WHERE d.webhook_id = w.id AND d.attempts > 0 \
                  ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS last_status \
             FROM webhooks w LEFT JOIN ( \
               SELECT d.webhook_id, \
                 SUM(a.response_status BETWEEN 200 AND 299) AS succeeded, \
                 SUM(a.response_status IS NULL OR a.response_status NOT BETWEEN 200 AND 299) \
                   AS failed, \
                 MAX(a.started_at) AS last \
               FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id \
               WHERE d.webhook_id IN (SELECT id FROM webhooks WHERE project_id = ?1) \
                 AND a.started_at >= ?2 \
               GROUP BY d.webhook_id) a ON a.webhook_id = w.id \
             WHERE w.project_id = ?1",
        )
        .bind(project)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(StatsRow::into_stats).collect())
    }

    async fn failing(&self, org: &OrganisationId) -> StoreResult<Vec<FailingEndpoint>> {
        let rows: Vec<(ProjectId, WebhookId, String)> = sqlx::query_as(
            "SELECT project_id, id, url FROM webhooks \
             WHERE organisation_id = ? AND enabled = 0 AND disabled_reason = 'failing' \
             ORDER BY created_at",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(project_id, webhook_id, url)| FailingEndpoint {
                project_id,
                webhook_id,
                url,
            })
            .collect())
    }
}
