//! A use case's unit of work: its writes, and the events they cause with
//! their deliveries, commit together; once they have, the delivery worker is
//! woken if there is anything to deliver. Every use case that writes more
//! than one row, or writes an event, goes through one.

use crate::state::AppState;
use crate::store::events::NewEvent;
use crate::store::{StoreResult, Tx, queue};
use crate::webhooks::events::publish;

pub struct Work<'s> {
    state: &'s AppState,
    tx: Tx,
    /// Deliveries written or made due: the worker has something to do.
    due: u64,
}

impl<'s> Work<'s> {
    pub async fn begin(state: &'s AppState) -> StoreResult<Self> {
        Ok(Self {
            state,
            tx: state.store.begin().await?,
            due: 0,
        })
    }

    /// The transaction, for the store's functions.
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Writes `event` with one delivery per endpoint that wants it; returns
    /// how many (`webhooks::events::publish`).
    pub async fn publish(&mut self, event: &NewEvent) -> StoreResult<u64> {
        let deliveries = publish(&mut self.tx, event).await?;
        self.due += deliveries;
        Ok(deliveries)
    }

    /// A delivery was made due again (a redelivery): every instance's worker
    /// is told on commit.
    pub async fn made_due(&mut self) -> StoreResult<()> {
        queue::announce(&mut self.tx).await?;
        self.due += 1;
        Ok(())
    }

    /// Commits, then wakes the worker if anything is due.
    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        if self.due > 0 {
            self.state.deliverer.wake();
        }
        Ok(())
    }
}
