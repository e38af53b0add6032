//! The retention job: what the portal no longer needs goes, off the request
//! path, in small batches with a pause between them, so one tenant's
//! millions of old events never hold up anyone's requests.

use std::collections::HashMap;
use std::time::Duration;

use portal_contract::ids::OrganisationId;

use crate::services::accounts::CONFIRMATION_TTL_SECS;
use crate::state::AppState;
use crate::store::{StoreResult, organisations, retention};

/// Rows per statement.
const BATCH: u32 = 500;
/// Between two batches, so other writers get their turn.
const PAUSE: Duration = Duration::from_millis(50);

/// How many rows one pass deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub events: u64,
    pub outbox: u64,
    pub invitations: u64,
    /// Organisations whose sign-up was never confirmed.
    pub unconfirmed_sign_ups: u64,
}

/// Deletes what is past its retention, batch after batch until none is left.
pub async fn purge(state: &AppState) -> StoreResult<Purged> {
    let now = state.now();
    let day = 86_400;
    let kept = now - state.config.retention_days.max(1) * day;
    let outbox_kept = now - state.config.outbox_retention_days.max(1) * day;
    let store = &state.store;
    let purged = Purged {
        events: batches(|| purge_events(state, kept)).await?,
        outbox: batches(|| retention::purge_outbox(store, outbox_kept, BATCH)).await?,
        invitations: batches(|| retention::purge_invitations(store, kept, now, BATCH)).await?,
        // Once the link's lifetime is over, and nothing newer works.
        unconfirmed_sign_ups: batches(|| {
            retention::purge_unconfirmed_sign_ups(store, now - CONFIRMATION_TTL_SECS, now, BATCH)
        })
        .await?,
    };
    if purged != Purged::default() {
        tracing::info!(
            events = purged.events,
            outbox = purged.outbox,
            invitations = purged.invitations,
            unconfirmed_sign_ups = purged.unconfirmed_sign_ups,
            "deleted what is past its retention"
        );
    }
    Ok(purged)
}

/// One batch of events past their retention; what they took is taken off
/// their organisations' storage, in the same transaction.
async fn purge_events(state: &AppState, before: i64) -> StoreResult<u64> {
    let mut tx = state.store.begin().await?;
    let deleted = retention::purge_events(&mut tx, before, BATCH).await?;
    let mut freed: HashMap<&OrganisationId, i64> = HashMap::new();
    for event in &deleted {
        *freed.entry(&event.organisation_id).or_default() += event.size;
    }
    for (org, bytes) in freed {
        organisations::add_stored_event_bytes(&mut tx, org, -bytes).await?;
    }
    tx.commit().await?;
    Ok(deleted.len() as u64)
}

async fn batches<F, Fut>(mut batch: F) -> StoreResult<u64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<u64>>,
{
    let mut total = 0;
    loop {
        let deleted = batch().await?;
        total += deleted;
        if deleted < u64::from(BATCH) {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}
