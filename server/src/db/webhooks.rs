//! The `webhooks`, `events`, `deliveries` and `delivery_attempts` tables.

use portal_contract::ids::{DeliveryId, EventId, ProjectId, WebhookId};
use portal_contract::webhooks::{
    AttemptOut, DeliveryOut, DeliveryQuery, DeliveryStatus, WebhookOut, WebhookStats,
};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Webhook {
    pub id: String,
    pub organisation_id: String,
    pub project_id: String,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Sealed by the vault.
    pub secret: Vec<u8>,
    pub previous_secret: Option<Vec<u8>>,
    pub previous_secret_until: Option<i64>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
}

impl Webhook {
    pub fn event_types(&self) -> Vec<String> {
        self.event_types
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn to_out(&self, stats: WebhookStats, now: i64) -> WebhookOut {
        WebhookOut {
            id: WebhookId(self.id.clone()),
            project_id: ProjectId(self.project_id.clone()),
            url: self.url.clone(),
            description: self.description.clone(),
            event_types: self.event_types(),
            enabled: self.enabled,
            disabled_reason: self.disabled_reason.as_deref().and_then(|r| r.parse().ok()),
            previous_secret_until: self.previous_secret_until.filter(|u| *u > now),
            created_at: self.created_at,
            stats,
        }
    }
}

pub async fn insert(db: impl SqliteExecutor<'_>, w: &Webhook) -> sqlx::Result<()> {
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
    .execute(db)
    .await?;
    Ok(())
}

/// One of `org`'s endpoints; another organisation's id reads as absent.
pub async fn get(
    db: impl SqliteExecutor<'_>,
    org: &str,
    id: &str,
) -> sqlx::Result<Option<Webhook>> {
    sqlx::query_as("SELECT * FROM webhooks WHERE organisation_id = ? AND id = ?")
        .bind(org)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The endpoints with these ids (those that exist).
pub async fn by_ids(db: impl SqliteExecutor<'_>, ids: &[&str]) -> sqlx::Result<Vec<Webhook>> {
    sqlx::query_as("SELECT * FROM webhooks WHERE id IN (SELECT value FROM json_each(?))")
        .bind(serde_json::to_string(ids).expect("strings serialise"))
        .fetch_all(db)
        .await
}

pub async fn list_for_project(
    db: impl SqliteExecutor<'_>,
    project: &str,
) -> sqlx::Result<Vec<Webhook>> {
    sqlx::query_as("SELECT * FROM webhooks WHERE project_id = ? ORDER BY created_at, id")
        .bind(project)
        .fetch_all(db)
        .await
}

/// Saves the editable fields and the enabled state.
pub async fn update(db: impl SqliteExecutor<'_>, w: &Webhook) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhooks SET url = ?, description = ?, event_types = ?, enabled = ?, \
         disabled_reason = ?, failing_since = ? WHERE id = ?",
    )
    .bind(&w.url)
    .bind(&w.description)
    .bind(&w.event_types)
    .bind(w.enabled)
    .bind(&w.disabled_reason)
    .bind(w.failing_since)
    .bind(&w.id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn rotate_secret(
    db: impl SqliteExecutor<'_>,
    id: &str,
    secret: &[u8],
    previous: Option<&[u8]>,
    previous_until: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhooks SET secret = ?, previous_secret = ?, previous_secret_until = ? WHERE id = ?",
    )
    .bind(secret)
    .bind(previous)
    .bind(previous_until)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete(db: impl SqliteExecutor<'_>, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM webhooks WHERE id = ?")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Disables an endpoint for `reason`, and ends its waiting deliveries.
pub async fn disable(tx: &mut SqliteConnection, id: &str, reason: &str) -> sqlx::Result<bool> {
    let changed = sqlx::query(
        "UPDATE webhooks SET enabled = 0, disabled_reason = ? WHERE id = ? AND enabled = 1",
    )
    .bind(reason)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    sqlx::query(
        "UPDATE deliveries SET status = 'failed', next_attempt_at = NULL \
         WHERE webhook_id = ? AND status = 'pending' AND leased = 0",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(changed)
}

/// Endpoint id, attempts answered 2xx, other attempts, last attempt, last delivery's status.
type StatsRow = (String, i64, i64, Option<i64>, Option<String>);

/// Attempts that succeeded and failed, and the latest delivery, per endpoint since `since`.
pub async fn stats(
    db: impl SqliteExecutor<'_>,
    project: &str,
    since: i64,
) -> sqlx::Result<Vec<(String, WebhookStats)>> {
    let rows: Vec<StatsRow> = sqlx::query_as(
        "SELECT w.id, COALESCE(a.succeeded, 0), COALESCE(a.failed, 0), a.last, \
           (SELECT d.status FROM deliveries d WHERE d.webhook_id = w.id AND d.attempts > 0 \
              ORDER BY d.created_at DESC, d.id DESC LIMIT 1) \
         FROM webhooks w LEFT JOIN ( \
           SELECT d.webhook_id, \
             SUM(a.response_status BETWEEN 200 AND 299) AS succeeded, \
             SUM(a.response_status IS NULL OR a.response_status NOT BETWEEN 200 AND 299) AS failed, \
             MAX(a.started_at) AS last \
           FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id \
           WHERE d.webhook_id IN (SELECT id FROM webhooks WHERE project_id = ?1) \
             AND a.started_at >= ?2 \
           GROUP BY d.webhook_id) a ON a.webhook_id = w.id \
         WHERE w.project_id = ?1",
    )
    .bind(project)
    .bind(since)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, ok, failed, last, status)| {
            (
                id,
                WebhookStats {
                    succeeded_attempts: ok as u32,
                    failed_attempts: failed as u32,
                    last_delivery_at: last,
                    last_status: status.and_then(|s| s.parse().ok()),
                },
            )
        })
        .collect())
}

/// Webhook counts per project of `org`.
pub async fn counts(db: impl SqliteExecutor<'_>, org: &str) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT project_id, COUNT(*) FROM webhooks WHERE organisation_id = ? GROUP BY project_id",
    )
    .bind(org)
    .fetch_all(db)
    .await
}

/// An event, and one delivery per enabled endpoint that wants it: endpoints
/// of `project`, or of the whole organisation when `project` is `None`.
/// With `only` (a test event), just that endpoint, whatever types it wants:
/// the user asked for this one. Returns how many deliveries.
#[allow(clippy::too_many_arguments)]
pub async fn insert_event(
    tx: &mut SqliteConnection,
    id: &str,
    org: &str,
    project: Option<&str>,
    only: Option<&str>,
    event_type: &str,
    body: &str,
    now: i64,
) -> sqlx::Result<u64> {
    sqlx::query(
        "INSERT INTO events (id, organisation_id, project_id, type, body, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(org)
    .bind(project)
    .bind(event_type)
    .bind(body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // The delivery id is derived from the event's and the endpoint's, so it
    // needs no round trip per endpoint.
    let done = sqlx::query(
        "INSERT INTO deliveries (id, event_id, webhook_id, event_type, next_attempt_at, created_at) \
         SELECT 'dlv_' || substr(?1, 5) || substr(w.id, 4, 6), ?1, w.id, ?2, ?3, ?3 FROM webhooks w \
         WHERE w.organisation_id = ?4 AND w.enabled = 1 \
           AND (?5 IS NULL OR w.project_id = ?5) AND (?6 IS NULL OR w.id = ?6) \
           AND (?6 IS NOT NULL OR w.event_types = '' \
                OR (' ' || w.event_types || ' ') LIKE ('% ' || ?2 || ' %'))",
    )
    .bind(id)
    .bind(event_type)
    .bind(now)
    .bind(org)
    .bind(project)
    .bind(only)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected())
}

/// A delivery ready to attempt: what to send, where, signed with what.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: String,
    pub event_id: String,
    pub webhook_id: String,
    pub attempts: i64,
    pub body: String,
    /// A fingerprint of the endpoint as it is now: enabled, sealed secrets,
    /// overlap, URL (`None`: it is gone). A copy kept of the endpoint is
    /// current when its `endpoint_fingerprint` is the same.
    pub endpoint: Option<String>,
}

/// Takes up to `limit` deliveries that are due, marking them held.
pub async fn claim_due(
    db: impl SqliteExecutor<'_>,
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as(
        "UPDATE deliveries SET leased = 1 WHERE id IN (SELECT id FROM deliveries \
           WHERE status = 'pending' AND leased = 0 AND next_attempt_at <= ? \
           ORDER BY next_attempt_at LIMIT ?) \
         RETURNING id, event_id, webhook_id, attempts, \
           (SELECT body FROM events e WHERE e.id = deliveries.event_id) AS body, \
           (SELECT w.enabled || ' ' || hex(w.secret) || ' ' || ifnull(hex(w.previous_secret), '') \
              || ' ' || ifnull(w.previous_secret_until, '') || ' ' || w.url \
            FROM webhooks w WHERE w.id = deliveries.webhook_id) AS endpoint",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The fingerprint `claim_due` gives with each delivery, of an endpoint as read.
pub fn endpoint_fingerprint(w: &Webhook) -> String {
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }
    format!(
        "{} {} {} {} {}",
        i64::from(w.enabled),
        hex(&w.secret),
        w.previous_secret.as_deref().map(hex).unwrap_or_default(),
        w.previous_secret_until
            .map(|u| u.to_string())
            .unwrap_or_default(),
        w.url
    )
}

/// At start-up nothing is held: deliveries held by a process that died are
/// due again.
pub async fn release_all(db: impl SqliteExecutor<'_>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("UPDATE deliveries SET leased = 0 WHERE leased = 1")
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// What one attempt did.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery_id: String,
    pub attempt: i64,
    pub started_at: i64,
    pub request_headers: String,
    pub response_status: Option<u16>,
    pub response_excerpt: String,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// An attempt, and where its delivery stands after it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub attempt: Attempt,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<i64>,
}

/// The statements of `record_attempts`: `?1` the attempts as a JSON array,
/// `?2` the ids of the endpoints to clear `failing_since` of.
macro_rules! record_attempts_sql {
    () => {
        "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, request_headers, \
           response_status, response_excerpt, latency_ms, error) \
         SELECT value ->> 'delivery_id', value ->> 'attempt', value ->> 'started_at', \
           value ->> 'request_headers', value ->> 'response_status', \
           value ->> 'response_excerpt', value ->> 'latency_ms', value ->> 'error' \
         FROM json_each(?1); \
         UPDATE deliveries SET status = r.value ->> 'status', attempts = r.value ->> 'attempt', \
           next_attempt_at = r.value ->> 'next_attempt_at', leased = 0, \
           last_http_status = r.value ->> 'response_status', \
           last_latency_ms = r.value ->> 'latency_ms' \
         FROM json_each(?1) AS r WHERE deliveries.id = r.value ->> 'delivery_id'; \
         UPDATE webhooks SET failing_since = NULL \
         WHERE failing_since IS NOT NULL AND id IN (SELECT value FROM json_each(?2))"
    };
}

/// Records attempts and where their deliveries stand now, releasing them;
/// and clears `failing_since` of the endpoints `succeeded` (those whose
/// attempts here all succeeded). Any number of attempts in one round trip
/// to the database thread, as three statements over one JSON array.
pub async fn record_attempts(
    tx: &mut SqliteConnection,
    attempts: &[Recorded],
    succeeded: &[&str],
) -> sqlx::Result<()> {
    sqlx::query(record_attempts_sql!())
        .bind(attempts_json(attempts))
        .bind(serde_json::to_string(succeeded).expect("strings serialise"))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// `record_attempts` as a transaction of its own, begun, written and
/// committed in a single round trip, so the write lock is held only while
/// the database thread runs it. `conn` must not be in a transaction.
pub async fn record_attempts_committed(
    conn: &mut SqliteConnection,
    attempts: &[Recorded],
    succeeded: &[&str],
) -> sqlx::Result<()> {
    let done = sqlx::query(concat!(
        "BEGIN IMMEDIATE; ",
        record_attempts_sql!(),
        "; COMMIT"
    ))
    .bind(attempts_json(attempts))
    .bind(serde_json::to_string(succeeded).expect("strings serialise"))
    .execute(&mut *conn)
    .await;
    if done.is_err() {
        // Whatever the statement that failed, nothing is left half done
        // (when BEGIN itself failed there is nothing to roll back).
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
    }
    done.map(|_| ())
}

fn attempts_json(attempts: &[Recorded]) -> String {
    let rows: Vec<serde_json::Value> = attempts
        .iter()
        .map(|r| {
            let a = &r.attempt;
            serde_json::json!({
                "delivery_id": a.delivery_id,
                "attempt": a.attempt,
                "started_at": a.started_at,
                "request_headers": a.request_headers,
                "response_status": a.response_status,
                "response_excerpt": a.response_excerpt,
                "latency_ms": a.latency_ms,
                "error": a.error,
                "status": r.status.as_str(),
                "next_attempt_at": r.next_attempt_at,
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// Lets go of held deliveries without an attempt, due again at `at`.
pub async fn release(db: impl SqliteExecutor<'_>, ids: &[&str], at: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE deliveries SET leased = 0, next_attempt_at = ? \
         WHERE leased = 1 AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(at)
    .bind(serde_json::to_string(ids).expect("strings serialise"))
    .execute(db)
    .await?;
    Ok(())
}

/// Ends a held delivery without an attempt (its endpoint is gone or disabled).
pub async fn abandon(db: impl SqliteExecutor<'_>, id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE deliveries SET status = 'failed', leased = 0, next_attempt_at = NULL WHERE id = ?",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_failing_since(
    db: impl SqliteExecutor<'_>,
    id: &str,
    since: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE webhooks SET failing_since = ? WHERE id = ?")
        .bind(since)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Notes the first failure since the last success (kept when already failing).
pub async fn mark_failing(db: impl SqliteExecutor<'_>, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE webhooks SET failing_since = ? WHERE id = ? AND failing_since IS NULL")
        .bind(now)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether the endpoint has had no success since `delivery` was first
/// attempted (or since `now`, when it never was).
pub async fn failing_since_first_try(
    db: impl SqliteExecutor<'_>,
    webhook: &str,
    delivery: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let failing: Option<bool> = sqlx::query_scalar(
        "SELECT failing_since IS NOT NULL AND failing_since <= \
           (SELECT COALESCE(MIN(started_at), ?) FROM delivery_attempts WHERE delivery_id = ?) \
         FROM webhooks WHERE id = ?",
    )
    .bind(now)
    .bind(delivery)
    .bind(webhook)
    .fetch_optional(db)
    .await?;
    Ok(failing.unwrap_or(false))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub leased: bool,
    pub last_http_status: Option<i64>,
    pub last_latency_ms: Option<i64>,
    pub created_at: i64,
}

impl DeliveryRow {
    pub fn to_out(&self) -> DeliveryOut {
        let status = self.status.parse().unwrap_or(DeliveryStatus::Pending);
        DeliveryOut {
            id: DeliveryId(self.id.clone()),
            event_id: EventId(self.event_id.clone()),
            event_type: self.event_type.clone(),
            status,
            attempts: self.attempts as u32,
            last_http_status: self.last_http_status.map(|s| s as u16),
            last_latency_ms: self.last_latency_ms.map(|l| l as u32),
            next_attempt_at: self
                .next_attempt_at
                .filter(|_| status == DeliveryStatus::Pending),
            created_at: self.created_at,
        }
    }
}

fn filtered<'a>(select: &str, webhook: &'a str, q: &'a DeliveryQuery) -> QueryBuilder<'a, Sqlite> {
    let mut b = QueryBuilder::new(select);
    b.push(" FROM deliveries WHERE webhook_id = ")
        .push_bind(webhook);
    if let Some(status) = q.status {
        b.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(t) = q.event_type.as_deref().filter(|t| !t.is_empty()) {
        b.push(" AND event_type = ").push_bind(t);
    }
    b
}

/// A page of an endpoint's deliveries, newest first, and the total.
pub async fn delivery_page(
    db: &crate::db::Db,
    webhook: &str,
    q: &DeliveryQuery,
) -> sqlx::Result<(Vec<DeliveryRow>, i64)> {
    let total: i64 = filtered("SELECT COUNT(*)", webhook, q)
        .build_query_scalar()
        .fetch_one(db)
        .await?;
    let mut b = filtered("SELECT *", webhook, q);
    b.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(i64::from(DeliveryQuery::PAGE_SIZE))
        .push(" OFFSET ")
        .push_bind(i64::from((q.page() - 1) * DeliveryQuery::PAGE_SIZE));
    let rows = b.build_query_as().fetch_all(db).await?;
    Ok((rows, total))
}

/// The delivery of `event` to `webhook`. Delivery ids begin with their
/// event's (see `insert_event`), so this reads a range of the primary key
/// (the `+` keeps SQLite from scanning the endpoint's index instead).
pub async fn delivery_of_event(
    conn: &mut SqliteConnection,
    event: &str,
    webhook: &str,
) -> sqlx::Result<Option<DeliveryRow>> {
    sqlx::query_as(
        "SELECT * FROM deliveries WHERE id > 'dlv_' || substr(?1, 5) \
           AND id < 'dlv_' || substr(?1, 5) || '~' AND +webhook_id = ?2",
    )
    .bind(event)
    .bind(webhook)
    .fetch_optional(conn)
    .await
}

/// The event types an endpoint has deliveries of, in order. A skip scan of
/// `deliveries_by_webhook_type`: one index seek per type, however long the log.
pub async fn delivery_event_types(db: &crate::db::Db, webhook: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "WITH RECURSIVE types (event_type) AS ( \
           SELECT MIN(event_type) FROM deliveries WHERE webhook_id = ?1 \
           UNION ALL \
           SELECT (SELECT MIN(event_type) FROM deliveries \
                   WHERE webhook_id = ?1 AND event_type > types.event_type) \
           FROM types WHERE types.event_type IS NOT NULL) \
         SELECT event_type FROM types WHERE event_type IS NOT NULL",
    )
    .bind(webhook)
    .fetch_all(db)
    .await
}

/// One of `org`'s deliveries, with its event's body and its endpoint's URL.
pub async fn delivery(
    db: &crate::db::Db,
    org: &str,
    id: &str,
) -> sqlx::Result<Option<(DeliveryRow, String, String)>> {
    let Some(row): Option<DeliveryRow> = sqlx::query_as(
        "SELECT d.* FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.id = ? AND w.organisation_id = ?",
    )
    .bind(id)
    .bind(org)
    .fetch_optional(db)
    .await?
    else {
        return Ok(None);
    };
    let (body, url): (String, String) = sqlx::query_as(
        "SELECT e.body, w.url FROM events e, webhooks w WHERE e.id = ? AND w.id = ?",
    )
    .bind(&row.event_id)
    .bind(&row.webhook_id)
    .fetch_one(db)
    .await?;
    Ok(Some((row, body, url)))
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct AttemptRow {
    attempt: i64,
    started_at: i64,
    request_headers: String,
    response_status: Option<i64>,
    response_excerpt: String,
    latency_ms: i64,
    error: Option<String>,
}

/// A delivery's attempts, first to last.
pub async fn attempts(
    db: impl SqliteExecutor<'_>,
    delivery: &str,
) -> sqlx::Result<Vec<AttemptOut>> {
    let rows: Vec<AttemptRow> = sqlx::query_as(
        "SELECT attempt, started_at, request_headers, response_status, response_excerpt, \
         latency_ms, error FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt",
    )
    .bind(delivery)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AttemptOut {
            attempt: r.attempt as u32,
            started_at: r.started_at,
            request_headers: serde_json::from_str(&r.request_headers).unwrap_or_default(),
            response_status: r.response_status.map(|s| s as u16),
            response_excerpt: r.response_excerpt,
            latency_ms: r.latency_ms as u32,
            error: r.error,
        })
        .collect())
}

/// Makes a delivery due now, whatever became of it; false while a worker holds it.
pub async fn redeliver(db: impl SqliteExecutor<'_>, id: &str, now: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE deliveries SET status = 'pending', next_attempt_at = ? WHERE id = ? AND leased = 0",
    )
    .bind(now)
    .bind(id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Email addresses of `org`'s active admins and superadmins.
pub async fn admin_emails(db: impl SqliteExecutor<'_>, org: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT email FROM users WHERE organisation_id = ? AND role IN ('superadmin', 'admin') \
         AND status = 'active' AND email_confirmed_at IS NOT NULL",
    )
    .bind(org)
    .fetch_all(db)
    .await
}
