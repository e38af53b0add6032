//! Signing secrets at rest. Signing needs the secret itself, so unlike
//! credential secrets it can't be a hash: it is sealed with
//! XChaCha20-Poly1305 under a key from the configuration or generated in the
//! data folder, with the endpoint's id as associated data (a sealed secret
//! copied to another row doesn't open).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The key file in the data folder, when no key is configured.
pub const KEY_FILE: &str = "webhook-secrets.key";
const NONCE_LEN: usize = 24;

pub struct Vault {
    cipher: XChaCha20Poly1305,
    /// Signs the cookies of browsers that signed in before (`auth.rs`):
    /// derived from the same key, so every instance given it agrees.
    device_key: [u8; 32],
    /// Names rate-limit keys in Redis: a plain hash of an email address
    /// there would confirm a guess at it.
    limit_key: [u8; 32],
}

impl Vault {
    /// The key kept in the data folder `dir`, generated on first start.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let key = crate::keyfile::load_or_create(&dir.join(KEY_FILE), "webhook secret key")?;
        Ok(Self::from_key(&key))
    }

    /// A configured key: base64 of 32 bytes.
    pub fn from_base64(key: &str) -> anyhow::Result<Self> {
        let key: [u8; 32] = STANDARD
            .decode(key.trim())?
            .try_into()
            .map_err(|_| anyhow::anyhow!("the webhook secret key must be 32 bytes"))?;
        Ok(Self::from_key(&key))
    }

    /// A key file as the data folder keeps one (base64url of 32 bytes).
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let key = crate::keyfile::read(path)?;
        Ok(Self::from_key(&key))
    }

    pub fn from_key(key: &[u8; 32]) -> Self {
        use hmac::{Hmac, Mac};
        let mut derive = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("any key length");
        derive.update(b"portal device cookie v1");
        let mut limits = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("any key length");
        limits.update(b"portal rate limit keys v1");
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
            device_key: derive.finalize().into_bytes().into(),
            limit_key: limits.finalize().into_bytes().into(),
        }
    }

    /// The key that names rate limits in Redis (see `limits.rs`), the same
    /// on every instance that shares this key.
    pub fn limit_key(&self) -> [u8; 32] {
        self.limit_key
    }

    /// HMAC-SHA256 of `data` with the device-cookie key.
    pub fn device_mac(&self, data: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac =
            <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.device_key).expect("32 bytes");
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, aad: &str, plaintext: &str) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = crate::crypto::random_bytes();
        let mut sealed = nonce.to_vec();
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any length we use");
        sealed.extend(ciphertext);
        sealed
    }

    pub fn open(&self, aad: &str, sealed: &[u8]) -> anyhow::Result<String> {
        if sealed.len() < NONCE_LEN {
            anyhow::bail!("sealed secret too short");
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("a webhook secret does not open with this key"))?;
        Ok(String::from_utf8(plaintext)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_row() {
        let vault = Vault::from_key(&[1; 32]);
        let sealed = vault.seal("wh_a", "whsec_abc");
        assert!(!sealed.windows(9).any(|w| w == b"whsec_abc"));
        assert_eq!(vault.open("wh_a", &sealed).unwrap(), "whsec_abc");
        assert!(vault.open("wh_b", &sealed).is_err());
        assert!(Vault::from_key(&[2; 32]).open("wh_a", &sealed).is_err());
        assert_ne!(
            vault.seal("wh_a", "whsec_abc"),
            sealed,
            "fresh nonce each time"
        );
    }
}
