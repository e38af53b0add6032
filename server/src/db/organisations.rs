//! The `organisations` table.

use portal_contract::accounts::{OrganisationOut, OrganisationStatus};
use portal_contract::ids::OrganisationId;
use sqlx::SqliteExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub status: String,
    pub created_at: i64,
}

impl Organisation {
    pub fn status(&self) -> OrganisationStatus {
        self.status.parse().unwrap_or(OrganisationStatus::Pending)
    }

    pub fn to_out(&self) -> OrganisationOut {
        OrganisationOut {
            id: OrganisationId(self.id.clone()),
            name: self.name.clone(),
            status: self.status(),
            created_at: self.created_at,
        }
    }
}

pub async fn insert(db: impl SqliteExecutor<'_>, org: &Organisation) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO organisations (id, name, status, created_at) VALUES (?, ?, ?, ?)")
        .bind(&org.id)
        .bind(&org.name)
        .bind(&org.status)
        .bind(org.created_at)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn get(db: impl SqliteExecutor<'_>, id: &str) -> sqlx::Result<Option<Organisation>> {
    sqlx::query_as("SELECT * FROM organisations WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn list(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<Organisation>> {
    sqlx::query_as("SELECT * FROM organisations ORDER BY created_at, id")
        .fetch_all(db)
        .await
}

pub async fn rename(db: impl SqliteExecutor<'_>, id: &str, name: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE organisations SET name = ? WHERE id = ?")
        .bind(name)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Returns whether the organisation exists.
pub async fn set_status(
    db: impl SqliteExecutor<'_>,
    id: &str,
    status: OrganisationStatus,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE organisations SET status = ? WHERE id = ?")
        .bind(status.as_str())
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
