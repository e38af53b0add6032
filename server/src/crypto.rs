//! Secrets: random tokens from the OS CSPRNG, stored as SHA-256 and compared in
//! constant time; passwords and PINs hashed with argon2id off the async runtime.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portal_contract::projects::Environment;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{Semaphore, SemaphorePermit};

/// 256 bits from the OS CSPRNG, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// `N` bytes from the OS CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// The form a token is stored and looked up in.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Constant-time equality for secrets held in memory.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Lowercase base32: no look-alike symbols, and a double-click selects a
/// whole id or secret.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// `n` characters of [`ALPHABET`], 5 uniform random bits each.
fn random_chars(n: usize) -> impl Iterator<Item = char> {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .into_iter()
        .map(|b| ALPHABET[(b & 31) as usize] as char)
}

/// A new id: `prefix` then 20 random lowercase base32 characters (100 bits).
pub fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 20);
    id.push_str(prefix);
    id.extend(random_chars(20));
    id
}

/// Random characters in a client secret: 52 × 5 = 260 bits.
const SECRET_RANDOM_CHARS: usize = 52;
/// Checksum characters at a secret's end: 30 bits of SHA-256.
const CHECKSUM_CHARS: usize = 6;
/// Random characters a secret's hint shows after its prefix.
const HINT_CHARS: usize = 4;

/// The type prefix of a client secret: the environment is part of it, so a
/// live secret pasted into a test setup (or a scanner's report) says so.
pub fn secret_prefix(environment: Environment) -> &'static str {
    match environment {
        Environment::Sandbox => "sk_test_",
        Environment::Production => "sk_live_",
    }
}

/// A new client secret: prefix, 260 random bits, then a checksum of both, so
/// a scanner can tell a real secret from a look-alike without asking us
/// (the scheme GitHub's tokens use).
pub fn new_client_secret(environment: Environment) -> String {
    let mut secret = String::from(secret_prefix(environment));
    secret.extend(random_chars(SECRET_RANDOM_CHARS));
    let sum = checksum(&secret);
    secret.push_str(&sum);
    secret
}

fn checksum(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    (0..CHECKSUM_CHARS)
        .map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// Whether `s` is a client secret we could have issued: right prefix, length,
/// alphabet and checksum. This is what a secret scanner runs.
pub fn is_client_secret(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("sk_test_")
        .or_else(|| s.strip_prefix("sk_live_"))
    else {
        return false;
    };
    rest.len() == SECRET_RANDOM_CHARS + CHECKSUM_CHARS
        && rest.bytes().all(|b| ALPHABET.contains(&b))
        && checksum(&s[..s.len() - CHECKSUM_CHARS]) == s[s.len() - CHECKSUM_CHARS..]
}

/// What lists show of a secret: its prefix and first random characters.
pub fn secret_hint(secret: &str) -> String {
    let prefix = secret
        .find('_')
        .and_then(|i| secret[i + 1..].find('_').map(|j| i + j + 2));
    let end = prefix.unwrap_or(0) + HINT_CHARS;
    secret.chars().take(end).collect()
}

/// How many password and PIN hashings run at once on this instance, and
/// how many more may wait: each takes 19 MiB and a core for tens of
/// milliseconds, so without a bound a flood of sign-ins (from more
/// addresses than the per-address limit sees) takes all CPU and memory.
/// What finds the queue full, or waits longer than `WAIT`, is answered
/// `Busy` (503 with `Retry-After`) without hashing.
///
/// Known callers (a signed-in user, a browser that signed in as the account
/// before) have a lane of their own besides: a flood of strangers fills the
/// queue and is turned away, while the account's owner still signs in, in
/// about one hash's time.
pub struct HashGate {
    running: Semaphore,
    lane: Semaphore,
    waiting: AtomicUsize,
    queue: usize,
}

/// Who a check is for: the gate keeps a lane for the known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Signed in, or a browser with the account's device cookie.
    Known,
    /// Anyone else: sign-ups, invitations, unknown browsers.
    Stranger,
}

/// The longest a check waits for its turn.
const WAIT: Duration = Duration::from_secs(2);

/// Too many password checks at once on this instance: later.
#[derive(Debug)]
pub struct Busy;

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("too many password checks at once")
    }
}

impl std::error::Error for Busy {}

/// How many checks run at once for the setting `running` (0: one per core).
pub fn hashing_slots(running: usize) -> usize {
    match running {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

impl HashGate {
    /// `running` at once (0: one per core), `queue` more waiting.
    pub fn new(running: usize, queue: usize) -> Self {
        Self {
            running: Semaphore::new(hashing_slots(running)),
            // One check at a time: the known are few, and each of them a
            // person waiting.
            lane: Semaphore::new(1),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    async fn enter(&self, caller: Caller) -> Result<SemaphorePermit<'_>, Busy> {
        if let Ok(permit) = self.running.try_acquire() {
            return Ok(permit);
        }
        if caller == Caller::Known {
            // The lane, or the shared turns, whichever frees first; not
            // counted in (nor turned away by) the strangers' queue.
            return tokio::time::timeout(WAIT, async {
                tokio::select! {
                    permit = self.lane.acquire() => permit,
                    permit = self.running.acquire() => permit,
                }
            })
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or(Busy);
        }
        // Counted out again however the wait ends, also when the request is
        // dropped while it waits (its client went away).
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let waiting = Waiting(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            return Err(Busy);
        }
        let permit = tokio::time::timeout(WAIT, self.running.acquire()).await;
        drop(waiting);
        match permit {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Busy),
        }
    }
}

/// argon2id with the crate's defaults (OWASP's m=19 MiB, t=2, p=1), when
/// the gate lets it.
pub async fn hash_secret(
    gate: &HashGate,
    caller: Caller,
    secret: String,
) -> anyhow::Result<String> {
    let _turn = gate.enter(caller).await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await?
}

/// Whether `secret` matches the stored argon2 `hash`, when the gate lets it
/// check.
pub async fn verify_secret(
    gate: &HashGate,
    caller: Caller,
    secret: String,
    hash: String,
) -> anyhow::Result<bool> {
    let _turn = gate.enter(caller).await?;
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        Ok(Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 32);
        assert!(same(&token_hash(&a), &token_hash(&a)));
        assert!(!same(&token_hash(&a), &token_hash(&b)));
    }

    #[test]
    fn ids_carry_their_prefix() {
        let id = new_id("org_");
        assert!(id.starts_with("org_") && id.len() == 24);
        assert_ne!(new_id("org_"), id);
    }

    #[test]
    fn client_secrets_carry_their_environment_and_a_checksum() {
        let live = new_client_secret(Environment::Production);
        let test = new_client_secret(Environment::Sandbox);
        assert!(live.starts_with("sk_live_") && test.starts_with("sk_test_"));
        assert_eq!(live.len(), 8 + 52 + 6);
        assert!(is_client_secret(&live) && is_client_secret(&test));
        assert_ne!(live[8..], test[8..]);
        // One changed character breaks the checksum.
        let mut typo = live.clone().into_bytes();
        typo[20] = if typo[20] == b'a' { b'b' } else { b'a' };
        assert!(!is_client_secret(&String::from_utf8(typo).unwrap()));
        assert!(!is_client_secret(&live[..live.len() - 1]));
        assert!(!is_client_secret(&live.replace("sk_live_", "sk_prod_")));
        assert_eq!(secret_hint(&live), &live[..12]);
        assert!(secret_hint(&live).starts_with("sk_live_"));
    }

    #[tokio::test]
    async fn the_gate_turns_away_what_it_cannot_queue() {
        let gate = HashGate::new(1, 1);
        let first = gate.enter(Caller::Stranger).await.unwrap();
        // One may wait; it gets the turn when the first ends.
        let (waited, refused) = tokio::join!(
            async {
                let turn = gate.enter(Caller::Stranger).await;
                turn.is_ok()
            },
            async {
                tokio::task::yield_now().await;
                let refused = gate.enter(Caller::Stranger).await.is_err();
                drop(first);
                refused
            }
        );
        assert!(waited);
        assert!(
            refused,
            "a third, with one running and one waiting, is turned away"
        );
        assert!(gate.enter(Caller::Stranger).await.is_ok());
    }

    #[tokio::test]
    async fn a_waiter_whose_request_is_dropped_leaves_the_queue() {
        let gate = HashGate::new(1, 1);
        let running = gate.enter(Caller::Stranger).await.unwrap();
        // A request waits, then its client goes away.
        let gone =
            tokio::time::timeout(Duration::from_millis(20), gate.enter(Caller::Stranger)).await;
        assert!(gone.is_err(), "it was still waiting");
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
        drop(running);
        assert!(gate.enter(Caller::Stranger).await.is_ok());
    }

    /// Whether `future` is still waiting after a moment (it goes on waiting).
    async fn pending<F: Future + Unpin>(future: &mut F) -> bool {
        tokio::time::timeout(Duration::from_millis(20), future)
            .await
            .is_err()
    }

    #[tokio::test]
    async fn the_known_have_a_lane_the_strangers_cannot_fill() {
        let gate = HashGate::new(1, 1);
        let running = gate.enter(Caller::Stranger).await.unwrap();
        let waiting = gate.enter(Caller::Stranger);
        tokio::pin!(waiting);
        assert!(pending(&mut waiting).await);
        // Strangers find the queue full; the known go by their lane.
        assert!(gate.enter(Caller::Stranger).await.is_err());
        let known = gate.enter(Caller::Known).await;
        assert!(known.is_ok());
        // One at a time in the lane: a second known caller waits for a turn
        // (the lane's or the shared one), and gets the first to free.
        let second = gate.enter(Caller::Known);
        tokio::pin!(second);
        assert!(pending(&mut second).await);
        drop(known);
        assert!(second.await.is_ok());
        drop(running);
        assert!(waiting.await.is_ok());
    }

    #[tokio::test]
    async fn argon2_round_trip() {
        let gate = HashGate::new(1, 0);
        let hash = hash_secret(&gate, Caller::Stranger, "482915".into())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_secret(&gate, Caller::Known, "482915".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify_secret(&gate, Caller::Known, "482916".into(), hash)
                .await
                .unwrap()
        );
    }
}
