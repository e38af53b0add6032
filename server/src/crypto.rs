//! Secrets: random tokens from the OS CSPRNG, stored as SHA-256 and compared in
//! constant time; passwords and PINs hashed with argon2id off the async runtime.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 256 bits from the OS CSPRNG, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The form a token is stored and looked up in.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Constant-time equality for secrets held in memory.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// A new id: `prefix` then 20 random lowercase base32 characters (100 bits).
pub fn new_id(prefix: &str) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    let mut id = String::with_capacity(prefix.len() + 20);
    id.push_str(prefix);
    id.extend(bytes.iter().map(|b| ALPHABET[(b & 31) as usize] as char));
    id
}

/// argon2id with the crate's defaults (OWASP's m=19 MiB, t=2, p=1).
pub async fn hash_secret(secret: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await?
}

/// Whether `secret` matches the stored argon2 `hash`.
pub async fn verify_secret(secret: String, hash: String) -> anyhow::Result<bool> {
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

    #[tokio::test]
    async fn argon2_round_trip() {
        let hash = hash_secret("482915".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("482915".into(), hash.clone()).await.unwrap());
        assert!(!verify_secret("482916".into(), hash).await.unwrap());
    }
}
