//! The `projects` table.

use portal_contract::ids::ProjectId;
use portal_contract::projects::{Environment, ProjectOut};
use sqlx::SqliteExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Project {
    pub id: String,
    pub organisation_id: String,
    pub name: String,
    pub description: String,
    pub environment: String,
    pub created_at: i64,
    /// Credentials not revoked; joined in by reads.
    #[sqlx(default)]
    pub credential_count: i64,
    #[sqlx(default)]
    pub webhook_count: i64,
}

impl Project {
    pub fn to_out(&self) -> ProjectOut {
        ProjectOut {
            id: ProjectId(self.id.clone()),
            name: self.name.clone(),
            description: self.description.clone(),
            environment: self.environment.parse().unwrap_or(Environment::Sandbox),
            created_at: self.created_at,
            credential_count: self.credential_count as u32,
            webhook_count: self.webhook_count as u32,
        }
    }
}

const SELECT: &str = "SELECT p.*, (SELECT COUNT(*) FROM credentials c \
     WHERE c.project_id = p.id AND c.revoked_at IS NULL) AS credential_count, \
     (SELECT COUNT(*) FROM webhooks w WHERE w.project_id = p.id) AS webhook_count FROM projects p";

/// Fails with a UNIQUE violation when the organisation has a project of that name.
pub async fn insert(db: impl SqliteExecutor<'_>, p: &Project) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO projects (id, organisation_id, name, description, environment, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&p.id)
    .bind(&p.organisation_id)
    .bind(&p.name)
    .bind(&p.description)
    .bind(&p.environment)
    .bind(p.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The organisation's projects by name.
pub async fn list(db: impl SqliteExecutor<'_>, org: &str) -> sqlx::Result<Vec<Project>> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE p.organisation_id = ? ORDER BY p.name COLLATE NOCASE"
    ))
    .bind(org)
    .fetch_all(db)
    .await
}

/// One of `org`'s projects; another organisation's id reads as absent.
pub async fn get(
    db: impl SqliteExecutor<'_>,
    org: &str,
    id: &str,
) -> sqlx::Result<Option<Project>> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE p.organisation_id = ? AND p.id = ?"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Fails with a UNIQUE violation when the new name is taken.
pub async fn update(
    db: impl SqliteExecutor<'_>,
    id: &str,
    name: &str,
    description: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE projects SET name = ?, description = ? WHERE id = ?")
        .bind(name)
        .bind(description)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete(db: impl SqliteExecutor<'_>, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM projects WHERE id = ?")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
