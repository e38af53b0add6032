//! Projects: an organisation's containers for credentials and webhooks.

use portal_contract::ids::{OrganisationId, ProjectId};
use portal_contract::projects::Environment;

use super::{Exec, StoreResult, Timestamp, sql};

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

/// A project with its counts.
const SELECT: &str = "SELECT p.*, (SELECT COUNT(*) FROM credentials c \
     WHERE c.project_id = p.id AND c.revoked_at IS NULL) AS credential_count, \
     (SELECT COUNT(*) FROM webhooks w WHERE w.project_id = p.id) AS webhook_count FROM projects p";

/// `Conflict(ProjectName)` when the organisation has a project of that
/// name, in any case.
pub async fn insert(db: impl Exec<'_>, p: &Project) -> StoreResult<()> {
    sql(
        "INSERT INTO projects (id, organisation_id, name, description, environment, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&p.id)
    .bind(&p.organisation_id)
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.environment)
    .bind(Timestamp(p.created_at))
    .execute(db)
    .await?;
    Ok(())
}

/// The organisation's projects by name.
pub async fn list(db: impl Exec<'_>, org: &OrganisationId) -> StoreResult<Vec<Project>> {
    sql(&format!(
        "{SELECT} WHERE p.organisation_id = $1 ORDER BY lower(p.name), p.id"
    ))
    .bind(org)
    .fetch_all(db)
    .await
}

/// One of `org`'s projects; another organisation's id reads as absent.
/// How many projects the organisation has.
pub async fn count(db: impl Exec<'_>, org: &OrganisationId) -> StoreResult<i64> {
    sql("SELECT COUNT(*) FROM projects WHERE organisation_id = $1")
        .bind(org)
        .scalar(db)
        .await
}

/// The bytes of the project's events (what deleting it frees).
pub async fn stored_event_bytes(db: impl Exec<'_>, id: &ProjectId) -> StoreResult<i64> {
    // SUM of bigints is a numeric in PostgreSQL: cast back.
    sql("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM events WHERE project_id = $1")
        .bind(id)
        .scalar(db)
        .await
}

pub async fn get(
    db: impl Exec<'_>,
    org: &OrganisationId,
    id: &ProjectId,
) -> StoreResult<Option<Project>> {
    sql(&format!(
        "{SELECT} WHERE p.organisation_id = $1 AND p.id = $2"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Locks the project's row until the unit of work ends. Creating a
/// credential takes a key-share lock on it (its foreign key): this waits for
/// those in flight, and holds off new ones.
pub async fn lock(db: impl Exec<'_>, id: &ProjectId) -> StoreResult<()> {
    sql("SELECT id FROM projects WHERE id = $1")
        .bind(id)
        .locking()
        .scalar_optional::<String>(db)
        .await?;
    Ok(())
}

/// Renames or describes; `Conflict(ProjectName)` when the new name is taken.
pub async fn update(
    db: impl Exec<'_>,
    id: &ProjectId,
    name: &str,
    description: &str,
) -> StoreResult<()> {
    sql("UPDATE projects SET name = $1, description = $2 WHERE id = $3")
        .bind(name)
        .bind(description)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes the project with its credentials, endpoints, events and
/// deliveries (`ON DELETE CASCADE`).
pub async fn delete(db: impl Exec<'_>, id: &ProjectId) -> StoreResult<()> {
    sql("DELETE FROM projects WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
