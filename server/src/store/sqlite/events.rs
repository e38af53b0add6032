//! `events` and the deliveries written with them, in SQLite.

use async_trait::async_trait;
use sqlx::SqliteConnection;

use super::SqliteStore;
use crate::store::StoreResult;
use crate::store::delivery_log::Delivery;
use crate::store::events::{Events, NewEvent};

/// Writes the event and one delivery per enabled endpoint that wants it:
/// endpoints of its project, or of the whole organisation, or just its one
/// endpoint (a test event, whatever types that endpoint wants: the user
/// asked for this one). Returns how many deliveries; with none, the event
/// isn't kept.
pub(super) async fn insert(conn: &mut SqliteConnection, event: &NewEvent) -> sqlx::Result<u64> {
    sqlx::query(
        "INSERT INTO events (id, organisation_id, project_id, type, body, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&event.id)
    .bind(&event.organisation_id)
    .bind(event.project())
    .bind(&event.event_type)
    .bind(&event.body)
    .bind(event.created_at)
    .execute(&mut *conn)
    .await?;
    // The delivery id is derived from the event's and the whole endpoint's,
    // so it needs no round trip per endpoint, and sorts with its event. The
    // type is found with instr, not LIKE: `_` in a type is not a wildcard.
    let done = sqlx::query(
        "INSERT INTO deliveries (id, event_id, webhook_id, event_type, next_attempt_at, created_at) \
         SELECT 'dlv_' || substr(?1, 5) || substr(w.id, 4), ?1, w.id, ?2, ?3, ?3 FROM webhooks w \
         WHERE w.organisation_id = ?4 AND w.enabled = 1 \
           AND (?5 IS NULL OR w.project_id = ?5) AND (?6 IS NULL OR w.id = ?6) \
           AND (?6 IS NOT NULL OR w.event_types = '' \
                OR instr(' ' || w.event_types || ' ', ' ' || ?2 || ' ') > 0)",
    )
    .bind(&event.id)
    .bind(&event.event_type)
    .bind(event.created_at)
    .bind(&event.organisation_id)
    .bind(event.project())
    .bind(event.only())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        // No endpoint wants it: nothing to keep.
        sqlx::query("DELETE FROM events WHERE id = ?")
            .bind(&event.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(done.rows_affected())
}

#[async_trait]
impl Events for SqliteStore {
    async fn publish(&self, event: &NewEvent) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let deliveries = insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(deliveries)
    }

    async fn publish_test(&self, event: &NewEvent) -> StoreResult<Delivery> {
        let mut tx = self.begin_write().await?;
        insert(&mut tx, event).await?;
        // Delivery ids begin with their event's, so this reads a range of
        // the primary key (the `+` keeps SQLite from scanning the endpoint's
        // index instead).
        let delivery = sqlx::query_as(
            "SELECT * FROM deliveries WHERE id > 'dlv_' || substr(?1, 5) \
               AND id < 'dlv_' || substr(?1, 5) || '~' AND +webhook_id = ?2",
        )
        .bind(&event.id)
        .bind(event.only())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(delivery)
    }
}
