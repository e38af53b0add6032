//! Deleting what the portal no longer needs, a batch at a time (each batch
//! one short statement, so no write waits long behind it).

use async_trait::async_trait;

use super::StoreResult;

#[async_trait]
pub trait Retention: Send + Sync {
    /// Deletes up to `batch` events created before `before` whose
    /// deliveries have all ended (succeeded or failed), with their
    /// deliveries and attempts; returns how many events.
    async fn purge_events(&self, before: i64, batch: u32) -> StoreResult<u64>;

    /// Deletes up to `batch` outbox rows written before `before`.
    async fn purge_outbox(&self, before: i64, batch: u32) -> StoreResult<u64>;

    /// Deletes up to `batch` invitations that ended (accepted, revoked or
    /// expired) and were made before `before`.
    async fn purge_invitations(&self, before: i64, now: i64, batch: u32) -> StoreResult<u64>;
}
