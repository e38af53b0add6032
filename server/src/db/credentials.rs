//! The `credentials` and `credential_secrets` tables.

use portal_contract::credentials::{
    CreatedBy, CredentialOut, CredentialStatus, OverviewExample, Scope, SecretHint,
};
use portal_contract::ids::{CredentialId, ProjectId, UserId};
use sqlx::{SqliteConnection, SqliteExecutor};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credential {
    pub id: String,
    pub organisation_id: String,
    pub project_id: String,
    pub description: String,
    pub scopes: String,
    pub created_by: Option<String>,
    /// The creator's name, joined in by reads.
    #[sqlx(default)]
    pub created_by_name: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_token_at: Option<i64>,
    pub last_call_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Secret {
    pub credential_id: String,
    pub hint: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl Credential {
    pub fn scopes(&self) -> Vec<Scope> {
        Scope::parse_list(&self.scopes).unwrap_or_default()
    }

    /// The API's view; `secrets` are this credential's working ones.
    pub fn to_out(&self, secrets: &[Secret], now: i64) -> CredentialOut {
        CredentialOut {
            id: CredentialId(self.id.clone()),
            project_id: ProjectId(self.project_id.clone()),
            description: self.description.clone(),
            scopes: self.scopes(),
            secrets: secrets
                .iter()
                .filter(|s| s.credential_id == self.id)
                .map(|s| SecretHint {
                    hint: s.hint.clone(),
                    created_at: s.created_at,
                    expires_at: s.expires_at,
                })
                .collect(),
            created_by: self.created_by.clone().map(|id| CreatedBy {
                id: UserId(id),
                name: self.created_by_name.clone().unwrap_or_default(),
            }),
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
            last_used_at: self.last_token_at.max(self.last_call_at),
            status: CredentialStatus::at(now, self.expires_at, self.revoked_at),
        }
    }
}

const SELECT: &str = "SELECT c.*, u.full_name AS created_by_name FROM credentials c \
     LEFT JOIN users u ON u.id = c.created_by";

/// A new credential and its first secret.
pub async fn insert(
    tx: &mut SqliteConnection,
    c: &Credential,
    secret_hash: &[u8],
    hint: &str,
) -> sqlx::Result<()> {
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
    insert_secret(tx, &c.id, secret_hash, hint, c.created_at).await
}

async fn insert_secret(
    db: impl SqliteExecutor<'_>,
    credential_id: &str,
    hash: &[u8],
    hint: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO credential_secrets (hash, credential_id, hint, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(hash)
    .bind(credential_id)
    .bind(hint)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// A project's credentials, newest first, with their working secrets.
pub async fn list_for_project(
    db: &crate::db::Db,
    project_id: &str,
    now: i64,
) -> sqlx::Result<(Vec<Credential>, Vec<Secret>)> {
    let credentials = sqlx::query_as(&format!(
        "{SELECT} WHERE c.project_id = ? ORDER BY c.created_at DESC, c.id"
    ))
    .bind(project_id)
    .fetch_all(db)
    .await?;
    let secrets = sqlx::query_as(
        "SELECT s.credential_id, s.hint, s.created_at, s.expires_at FROM credential_secrets s \
         JOIN credentials c ON c.id = s.credential_id \
         WHERE c.project_id = ? AND (s.expires_at IS NULL OR s.expires_at > ?) \
         ORDER BY (s.expires_at IS NULL) DESC, s.created_at DESC",
    )
    .bind(project_id)
    .bind(now)
    .fetch_all(db)
    .await?;
    Ok((credentials, secrets))
}

/// One of `org`'s credentials; another organisation's id reads as absent.
pub async fn get(
    db: impl SqliteExecutor<'_>,
    org: &str,
    id: &str,
) -> sqlx::Result<Option<Credential>> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE c.organisation_id = ? AND c.id = ?"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// A credential's working secrets, newest first.
pub async fn secrets(
    db: impl SqliteExecutor<'_>,
    credential_id: &str,
    now: i64,
) -> sqlx::Result<Vec<Secret>> {
    sqlx::query_as(
        "SELECT credential_id, hint, created_at, expires_at FROM credential_secrets \
         WHERE credential_id = ? AND (expires_at IS NULL OR expires_at > ?) \
         ORDER BY (expires_at IS NULL) DESC, created_at DESC",
    )
    .bind(credential_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// Adds a new secret; the working ones end at `old_until` at the latest
/// (`now`: at once, and then they are deleted).
pub async fn roll(
    tx: &mut SqliteConnection,
    credential_id: &str,
    hash: &[u8],
    hint: &str,
    now: i64,
    old_until: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credential_secrets SET expires_at = MIN(COALESCE(expires_at, ?1), ?1) \
         WHERE credential_id = ?2",
    )
    .bind(old_until)
    .bind(credential_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM credential_secrets WHERE credential_id = ? AND expires_at <= ?")
        .bind(credential_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    insert_secret(&mut *tx, credential_id, hash, hint, now).await
}

/// Revokes a credential and forgets its secrets. False if it was revoked already.
pub async fn revoke(tx: &mut SqliteConnection, id: &str, now: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
    sqlx::query("DELETE FROM credential_secrets WHERE credential_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(done)
}

/// What the token endpoint needs to know about the secret it was given.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub credential_id: String,
    pub organisation_id: String,
    pub project_id: String,
    pub scopes: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub secret_expires_at: Option<i64>,
    pub organisation_status: String,
}

/// The credential a secret (by its hash) belongs to. One indexed read, the
/// same whether the client id exists or not.
pub async fn grant_for_secret(
    db: impl SqliteExecutor<'_>,
    hash: &[u8],
) -> sqlx::Result<Option<Grant>> {
    sqlx::query_as(
        "SELECT c.id AS credential_id, c.organisation_id, c.project_id, c.scopes, c.expires_at, \
         c.revoked_at, s.expires_at AS secret_expires_at, o.status AS organisation_status \
         FROM credential_secrets s JOIN credentials c ON c.id = s.credential_id \
         JOIN organisations o ON o.id = c.organisation_id WHERE s.hash = ?",
    )
    .bind(hash)
    .fetch_optional(db)
    .await
}

/// What a partner API call needs to know about its token's credential now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Caller {
    pub credential_id: String,
    pub description: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub organisation_id: String,
    pub organisation_name: String,
    pub organisation_status: String,
    pub project_id: String,
    pub project_name: String,
    pub environment: String,
}

pub async fn caller(
    db: impl SqliteExecutor<'_>,
    credential_id: &str,
) -> sqlx::Result<Option<Caller>> {
    sqlx::query_as(
        "SELECT c.id AS credential_id, c.description, c.expires_at, c.revoked_at, \
         o.id AS organisation_id, o.name AS organisation_name, o.status AS organisation_status, \
         p.id AS project_id, p.name AS project_name, p.environment \
         FROM credentials c JOIN projects p ON p.id = c.project_id \
         JOIN organisations o ON o.id = c.organisation_id WHERE c.id = ?",
    )
    .bind(credential_id)
    .fetch_optional(db)
    .await
}

/// Records when credentials last got a token or made a call; never moves a
/// time backwards.
pub async fn record_use(
    tx: &mut SqliteConnection,
    id: &str,
    token_at: Option<i64>,
    call_at: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credentials SET \
         last_token_at = NULLIF(MAX(COALESCE(last_token_at, 0), COALESCE(?, 0)), 0), \
         last_call_at = NULLIF(MAX(COALESCE(last_call_at, 0), COALESCE(?, 0)), 0) \
         WHERE id = ?",
    )
    .bind(token_at)
    .bind(call_at)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Overview {
    pub projects: i64,
    pub credentials: i64,
    pub first_token_at: Option<i64>,
    pub first_call_at: Option<i64>,
}

/// The counts and firsts the quick-start checklist ticks from.
pub async fn overview(
    db: &crate::db::Db,
    org: &str,
    now: i64,
) -> sqlx::Result<(Overview, Option<OverviewExample>)> {
    let overview: Overview = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM projects WHERE organisation_id = ?1) AS projects, \
         (SELECT COUNT(*) FROM credentials WHERE organisation_id = ?1 AND revoked_at IS NULL \
            AND (expires_at IS NULL OR expires_at > ?2)) AS credentials, \
         (SELECT MIN(last_token_at) FROM credentials WHERE organisation_id = ?1) AS first_token_at, \
         (SELECT MIN(last_call_at) FROM credentials WHERE organisation_id = ?1) AS first_call_at",
    )
    .bind(org)
    .bind(now)
    .fetch_one(db)
    .await?;
    let example: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT p.id, p.name, c.id, s.hint FROM credentials c \
         JOIN projects p ON p.id = c.project_id \
         JOIN credential_secrets s ON s.credential_id = c.id \
         WHERE c.organisation_id = ?1 AND c.revoked_at IS NULL \
           AND (c.expires_at IS NULL OR c.expires_at > ?2) \
           AND (s.expires_at IS NULL OR s.expires_at > ?2) \
         ORDER BY c.created_at DESC, (s.expires_at IS NULL) DESC, s.created_at DESC LIMIT 1",
    )
    .bind(org)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok((
        overview,
        example.map(
            |(project_id, project_name, client_id, secret_hint)| OverviewExample {
                project_id: ProjectId(project_id),
                project_name,
                client_id: CredentialId(client_id),
                secret_hint,
            },
        ),
    ))
}
