//! Webhook endpoints. The signing secret is needed to sign, so it is kept
//! sealed (XChaCha20-Poly1305, see `webhooks::vault`), never in plain text.

use portal_contract::credentials::FailingEndpoint;
use portal_contract::ids::{EndpointId, OrganisationId, ProjectId};
use portal_contract::webhooks::{DisabledReason, EndpointStats};

use super::{Arg, Exec, MaybeTimestamp, StoreResult, Timestamp, sql};

#[derive(Clone, sqlx::FromRow)]
pub struct Endpoint {
    pub id: EndpointId,
    pub organisation_id: OrganisationId,
    pub project_id: ProjectId,
    pub url: String,
    pub description: String,
    /// Space-separated; empty means every event type.
    pub event_types: String,
    pub enabled: bool,
    pub disabled_reason: Option<DisabledReason>,
    /// Sealed by the vault.
    pub secret: Vec<u8>,
    /// During a rotation's overlap the previous secret signs too.
    pub previous_secret: Option<Vec<u8>>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub previous_secret_until: Option<i64>,
    /// Set at the first failure after a success; cleared by a success.
    #[sqlx(try_from = "MaybeTimestamp")]
    pub failing_since: Option<i64>,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    /// Counts the changes that matter to the delivery worker (URL, enabled,
    /// secrets): a copy it kept is current while this is the same.
    pub revision: i64,
}

portal_contract::redacted_debug!(Endpoint { id, organisation_id, project_id, url, description, event_types, enabled, disabled_reason, previous_secret_until, failing_since, created_at, revision } secret { secret, previous_secret });

impl Endpoint {
    pub fn event_types(&self) -> Vec<String> {
        self.event_types
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

pub async fn insert(db: impl Exec<'_>, w: &Endpoint) -> StoreResult<()> {
    sql(
        "INSERT INTO webhooks (id, organisation_id, project_id, url, description, event_types, \
         enabled, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8)",
    )
    .bind(&w.id)
    .bind(&w.organisation_id)
    .bind(&w.project_id)
    .bind(&w.url)
    .bind(&w.description)
    .bind(&w.event_types)
    .bind(&w.secret)
    .bind(Timestamp(w.created_at))
    .execute(db)
    .await?;
    Ok(())
}

/// One of `org`'s endpoints; another organisation's id reads as absent.
pub async fn get(
    db: impl Exec<'_>,
    org: &OrganisationId,
    id: &EndpointId,
) -> StoreResult<Option<Endpoint>> {
    sql("SELECT * FROM webhooks WHERE organisation_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The endpoints with these ids (those that exist).
pub async fn by_ids(db: impl Exec<'_>, ids: &[&EndpointId]) -> StoreResult<Vec<Endpoint>> {
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let mut c = db.conn();
    let text = c.dialect().pick(
        "SELECT * FROM webhooks WHERE id IN (SELECT value FROM json_each($1))",
        "SELECT * FROM webhooks WHERE id = ANY($1)",
    );
    sql(text).bind(Arg::Texts(ids)).fetch_all(&mut c).await
}

/// A project's endpoints, oldest first.
/// How many endpoints the organisation has, in all its projects.
pub async fn count(db: impl Exec<'_>, org: &OrganisationId) -> StoreResult<i64> {
    sql("SELECT COUNT(*) FROM webhooks WHERE organisation_id = $1")
        .bind(org)
        .scalar(db)
        .await
}

pub async fn list_for_project(
    db: impl Exec<'_>,
    project: &ProjectId,
) -> StoreResult<Vec<Endpoint>> {
    sql("SELECT * FROM webhooks WHERE project_id = $1 ORDER BY created_at, id")
        .bind(project)
        .fetch_all(db)
        .await
}

/// Saves the editable fields, the enabled state and its reason, and the
/// failure time.
pub async fn update(db: impl Exec<'_>, w: &Endpoint) -> StoreResult<()> {
    sql(
        "UPDATE webhooks SET url = $1, description = $2, event_types = $3, enabled = $4, \
         disabled_reason = $5, failing_since = $6, revision = revision + 1 WHERE id = $7",
    )
    .bind(&w.url)
    .bind(&w.description)
    .bind(&w.event_types)
    .bind(w.enabled)
    .bind(w.disabled_reason)
    .bind(MaybeTimestamp(w.failing_since))
    .bind(&w.id)
    .execute(db)
    .await?;
    Ok(())
}

/// Disables an enabled endpoint for `reason`; false when it was not enabled.
pub async fn disable(
    db: impl Exec<'_>,
    id: &EndpointId,
    reason: DisabledReason,
) -> StoreResult<bool> {
    let changed = sql(
        "UPDATE webhooks SET enabled = false, disabled_reason = $1, revision = revision + 1 \
         WHERE id = $2 AND enabled",
    )
    .bind(reason)
    .bind(id)
    .execute(db)
    .await?;
    Ok(changed == 1)
}

/// When the endpoint started failing (`None`: it isn't), for a rule that
/// reads it before it writes: the row is locked until the unit of work ends.
pub async fn failing_since(db: impl Exec<'_>, id: &EndpointId) -> StoreResult<Option<i64>> {
    let since: Option<MaybeTimestamp> = sql("SELECT failing_since FROM webhooks WHERE id = $1")
        .bind(id)
        .locking()
        .scalar_optional(db)
        .await?;
    Ok(since.and_then(|s| s.0))
}

/// Sets (`Some`) or clears (`None`) when the endpoints started failing;
/// setting leaves those already failing as they are.
pub async fn set_failing_since(
    db: impl Exec<'_>,
    ids: &[&EndpointId],
    since: Option<i64>,
) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let mut c = db.conn();
    let listed = c
        .dialect()
        .pick("id IN (SELECT value FROM json_each($2))", "id = ANY($2)");
    let text = match since {
        Some(_) => format!(
            "UPDATE webhooks SET failing_since = $1 WHERE failing_since IS NULL AND {listed}"
        ),
        None => format!(
            "UPDATE webhooks SET failing_since = $1 WHERE failing_since IS NOT NULL AND {listed}"
        ),
    };
    sql(&text)
        .bind(MaybeTimestamp(since))
        .bind(Arg::Texts(ids))
        .execute(&mut c)
        .await?;
    Ok(())
}

pub async fn rotate_secret(
    db: impl Exec<'_>,
    id: &EndpointId,
    secret: &[u8],
    previous: Option<&[u8]>,
    previous_until: Option<i64>,
) -> StoreResult<()> {
    sql(
        "UPDATE webhooks SET secret = $1, previous_secret = $2, previous_secret_until = $3, \
         revision = revision + 1 WHERE id = $4",
    )
    .bind(secret)
    .bind(previous)
    .bind(MaybeTimestamp(previous_until))
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// With its deliveries.
pub async fn delete(db: impl Exec<'_>, id: &EndpointId) -> StoreResult<()> {
    sql("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Per endpoint of `project`: attempts that succeeded and failed since
/// `since`, the last attempt, and the latest attempted delivery's status.
pub async fn stats(
    db: impl Exec<'_>,
    project: &ProjectId,
    since: i64,
) -> StoreResult<Vec<(EndpointId, EndpointStats)>> {
    let rows: Vec<StatsRow> = sql(
        "SELECT w.id, COALESCE(a.succeeded, 0) AS succeeded, COALESCE(a.failed, 0) AS failed, \
           a.last, \
           (SELECT d.status FROM deliveries d WHERE d.webhook_id = w.id AND d.attempts > 0 \
              ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS last_status \
         FROM webhooks w LEFT JOIN ( \
           SELECT d.webhook_id, \
             SUM(CASE WHEN a.response_status BETWEEN 200 AND 299 THEN 1 ELSE 0 END) \
               AS succeeded, \
             SUM(CASE WHEN a.response_status BETWEEN 200 AND 299 THEN 0 ELSE 1 END) AS failed, \
             MAX(a.started_at) AS last \
           FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id \
           WHERE d.webhook_id IN (SELECT id FROM webhooks WHERE project_id = $1) \
             AND a.started_at >= $2 \
           GROUP BY d.webhook_id) a ON a.webhook_id = w.id \
         WHERE w.project_id = $1",
    )
    .bind(project)
    .bind(Timestamp(since))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(StatsRow::into_stats).collect())
}

/// `org`'s endpoints disabled because their deliveries kept failing.
pub async fn failing(db: impl Exec<'_>, org: &OrganisationId) -> StoreResult<Vec<FailingEndpoint>> {
    let rows: Vec<(ProjectId, EndpointId, String)> =
        sql("SELECT project_id, id, url FROM webhooks \
         WHERE organisation_id = $1 AND NOT enabled AND disabled_reason = 'failing' \
         ORDER BY created_at")
        .bind(org)
        .fetch_all(db)
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

/// A row of `Webhooks::stats`, as both backends select it.
#[derive(sqlx::FromRow)]
struct StatsRow {
    id: EndpointId,
    succeeded: i64,
    failed: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    last: Option<i64>,
    last_status: Option<portal_contract::webhooks::DeliveryStatus>,
}

impl StatsRow {
    fn into_stats(self) -> (EndpointId, EndpointStats) {
        (
            self.id,
            EndpointStats {
                succeeded_attempts: self.succeeded as u32,
                failed_attempts: self.failed as u32,
                last_delivery_at: self.last,
                last_status: self.last_status,
            },
        )
    }
}
