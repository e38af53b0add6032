//! "Last used" for credentials, recorded off the token path's critical
//! section: a request notes the time in memory (a short mutex, no I/O), and a
//! background task writes the notes in one transaction every second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use portal_contract::ids::CredentialId;

use crate::store::credentials::{self, Use};
use crate::store::{Store, StoreResult};

/// How often notes are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// When a credential last got a token, and last made a call.
type Seen = (Option<i64>, Option<i64>);

#[derive(Default)]
pub struct Usage {
    /// Credential id → newest use seen since the last flush.
    pending: Mutex<HashMap<CredentialId, Seen>>,
}

impl Usage {
    pub fn token_issued(&self, credential_id: &CredentialId, at: i64) {
        self.note(credential_id, |e| e.0 = e.0.max(Some(at)));
    }

    pub fn called(&self, credential_id: &CredentialId, at: i64) {
        self.note(credential_id, |e| e.1 = e.1.max(Some(at)));
    }

    fn note(&self, credential_id: &CredentialId, update: impl FnOnce(&mut Seen)) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        match pending.get_mut(credential_id) {
            Some(entry) => update(entry),
            None => {
                let mut entry = (None, None);
                update(&mut entry);
                pending.insert(credential_id.clone(), entry);
            }
        }
    }

    /// Writes what was noted since the last flush.
    pub async fn flush(&self, store: &Store) -> StoreResult<()> {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if batch.is_empty() {
            return Ok(());
        }
        let uses: Vec<Use> = batch
            .into_iter()
            .map(|(credential_id, (token_at, call_at))| Use {
                credential_id,
                token_at,
                call_at,
            })
            .collect();
        // In one unit of work: one commit for the batch.
        let mut tx = store.begin().await?;
        for u in &uses {
            credentials::record_use(&mut tx, u).await?;
        }
        tx.commit().await
    }
}
