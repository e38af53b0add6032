//! "Last used" for credentials, recorded off the token path's critical
//! section: a request notes the time in memory (a short mutex, no I/O), and a
//! background task writes the notes in one transaction every second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::db::{self, Db};

/// How often notes are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// When a credential last got a token, and last made a call.
type Seen = (Option<i64>, Option<i64>);

#[derive(Default)]
pub struct Usage {
    /// Credential id → newest use seen since the last flush.
    pending: Mutex<HashMap<String, Seen>>,
}

impl Usage {
    pub fn token_issued(&self, credential_id: &str, at: i64) {
        self.note(credential_id, |e| e.0 = e.0.max(Some(at)));
    }

    pub fn called(&self, credential_id: &str, at: i64) {
        self.note(credential_id, |e| e.1 = e.1.max(Some(at)));
    }

    fn note(&self, credential_id: &str, update: impl FnOnce(&mut Seen)) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        match pending.get_mut(credential_id) {
            Some(entry) => update(entry),
            None => {
                let mut entry = (None, None);
                update(&mut entry);
                pending.insert(credential_id.to_owned(), entry);
            }
        }
    }

    /// Writes what was noted since the last flush.
    pub async fn flush(&self, db: &Db) -> sqlx::Result<()> {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = db.begin().await?;
        for (id, (token_at, call_at)) in &batch {
            db::credentials::record_use(&mut tx, id, *token_at, *call_at).await?;
        }
        tx.commit().await
    }
}
