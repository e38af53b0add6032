//! What every handler can reach.

use std::ops::Deref;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto;
use crate::limits::Limits;
use crate::mail::Mailer;
use crate::store::Store;
use crate::tokens::TokenSigner;
use crate::usage::Usage;
use crate::webhooks::deliver::Deliverer;
use crate::webhooks::vault::Vault;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub mailer: Mailer,
    pub clock: Arc<dyn Clock>,
    pub limits: Limits,
    /// Signs and checks access tokens.
    pub signer: TokenSigner,
    /// Credential use noted by requests, written in the background.
    pub usage: Usage,
    /// Seals and opens webhook signing secrets.
    pub vault: Arc<Vault>,
    /// Sends webhook deliveries.
    pub deliverer: Arc<Deliverer>,
    /// A hash verified when an email is unknown, so that sign-in takes as long
    /// for a wrong address as for a wrong password.
    pub dummy_password_hash: String,
    /// Bounds the password and PIN checks running at once.
    pub hash_gate: crypto::HashGate,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
