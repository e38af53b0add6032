//! The delivery queue in SQLite.
//!
//! Few round trips, and no waiting for the pool: the worker claims on a
//! connection of its own, and records attempts on another, so it never waits
//! behind request handlers for one; and without SQLite's busy handler, which
//! sleeps 1, 2, 5, 10… ms while another connection writes: it tries again
//! itself, sooner (`Locked`). Attempts that finished together are recorded
//! in one transaction, begun, written and committed in a single round trip
//! when they all succeeded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use portal_contract::ids::{DeliveryId, EndpointId};
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tokio::sync::{Mutex, MutexGuard, Notify};

use super::SqliteStore;
use crate::store::endpoints::{self, Endpoint};
use crate::store::queue::{Batch, Depth, Due, EndpointHealth, Lease, Queue, attempts_json};
use crate::store::{Conn, MaybeTimestamp, StoreError, StoreResult};

/// How long the worker waits for another connection's write, as SQLite's
/// busy timeout does for the pool's connections.
const LOCKED_FOR: Duration = Duration::from_secs(5);

/// The worker's two connections, opened when first needed and again after
/// a failure outside the database.
pub(super) struct QueueConnections {
    options: SqliteConnectOptions,
    claim: Mutex<Option<SqliteConnection>>,
    record: Mutex<Option<SqliteConnection>>,
}

impl QueueConnections {
    pub(super) fn new(options: SqliteConnectOptions) -> Self {
        Self {
            options: options.busy_timeout(Duration::ZERO),
            claim: Mutex::new(None),
            record: Mutex::new(None),
        }
    }
}

impl QueueConnections {
    /// The connection in `slot`, opened first when it isn't.
    async fn open<'a>(
        &self,
        slot: &'a Mutex<Option<SqliteConnection>>,
    ) -> StoreResult<MutexGuard<'a, Option<SqliteConnection>>> {
        let mut guard = slot.lock().await;
        if guard.is_none() {
            *guard = Some(self.options.connect().await?);
        }
        Ok(guard)
    }
}

/// A failure on a worker connection: one that failed other than in the
/// database is opened again next time.
fn failed(slot: &mut Option<SqliteConnection>, e: sqlx::Error) -> StoreError {
    if !matches!(e, sqlx::Error::Database(_)) {
        *slot = None;
    }
    StoreError::Database(e)
}

/// Waiting for another connection's write to end, for at most `LOCKED_FOR`:
/// first by letting the other tasks run (the writer usually needs only this
/// thread to finish), then 1 ms at a time.
struct Locked {
    tries: u32,
    since: Instant,
}

impl Locked {
    fn new() -> Self {
        Self {
            tries: 0,
            since: Instant::now(),
        }
    }

    /// Whether to try again after `e`, having waited.
    async fn again(&mut self, e: &sqlx::Error) -> bool {
        // SQLITE_BUSY and its extended codes.
        let busy = matches!(e, sqlx::Error::Database(d)
            if d.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 5));
        if !busy || self.since.elapsed() > LOCKED_FOR {
            return false;
        }
        self.tries += 1;
        if self.tries <= 3 {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        true
    }
}

/// The database's clock in milliseconds: leases are counted on it (see
/// `store::queue::Lease`), in `leased_until`.
macro_rules! now_ms {
    () => {
        "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
    };
}

/// The statements of `record`: `?1` the attempts as a JSON array, `?2` the
/// ids of the endpoints whose `failing_since` it clears (`Batch::cleared`),
/// `?3` the owner. Only
/// deliveries the owner still holds are recorded and released.
macro_rules! record_attempts_sql {
    () => {
        "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, request_headers, \
           response_status, response_excerpt, latency_ms, error) \
         SELECT value ->> 'delivery_id', value ->> 'attempt', value ->> 'started_at', \
           value ->> 'request_headers', value ->> 'response_status', \
           value ->> 'response_excerpt', value ->> 'latency_ms', value ->> 'error' \
         FROM json_each(?1) \
         WHERE EXISTS (SELECT 1 FROM deliveries d \
                       WHERE d.id = value ->> 'delivery_id' AND d.lease_owner = ?3) \
         ON CONFLICT DO NOTHING; \
         UPDATE deliveries SET status = r.value ->> 'status', attempts = r.value ->> 'attempt', \
           next_attempt_at = r.value ->> 'next_attempt_at', lease_owner = NULL, \
           leased_until = NULL, last_http_status = r.value ->> 'response_status', \
           last_latency_ms = r.value ->> 'latency_ms' \
         FROM json_each(?1) AS r \
         WHERE deliveries.id = r.value ->> 'delivery_id' AND deliveries.lease_owner = ?3; \
         UPDATE webhooks SET failing_since = NULL \
         WHERE failing_since IS NOT NULL AND id IN (SELECT value FROM json_each(?2))"
    };
}

fn ids_json<T: serde::Serialize>(ids: &[T]) -> String {
    serde_json::to_string(ids).expect("ids serialise")
}

#[async_trait]
impl Queue for SqliteStore {
    async fn claim(
        &self,
        lease: &Lease<'_>,
        now: i64,
        limit: i64,
        per_endpoint: i64,
        skip: &[EndpointId],
    ) -> StoreResult<Vec<Due>> {
        let skip = ids_json(skip);
        let mut slot = self.queue.open(&self.queue.claim).await?;
        let conn = slot.as_mut().expect("opened");
        let mut locked = Locked::new();
        loop {
            // The oldest due rows, then each endpoint's oldest in turn.
            let claimed = sqlx::query_as(concat!(
                "UPDATE deliveries SET lease_owner = ?1, leased_until = ",
                now_ms!(),
                " + ?2 \
                 WHERE id IN ( \
                   SELECT id FROM ( \
                     SELECT id, next_attempt_at, row_number() OVER ( \
                       PARTITION BY webhook_id ORDER BY next_attempt_at, id) AS turn \
                     FROM ( \
                       SELECT id, webhook_id, next_attempt_at FROM deliveries \
                       WHERE status = 'pending' AND next_attempt_at <= ?3 \
                         AND (leased_until IS NULL OR leased_until <= ",
                now_ms!(),
                " - ?2) \
                         AND webhook_id NOT IN (SELECT value FROM json_each(?6)) \
                       ORDER BY next_attempt_at LIMIT ?4 * 4)) \
                   WHERE turn <= ?5 ORDER BY turn, next_attempt_at LIMIT ?4) \
                 RETURNING id, event_id, webhook_id, attempts, \
                   (SELECT body FROM events e WHERE e.id = deliveries.event_id) AS body, \
                   (SELECT w.revision FROM webhooks w WHERE w.id = deliveries.webhook_id) \
                   AS endpoint"
            ))
            .bind(lease.owner)
            .bind(lease.millis)
            .bind(now)
            .bind(limit)
            .bind(per_endpoint)
            .bind(&skip)
            .fetch_all(&mut *conn)
            .await;
            match claimed {
                Ok(due) => return Ok(due),
                Err(e) if locked.again(&e).await => {}
                Err(e) => return Err(failed(&mut slot, e)),
            }
        }
    }

    async fn renew(&self, lease: &Lease<'_>, ids: &[&DeliveryId]) -> StoreResult<()> {
        sqlx::query(concat!(
            "UPDATE deliveries SET leased_until = ",
            now_ms!(),
            " + ? \
             WHERE lease_owner = ? AND id IN (SELECT value FROM json_each(?))"
        ))
        .bind(lease.millis)
        .bind(lease.owner)
        .bind(ids_json(ids))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn endpoints(&self, ids: &[&EndpointId]) -> StoreResult<Vec<Endpoint>> {
        let mut slot = self.queue.open(&self.queue.claim).await?;
        let conn = slot.as_mut().expect("opened");
        let mut locked = Locked::new();
        loop {
            match endpoints::by_ids(&mut *conn, ids).await {
                Ok(webhooks) => return Ok(webhooks),
                Err(StoreError::Database(e)) if locked.again(&e).await => {}
                Err(StoreError::Database(e)) => return Err(failed(&mut slot, e)),
                Err(e) => return Err(e),
            }
        }
    }

    async fn release(&self, owner: &str, ids: &[&DeliveryId], at: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE deliveries SET lease_owner = NULL, leased_until = NULL, next_attempt_at = ? \
             WHERE lease_owner = ? AND id IN (SELECT value FROM json_each(?))",
        )
        .bind(at)
        .bind(owner)
        .bind(ids_json(ids))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn hand_back(&self, owner: &str) -> StoreResult<u64> {
        Ok(sqlx::query(
            "UPDATE deliveries SET lease_owner = NULL, leased_until = NULL WHERE lease_owner = ?",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn abandon(&self, owner: &str, id: &DeliveryId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE deliveries SET status = 'failed', lease_owner = NULL, leased_until = NULL, \
             next_attempt_at = NULL WHERE id = ? AND lease_owner = ?",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn listen(&self, _wake: Arc<Notify>) -> StoreResult<()> {
        // One process writes and delivers: it wakes its own worker.
        Ok(())
    }

    async fn depth(&self, now: i64) -> StoreResult<Depth> {
        let (due, oldest): (i64, MaybeTimestamp) = sqlx::query_as(concat!(
            "SELECT COUNT(*), MIN(next_attempt_at) FROM deliveries \
             WHERE status = 'pending' AND next_attempt_at <= ?1 \
               AND (leased_until IS NULL OR leased_until <= ",
            now_ms!(),
            ")"
        ))
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(Depth {
            due,
            oldest_due_at: oldest.0,
        })
    }

    async fn record(
        &self,
        owner: &str,
        batch: &Batch<'_>,
        health: &dyn EndpointHealth,
    ) -> StoreResult<Vec<EndpointId>> {
        let (rows, cleared) = (attempts_json(batch.attempts), ids_json(&batch.cleared));
        let mut slot = self.queue.open(&self.queue.record).await?;
        let conn = slot.as_mut().expect("opened");
        let mut locked = Locked::new();
        loop {
            let done = if batch.troubled.is_empty() {
                // The usual case: begun, written and committed in one round
                // trip, so the write lock is held only while the database
                // thread runs it.
                sqlx::query(concat!(
                    "BEGIN IMMEDIATE; ",
                    record_attempts_sql!(),
                    "; COMMIT"
                ))
                .bind(&rows)
                .bind(&cleared)
                .bind(owner)
                .execute(&mut *conn)
                .await
                .map(|_| Vec::new())
                .map_err(StoreError::Database)
            } else {
                record_troubled(conn, owner, batch, (&rows, &cleared), health).await
            };
            match done {
                Ok(disabled) => return Ok(disabled),
                Err(e) => {
                    // Whatever the statement that failed, nothing is left
                    // half done (when BEGIN itself failed there is nothing
                    // to roll back).
                    let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                    match e {
                        StoreError::Database(e) if locked.again(&e).await => {}
                        StoreError::Database(e) => return Err(failed(&mut slot, e)),
                        e => return Err(e),
                    }
                }
            }
        }
    }
}

/// `record` with endpoints whose attempts did more than succeed: the
/// attempts, then their effects (`health`), in one transaction.
async fn record_troubled(
    conn: &mut SqliteConnection,
    owner: &str,
    batch: &Batch<'_>,
    (rows, cleared): (&str, &str),
    health: &dyn EndpointHealth,
) -> StoreResult<Vec<EndpointId>> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    sqlx::query(record_attempts_sql!())
        .bind(rows)
        .bind(cleared)
        .bind(owner)
        .execute(&mut *conn)
        .await?;
    let disabled = health
        .apply(&mut Conn::Sqlite(&mut *conn), &batch.troubled)
        .await?;
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(disabled)
}
