//! Deleting what the portal no longer needs, a batch at a time (each batch
//! one short statement, so no write waits long behind it).

use portal_contract::ids::OrganisationId;

use super::{Exec, StoreResult, Timestamp, sql};

/// An event deleted: whose it was, and its size.
#[derive(Debug, sqlx::FromRow)]
pub struct Deleted {
    pub organisation_id: OrganisationId,
    pub size: i64,
}

/// Deletes up to `batch` events created before `before` whose deliveries
/// have all ended (succeeded or failed), with their deliveries and attempts
/// (`ON DELETE CASCADE`); returns what it deleted.
pub async fn purge_events(db: impl Exec<'_>, before: i64, batch: u32) -> StoreResult<Vec<Deleted>> {
    sql(
        "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < $1 \
           AND NOT EXISTS (SELECT 1 FROM deliveries d \
                           WHERE d.event_id = e.id AND d.status = 'pending') \
         LIMIT $2) \
         RETURNING organisation_id, size",
    )
    .bind(Timestamp(before))
    .bind(i64::from(batch))
    .fetch_all(db)
    .await
}

/// Deletes up to `batch` outbox rows written before `before`.
pub async fn purge_outbox(db: impl Exec<'_>, before: i64, batch: u32) -> StoreResult<u64> {
    sql("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_at < $1 LIMIT $2)")
        .bind(Timestamp(before))
        .bind(i64::from(batch))
        .execute(db)
        .await
}

/// Deletes up to `batch` invitations that ended (accepted, revoked or
/// expired) and were made before `before`.
pub async fn purge_invitations(
    db: impl Exec<'_>,
    before: i64,
    now: i64,
    batch: u32,
) -> StoreResult<u64> {
    sql(
        "DELETE FROM invitations WHERE id IN (SELECT id FROM invitations \
         WHERE created_at < $1 AND (accepted_at IS NOT NULL OR revoked_at IS NOT NULL \
           OR expires_at <= $2) LIMIT $3)",
    )
    .bind(Timestamp(before))
    .bind(Timestamp(now))
    .bind(i64::from(batch))
    .execute(db)
    .await
}

/// Deletes up to `batch` sign-ups never confirmed: organisations made
/// before `before` none of whose users confirmed an address and none of
/// whose confirmation links still works at `now`, with their users and
/// links (`ON DELETE CASCADE`). Such an organisation has nothing else: only
/// a confirmed user can make anything in it.
pub async fn purge_unconfirmed_sign_ups(
    db: impl Exec<'_>,
    before: i64,
    now: i64,
    batch: u32,
) -> StoreResult<u64> {
    sql(
        "DELETE FROM organisations WHERE id IN (SELECT o.id FROM organisations o \
         WHERE o.created_at < $1 \
           AND NOT EXISTS (SELECT 1 FROM users u \
                           WHERE u.organisation_id = o.id AND u.email_confirmed_at IS NOT NULL) \
           AND NOT EXISTS (SELECT 1 FROM users u \
                           JOIN email_confirmations c ON c.user_id = u.id \
                           WHERE u.organisation_id = o.id AND c.expires_at > $2) \
         LIMIT $3)",
    )
    .bind(Timestamp(before))
    .bind(Timestamp(now))
    .bind(i64::from(batch))
    .execute(db)
    .await
}
