//! `credentials` and `credential_secrets` in SQLite.

use async_trait::async_trait;
use portal_contract::credentials::OverviewExample;
use portal_contract::ids::{CredentialId, OrganisationId, ProjectId};
use sqlx::SqliteConnection;

use super::{SqliteStore, events};
use crate::store::StoreResult;
use crate::store::credentials::{
    Caller, Credential, Credentials, ExampleRow, Grant, Overview, Secret, Use,
};
use crate::store::events::NewEvent;

/// A credential with its creator's name.
pub(super) const SELECT: &str = "SELECT c.*, u.full_name AS created_by_name FROM credentials c \
     LEFT JOIN users u ON u.id = c.created_by";

async fn insert_secret(
    conn: &mut SqliteConnection,
    credential: &CredentialId,
    hash: &[u8],
    hint: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO credential_secrets (hash, credential_id, hint, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(hash)
    .bind(credential)
    .bind(hint)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Credentials for SqliteStore {
    async fn create(
        &self,
        c: &Credential,
        secret_hash: &[u8],
        hint: &str,
        event: &NewEvent,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO credentials (id, organisation_id, project_id, description, scopes, \
             created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.id)
        .bind(&c.organisation_id)
        .bind(&c.project_id)
        .bind(&c.description)
        .bind(&c.scopes)
        .bind(&c.created_by)
        .bind(c.created_at)
        .bind(c.expires_at)
        .execute(&mut *tx)
        .await?;
        insert_secret(&mut tx, &c.id, secret_hash, hint, c.created_at).await?;
        events::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_for_project(
        &self,
        project: &ProjectId,
        now: i64,
    ) -> StoreResult<(Vec<Credential>, Vec<Secret>)> {
        let credentials = sqlx::query_as(&format!(
            "{SELECT} WHERE c.project_id = ? ORDER BY c.created_at DESC, c.id"
        ))
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        let secrets = sqlx::query_as(
            "SELECT s.credential_id, s.hint, s.created_at, s.expires_at FROM credential_secrets s \
             JOIN credentials c ON c.id = s.credential_id \
             WHERE c.project_id = ? AND (s.expires_at IS NULL OR s.expires_at > ?) \
             ORDER BY (s.expires_at IS NULL) DESC, s.created_at DESC",
        )
        .bind(project)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok((credentials, secrets))
    }

    async fn get(
        &self,
        org: &OrganisationId,
        id: &CredentialId,
    ) -> StoreResult<Option<Credential>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT} WHERE c.organisation_id = ? AND c.id = ?"
        ))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn secrets(&self, id: &CredentialId, now: i64) -> StoreResult<Vec<Secret>> {
        Ok(sqlx::query_as(
            "SELECT credential_id, hint, created_at, expires_at FROM credential_secrets \
             WHERE credential_id = ? AND (expires_at IS NULL OR expires_at > ?) \
             ORDER BY (expires_at IS NULL) DESC, created_at DESC",
        )
        .bind(id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn roll(
        &self,
        id: &CredentialId,
        secret_hash: &[u8],
        hint: &str,
        now: i64,
        old_until: i64,
        event: &NewEvent,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE credential_secrets SET expires_at = MIN(COALESCE(expires_at, ?1), ?1) \
             WHERE credential_id = ?2",
        )
        .bind(old_until)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM credential_secrets WHERE credential_id = ? AND expires_at <= ?")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        insert_secret(&mut tx, id, secret_hash, hint, now).await?;
        events::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke(&self, id: &CredentialId, now: i64, event: &NewEvent) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM credential_secrets WHERE credential_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        events::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn grant_for_secret(&self, secret_hash: &[u8]) -> StoreResult<Option<Grant>> {
        Ok(sqlx::query_as(
            "SELECT c.id AS credential_id, c.organisation_id, c.project_id, c.scopes, \
             c.expires_at, c.revoked_at, s.expires_at AS secret_expires_at, \
             o.status AS organisation_status \
             FROM credential_secrets s JOIN credentials c ON c.id = s.credential_id \
             JOIN organisations o ON o.id = c.organisation_id WHERE s.hash = ?",
        )
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn caller(
        &self,
        id: &CredentialId,
        secret: &[u8],
        now: i64,
    ) -> StoreResult<Option<Caller>> {
        Ok(sqlx::query_as(
            "SELECT c.id AS credential_id, c.description, c.expires_at, c.revoked_at, \
             o.id AS organisation_id, o.name AS organisation_name, \
             o.status AS organisation_status, \
             p.id AS project_id, p.name AS project_name, p.environment, \
             EXISTS (SELECT 1 FROM credential_secrets s WHERE s.credential_id = c.id \
                     AND substr(s.hash, 1, length(?2)) = ?2 \
                     AND (s.expires_at IS NULL OR s.expires_at > ?3)) AS secret_live \
             FROM credentials c JOIN projects p ON p.id = c.project_id \
             JOIN organisations o ON o.id = c.organisation_id WHERE c.id = ?1",
        )
        .bind(id)
        .bind(secret)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn record_use(&self, uses: &[Use]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for u in uses {
            sqlx::query(
                "UPDATE credentials SET \
                 last_token_at = NULLIF(MAX(COALESCE(last_token_at, 0), COALESCE(?, 0)), 0), \
                 last_call_at = NULLIF(MAX(COALESCE(last_call_at, 0), COALESCE(?, 0)), 0) \
                 WHERE id = ?",
            )
            .bind(u.token_at)
            .bind(u.call_at)
            .bind(&u.credential_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn overview(
        &self,
        org: &OrganisationId,
        now: i64,
    ) -> StoreResult<(Overview, Option<OverviewExample>)> {
        let overview: Overview = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM projects WHERE organisation_id = ?1) AS projects, \
             (SELECT COUNT(*) FROM credentials WHERE organisation_id = ?1 AND revoked_at IS NULL \
                AND (expires_at IS NULL OR expires_at > ?2)) AS credentials, \
             (SELECT MIN(last_token_at) FROM credentials WHERE organisation_id = ?1) \
                AS first_token_at, \
             (SELECT MIN(last_call_at) FROM credentials WHERE organisation_id = ?1) \
                AS first_call_at",
        )
        .bind(org)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let example = sqlx::query_as(
            "SELECT p.id AS project_id, p.name AS project_name, c.id AS client_id, \
             s.hint AS secret_hint FROM credentials c \
             JOIN projects p ON p.id = c.project_id \
             JOIN credential_secrets s ON s.credential_id = c.id \
             WHERE c.organisation_id = ?1 AND c.revoked_at IS NULL \
               AND (c.expires_at IS NULL OR c.expires_at > ?2) \
               AND (s.expires_at IS NULL OR s.expires_at > ?2) \
             ORDER BY c.created_at DESC, (s.expires_at IS NULL) DESC, s.created_at DESC LIMIT 1",
        )
        .bind(org)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .map(|row: ExampleRow| row.into());
        Ok((overview, example))
    }
}
