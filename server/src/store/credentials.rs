//! API credentials and their secrets (SHA-256 only); what the token
//! endpoint and partner calls read; last use.

use portal_contract::accounts::OrganisationStatus;
use portal_contract::credentials::{OverviewExample, Scope};
use portal_contract::ids::{CredentialId, OrganisationId, ProjectId, UserId};
use portal_contract::projects::Environment;

use super::{Exec, MaybeTimestamp, StoreResult, Timestamp, sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credential {
    pub id: CredentialId,
    pub organisation_id: OrganisationId,
    pub project_id: ProjectId,
    pub description: String,
    /// Space-separated, as in OAuth2: "read", "write" or "read write".
    pub scopes: String,
    pub created_by: Option<UserId>,
    /// The creator's name, joined in by reads.
    #[sqlx(default)]
    pub created_by_name: Option<String>,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub revoked_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub last_token_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub last_call_at: Option<i64>,
}

impl Credential {
    pub fn scopes(&self) -> Vec<Scope> {
        Scope::parse_list(&self.scopes).unwrap_or_default()
    }
}

/// A working secret of a credential, as lists show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Secret {
    pub credential_id: CredentialId,
    /// The prefix and first random characters.
    pub hint: String,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<i64>,
}

/// What the token endpoint needs to know about the secret it was given.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub credential_id: CredentialId,
    pub organisation_id: OrganisationId,
    pub project_id: ProjectId,
    pub scopes: String,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub revoked_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub secret_expires_at: Option<i64>,
    pub organisation_status: OrganisationStatus,
}

/// What a partner API call needs to know about its token's credential now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Caller {
    pub credential_id: CredentialId,
    pub description: String,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub revoked_at: Option<i64>,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub organisation_status: OrganisationStatus,
    pub project_id: ProjectId,
    pub project_name: String,
    pub environment: Environment,
    /// The token's secret is still one of the credential's, not expired.
    pub secret_live: bool,
}

/// The counts and firsts the quick-start checklist ticks from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Overview {
    pub projects: i64,
    pub credentials: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub first_token_at: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub first_call_at: Option<i64>,
}

/// When a credential last got a token and last made a call, as noted since
/// the last write.
#[derive(Debug, Clone)]
pub struct Use {
    pub credential_id: CredentialId,
    pub token_at: Option<i64>,
    pub call_at: Option<i64>,
}

/// A credential with its creator's name.
const SELECT: &str = "SELECT c.*, u.full_name AS created_by_name FROM credentials c \
     LEFT JOIN users u ON u.id = c.created_by";

/// The columns of `Secret`, in the order lists show them: the one that
/// doesn't expire first, then newest first.
const SECRETS: &str = "SELECT s.credential_id, s.hint, s.created_at, s.expires_at \
     FROM credential_secrets s";
const SECRETS_ORDER: &str = "ORDER BY (s.expires_at IS NULL) DESC, s.created_at DESC";

/// A new credential (its first secret is `add_secret`'s).
pub async fn insert(db: impl Exec<'_>, c: &Credential) -> StoreResult<()> {
    sql(
        "INSERT INTO credentials (id, organisation_id, project_id, description, scopes, \
         created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&c.id)
    .bind(&c.organisation_id)
    .bind(&c.project_id)
    .bind(&c.description)
    .bind(&c.scopes)
    .bind(c.created_by.as_ref())
    .bind(Timestamp(c.created_at))
    .bind(MaybeTimestamp(c.expires_at))
    .execute(db)
    .await?;
    Ok(())
}

/// A secret of a credential, by its hash.
pub async fn add_secret(
    db: impl Exec<'_>,
    credential: &CredentialId,
    hash: &[u8],
    hint: &str,
    now: i64,
) -> StoreResult<()> {
    sql(
        "INSERT INTO credential_secrets (hash, credential_id, hint, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(hash)
    .bind(credential)
    .bind(hint)
    .bind(Timestamp(now))
    .execute(db)
    .await?;
    Ok(())
}

/// A project's credentials, newest first.
pub async fn list_for_project(
    db: impl Exec<'_>,
    project: &ProjectId,
) -> StoreResult<Vec<Credential>> {
    sql(&format!(
        "{SELECT} WHERE c.project_id = $1 ORDER BY c.created_at DESC, c.id"
    ))
    .bind(project)
    .fetch_all(db)
    .await
}

/// The working secrets of a project's credentials, at `now`.
pub async fn secrets_for_project(
    db: impl Exec<'_>,
    project: &ProjectId,
    now: i64,
) -> StoreResult<Vec<Secret>> {
    sql(&format!(
        "{SECRETS} JOIN credentials c ON c.id = s.credential_id \
         WHERE c.project_id = $1 AND (s.expires_at IS NULL OR s.expires_at > $2) {SECRETS_ORDER}"
    ))
    .bind(project)
    .bind(Timestamp(now))
    .fetch_all(db)
    .await
}

/// A project's credentials that are not revoked.
pub async fn working_in_project(
    db: impl Exec<'_>,
    project: &ProjectId,
) -> StoreResult<Vec<Credential>> {
    sql(&format!(
        "{SELECT} WHERE c.project_id = $1 AND c.revoked_at IS NULL"
    ))
    .bind(project)
    .fetch_all(db)
    .await
}

/// One of `org`'s credentials; another organisation's id reads as absent.
pub async fn get(
    db: impl Exec<'_>,
    org: &OrganisationId,
    id: &CredentialId,
) -> StoreResult<Option<Credential>> {
    sql(&format!(
        "{SELECT} WHERE c.organisation_id = $1 AND c.id = $2"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// A credential's working secrets at `now`, in the order of lists.
pub async fn secrets(db: impl Exec<'_>, id: &CredentialId, now: i64) -> StoreResult<Vec<Secret>> {
    sql(&format!(
        "{SECRETS} WHERE s.credential_id = $1 AND (s.expires_at IS NULL OR s.expires_at > $2) \
         {SECRETS_ORDER}"
    ))
    .bind(id)
    .bind(Timestamp(now))
    .fetch_all(db)
    .await
}

/// The working secrets end at `until` at the latest; those that have ended
/// by `now` are deleted.
pub async fn end_secrets(
    db: impl Exec<'_>,
    id: &CredentialId,
    until: i64,
    now: i64,
) -> StoreResult<()> {
    let mut c = db.conn();
    sql("UPDATE credential_secrets SET expires_at = $1 \
         WHERE credential_id = $2 AND (expires_at IS NULL OR expires_at > $1)")
    .bind(Timestamp(until))
    .bind(id)
    .execute(&mut c)
    .await?;
    sql("DELETE FROM credential_secrets WHERE credential_id = $1 AND expires_at <= $2")
        .bind(id)
        .bind(Timestamp(now))
        .execute(&mut c)
        .await?;
    Ok(())
}

/// Revokes the credential at `now` and forgets its secrets.
pub async fn revoke(db: impl Exec<'_>, id: &CredentialId, now: i64) -> StoreResult<()> {
    let mut c = db.conn();
    sql("UPDATE credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(Timestamp(now))
        .bind(id)
        .execute(&mut c)
        .await?;
    sql("DELETE FROM credential_secrets WHERE credential_id = $1")
        .bind(id)
        .execute(&mut c)
        .await?;
    Ok(())
}

/// The credential a secret (by its hash) belongs to. One indexed read,
/// the same whether the client id exists or not.
pub async fn grant_for_secret(db: impl Exec<'_>, secret_hash: &[u8]) -> StoreResult<Option<Grant>> {
    sql(
        "SELECT c.id AS credential_id, c.organisation_id, c.project_id, c.scopes, \
         c.expires_at, c.revoked_at, s.expires_at AS secret_expires_at, \
         o.status AS organisation_status \
         FROM credential_secrets s JOIN credentials c ON c.id = s.credential_id \
         JOIN organisations o ON o.id = c.organisation_id WHERE s.hash = $1",
    )
    .bind(secret_hash)
    .fetch_optional(db)
    .await
}

/// The credential a token names, and whether the secret it was issued for
/// (`secret`, the start of that secret's hash) still works at `now`: a
/// secret rolled "now" ends its tokens too.
pub async fn caller(
    db: impl Exec<'_>,
    id: &CredentialId,
    secret: &[u8],
    now: i64,
) -> StoreResult<Option<Caller>> {
    sql(
        "SELECT c.id AS credential_id, c.description, c.expires_at, c.revoked_at, \
         o.id AS organisation_id, o.name AS organisation_name, \
         o.status AS organisation_status, \
         p.id AS project_id, p.name AS project_name, p.environment, \
         EXISTS (SELECT 1 FROM credential_secrets s WHERE s.credential_id = c.id \
                 AND substr(s.hash, 1, length($2)) = $2 \
                 AND (s.expires_at IS NULL OR s.expires_at > $3)) AS secret_live \
         FROM credentials c JOIN projects p ON p.id = c.project_id \
         JOIN organisations o ON o.id = c.organisation_id WHERE c.id = $1",
    )
    .bind(id)
    .bind(secret)
    .bind(Timestamp(now))
    .fetch_optional(db)
    .await
}

/// Records a last use; a time never moves backwards and an unset one stays.
pub async fn record_use(db: impl Exec<'_>, u: &Use) -> StoreResult<()> {
    sql("UPDATE credentials SET \
         last_token_at = CASE WHEN $1 IS NOT NULL \
           AND (last_token_at IS NULL OR last_token_at < $1) THEN $1 ELSE last_token_at END, \
         last_call_at = CASE WHEN $2 IS NOT NULL \
           AND (last_call_at IS NULL OR last_call_at < $2) THEN $2 ELSE last_call_at END \
         WHERE id = $3")
    .bind(MaybeTimestamp(u.token_at))
    .bind(MaybeTimestamp(u.call_at))
    .bind(&u.credential_id)
    .execute(db)
    .await?;
    Ok(())
}

/// The quick-start checklist's counts, and the newest working credential
/// to fill its examples with.
pub async fn overview(
    db: impl Exec<'_>,
    org: &OrganisationId,
    now: i64,
) -> StoreResult<(Overview, Option<OverviewExample>)> {
    let mut c = db.conn();
    // What works now: a revoked or expired credential's tokens and calls
    // tick nothing, so the checklist never says a step is done that a
    // partner couldn't repeat today.
    let overview: Overview = sql(
        "SELECT (SELECT COUNT(*) FROM projects WHERE organisation_id = $1) AS projects, \
         (SELECT COUNT(*) FROM credentials WHERE organisation_id = $1 \
            AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)) \
            AS credentials, \
         (SELECT MIN(last_token_at) FROM credentials WHERE organisation_id = $1 \
            AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)) \
            AS first_token_at, \
         (SELECT MIN(last_call_at) FROM credentials WHERE organisation_id = $1 \
            AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)) \
            AS first_call_at",
    )
    .bind(org)
    .bind(Timestamp(now))
    .fetch_one(&mut c)
    .await?;
    let example: Option<ExampleRow> = sql(
        "SELECT p.id AS project_id, p.name AS project_name, c.id AS client_id, \
         s.hint AS secret_hint FROM credentials c \
         JOIN projects p ON p.id = c.project_id \
         JOIN credential_secrets s ON s.credential_id = c.id \
         WHERE c.organisation_id = $1 AND c.revoked_at IS NULL \
           AND (c.expires_at IS NULL OR c.expires_at > $2) \
           AND (s.expires_at IS NULL OR s.expires_at > $2) \
         ORDER BY c.created_at DESC, (s.expires_at IS NULL) DESC, s.created_at DESC LIMIT 1",
    )
    .bind(org)
    .bind(Timestamp(now))
    .fetch_optional(&mut c)
    .await?;
    Ok((overview, example.map(Into::into)))
}

/// The overview's example as both backends select it.
#[derive(sqlx::FromRow)]
struct ExampleRow {
    project_id: ProjectId,
    project_name: String,
    client_id: CredentialId,
    secret_hint: String,
}

impl From<ExampleRow> for OverviewExample {
    fn from(r: ExampleRow) -> Self {
        Self {
            project_id: r.project_id,
            project_name: r.project_name,
            client_id: r.client_id,
            secret_hint: r.secret_hint,
        }
    }
}
