//! What the overview warns about.

use portal_contract::credentials::FailingEndpoint;
use portal_contract::ids::{ProjectId, WebhookId};
use sqlx::SqliteExecutor;

/// `org`'s endpoints disabled because their deliveries kept failing.
pub async fn failing_endpoints(
    db: impl SqliteExecutor<'_>,
    org: &str,
) -> sqlx::Result<Vec<FailingEndpoint>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT project_id, id, url FROM webhooks \
         WHERE organisation_id = ? AND enabled = 0 AND disabled_reason = 'failing' \
         ORDER BY created_at",
    )
    .bind(org)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(project_id, webhook_id, url)| FailingEndpoint {
            project_id: ProjectId(project_id),
            webhook_id: WebhookId(webhook_id),
            url,
        })
        .collect())
}
