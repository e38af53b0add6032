//! The retention job: what the portal no longer needs goes, off the request
//! path, in small batches with a pause between them, so one tenant's
//! millions of old events never hold up anyone's requests.

use std::time::Duration;

use crate::services::accounts::CONFIRMATION_TTL_SECS;
use crate::state::AppState;
use crate::store::{StoreResult, retention};

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
        events: batches(|| retention::purge_events(store, kept, BATCH)).await?,
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
