//! Access tokens: JWTs (RFC 9068 profile) signed with Ed25519, and the JWKS
//! that publishes the public keys.
//!
//! Written on ed25519-dalek directly rather than through `jsonwebtoken`: a
//! compact JWS with one fixed algorithm is a few lines, and we need dalek
//! anyway to generate keys and to publish them as JWKs. Verification accepts
//! exactly one header shape (`alg: EdDSA`, one of our `kid`s), so the classic
//! JWT pitfalls (`alg: none`, algorithm confusion) can't arise.
//!
//! The keys are a key set, newest first: the newest signs, every one
//! verifies and is published. Several instances share one key set file
//! (`PORTAL_TOKEN_KEYS_FILE`), re-read when it changes, so `portal-server
//! keys rotate` and `keys retire` reach every instance without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The file, in the data folder, that keeps the key set when none is
/// configured (one machine): one base64url seed per line, newest first.
pub const KEY_FILE: &str = "token-signing.key";
/// The audience every token is for.
pub const AUDIENCE: &str = "partner-api";
/// How often a key set file is checked for changes; a token signed with a
/// key this instance doesn't know yet makes it look at once (at most this often).
const RELOAD_EVERY: Duration = Duration::from_secs(1);

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The credential (client id).
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    /// The organisation.
    pub org: String,
    /// The project.
    pub prj: String,
    /// Space-separated scopes.
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// The secret it was issued for: base64url of the start of the secret's
    /// SHA-256 (the secret itself can't be told from it), so a rolled
    /// secret ends its tokens. Every token names one.
    pub sid: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// Why a token was refused, as the `error_description` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    UnknownKey,
    BadSignature,
    WrongIssuer,
    Expired,
}

impl Refusal {
    pub fn description(self) -> &'static str {
        match self {
            Self::Malformed => {
                "The access token is malformed. Send the access_token from POST /v1/auth/token as is."
            }
            Self::UnknownKey => "The access token was not signed by this portal.",
            Self::BadSignature => "The access token's signature is not valid.",
            Self::WrongIssuer => "The access token was issued for another portal.",
            Self::Expired => {
                "The access token has expired. Get a new one from POST /v1/auth/token."
            }
        }
    }
}

/// Signing keys, newest (the signer) first.
pub struct KeySet {
    keys: Vec<(String, SigningKey)>,
}

impl KeySet {
    /// Parses a key set: one base64url 32-byte seed per line, newest first;
    /// blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let seed: [u8; 32] = URL_SAFE_NO_PAD
                .decode(line)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    anyhow::anyhow!("a token signing key is not 32 bytes of base64url")
                })?;
            let key = SigningKey::from_bytes(&seed);
            keys.push((thumbprint(&key.verifying_key()), key));
        }
        anyhow::ensure!(!keys.is_empty(), "the token key set has no key");
        Ok(Self { keys })
    }

    /// A key set of one new key.
    pub fn generate() -> Self {
        Self::from_seed(&crate::crypto::random_bytes())
    }

    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let key = SigningKey::from_bytes(seed);
        Self {
            keys: vec![(thumbprint(&key.verifying_key()), key)],
        }
    }

    /// A new key in front: it signs from now on; the others still verify.
    pub fn rotate(&mut self) {
        let key = SigningKey::from_bytes(&crate::crypto::random_bytes());
        self.keys.insert(0, (thumbprint(&key.verifying_key()), key));
    }

    /// Drops every key but the signer: tokens signed with them stop verifying.
    /// Returns the `kid`s dropped.
    pub fn retire(&mut self) -> Vec<String> {
        self.keys
            .split_off(1)
            .into_iter()
            .map(|(kid, _)| kid)
            .collect()
    }

    /// The `kid`s, newest (the signer) first.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|(kid, _)| kid.as_str()).collect()
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut text =
            "# Partner Portal token signing keys, newest first: the first signs, every one \
                        verifies.\n# Manage with `portal-server keys rotate|retire|list`.\n"
                .to_owned();
        for (_, key) in &self.keys {
            text.push_str(&URL_SAFE_NO_PAD.encode(key.to_bytes()));
            text.push('\n');
        }
        text
    }

    /// Reads a key set file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!("could not read the token key set {}: {e}", path.display())
        })?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Writes a key set file, replacing the old one at once: an instance
    /// never reads half a file. A new file is its writer's to read only; a
    /// replaced one keeps its owner, group and mode, so the servers that
    /// read it still can when an operator rotates as root.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let before = std::fs::metadata(path).ok();
        let temporary = path.with_extension("new");
        let _ = std::fs::remove_file(&temporary);
        crate::keyfile::write_private(&temporary, self.to_text().as_bytes())?;
        if let Some(before) = before {
            std::os::unix::fs::chown(&temporary, Some(before.uid()), Some(before.gid()))
                .map_err(|e| anyhow::anyhow!("could not keep {}'s owner: {e}", path.display()))?;
            let mode = std::fs::Permissions::from_mode(before.mode() & 0o7777);
            std::fs::set_permissions(&temporary, mode)?;
        }
        std::fs::rename(&temporary, path)?;
        Ok(())
    }

    fn signer(&self) -> &(String, SigningKey) {
        &self.keys[0]
    }

    fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key)
    }
}

/// Where the key set comes from.
enum Source {
    /// From the configuration's value, or made for a test: it never changes.
    Fixed,
    /// A file, re-read when it changes.
    File {
        path: PathBuf,
        modified: Mutex<(Option<Version>, Instant)>,
    },
}

pub struct TokenSigner {
    keys: RwLock<Arc<KeySet>>,
    source: Source,
    issuer: String,
}

impl TokenSigner {
    /// The key set in the data folder (one machine), generated on first start.
    pub fn load_or_create(dir: &Path, issuer: &str) -> anyhow::Result<Self> {
        let path = dir.join(KEY_FILE);
        if !path.exists() {
            std::fs::create_dir_all(dir)?;
            KeySet::generate().write(&path)?;
            tracing::info!(path = %path.display(), "generated the token signing key");
        }
        Self::from_file(&path, issuer)
    }

    /// The key set file every instance reads; changes reach each within a second.
    pub fn from_file(path: &Path, issuer: &str) -> anyhow::Result<Self> {
        let keys = KeySet::read(path)?;
        Ok(Self::new(
            keys,
            Source::File {
                path: path.to_owned(),
                // At start-up, before any request: reading here blocks nothing.
                modified: Mutex::new((
                    std::fs::metadata(path).ok().map(|m| version_of(&m)),
                    Instant::now(),
                )),
            },
            issuer,
        ))
    }

    /// A key set given as configuration (it changes with a restart).
    pub fn from_keys(keys: KeySet, issuer: &str) -> Self {
        Self::new(keys, Source::Fixed, issuer)
    }

    pub fn from_seed(seed: &[u8; 32], issuer: &str) -> Self {
        Self::from_keys(KeySet::from_seed(seed), issuer)
    }

    fn new(keys: KeySet, source: Source, issuer: &str) -> Self {
        Self {
            keys: RwLock::new(Arc::new(keys)),
            source,
            issuer: issuer.trim_end_matches('/').to_owned(),
        }
    }

    fn keys(&self) -> Arc<KeySet> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the key set file again if it changed, at most once a second:
    /// whoever asks meanwhile goes on with the keys there are, and the file
    /// is read on tokio's blocking pool, so no runtime thread waits on the
    /// disk (a flood of tokens naming unknown keys costs one look a second).
    /// A key set that no longer parses is kept out, loudly.
    pub async fn reload(&self) {
        let Source::File { path, modified } = &self.source else {
            return;
        };
        let seen = {
            let mut seen = modified.lock().unwrap_or_else(|e| e.into_inner());
            if seen.1.elapsed() < RELOAD_EVERY {
                return;
            }
            seen.1 = Instant::now();
            seen.0
        };
        let now = version(path).await;
        if now == seen {
            return;
        }
        let read = tokio::fs::read_to_string(path)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
            .and_then(|text| KeySet::parse(&text));
        match read {
            Ok(keys) => {
                tracing::info!(kids = ?keys.kids(), "token signing keys reloaded");
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
                modified.lock().unwrap_or_else(|e| e.into_inner()).0 = now;
            }
            Err(e) => {
                tracing::error!(error = %e, "the token key set changed and does not read; keeping the old one")
            }
        }
    }

    /// `verify`, after a look at the key set file when the token names a key
    /// this instance doesn't know: another instance may sign with a key
    /// added since.
    pub async fn verify_fresh(&self, token: &str, now: i64) -> Result<Claims, Refusal> {
        match self.verify(token, now) {
            Err(Refusal::UnknownKey) => {
                self.reload().await;
                self.verify(token, now)
            }
            verified => verified,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The signing key's `kid`.
    pub fn kid(&self) -> String {
        self.keys().signer().0.clone()
    }

    /// The JWK Set published at `/.well-known/jwks.json`: every key, the
    /// signer first.
    pub fn jwks(&self) -> serde_json::Value {
        let keys = self.keys();
        let keys: Vec<serde_json::Value> = keys
            .keys
            .iter()
            .map(|(kid, key)| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
                    "kid": kid,
                    "alg": "EdDSA",
                    "use": "sig",
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    /// A signed compact JWS of `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let keys = self.keys();
        let (kid, key) = keys.signer();
        let header = Header {
            alg: "EdDSA".into(),
            typ: "at+jwt".into(),
            kid: kid.clone(),
        };
        let mut token = encode_json(&header);
        token.push('.');
        token.push_str(&encode_json(claims));
        let signature = key.sign(token.as_bytes());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        token
    }

    /// The claims of a token we signed that is still valid at `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, Refusal> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refusal::Malformed);
        };
        let header: Header = decode_json(h).ok_or(Refusal::Malformed)?;
        if header.alg != "EdDSA" {
            return Err(Refusal::UnknownKey);
        }
        let keys = self.keys();
        let key = keys.find(&header.kid).ok_or(Refusal::UnknownKey)?;
        let signature = URL_SAFE_NO_PAD
            .decode(s)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .ok_or(Refusal::Malformed)?;
        key.verifying_key()
            .verify_strict(&token.as_bytes()[..h.len() + 1 + c.len()], &signature)
            .map_err(|_| Refusal::BadSignature)?;
        let claims: Claims = decode_json(c).ok_or(Refusal::Malformed)?;
        if claims.iss != self.issuer || claims.aud != AUDIENCE {
            return Err(Refusal::WrongIssuer);
        }
        if claims.exp <= now {
            return Err(Refusal::Expired);
        }
        Ok(claims)
    }
}

/// What tells one version of a key set file from the next: `write` replaces
/// the file (a new inode), and two writes can share a modification time.
type Version = (u64, Option<SystemTime>, u64);

async fn version(path: &Path) -> Option<Version> {
    Some(version_of(&tokio::fs::metadata(path).await.ok()?))
}

fn version_of(meta: &std::fs::Metadata) -> Version {
    use std::os::unix::fs::MetadataExt;
    (meta.ino(), meta.modified().ok(), meta.len())
}

/// The RFC 7638 JWK thumbprint: a `kid` that names the key itself.
fn thumbprint(key: &VerifyingKey) -> String {
    let x = URL_SAFE_NO_PAD.encode(key.as_bytes());
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn encode_json(value: &impl Serialize) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("claims serialise"))
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Option<T> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: "http://portal.test".into(),
            sub: "cred_x".into(),
            aud: AUDIENCE.into(),
            client_id: "cred_x".into(),
            org: "org_x".into(),
            prj: "prj_x".into(),
            scope: "read".into(),
            iat: 0,
            exp,
            jti: "tok_x".into(),
            sid: "c2lk".into(),
        }
    }

    #[test]
    fn signed_tokens_verify_until_they_expire() {
        let signer = TokenSigner::from_seed(&[7; 32], "http://portal.test/");
        let token = signer.sign(&claims(100));
        assert_eq!(signer.verify(&token, 99), Ok(claims(100)));
        assert_eq!(signer.verify(&token, 100), Err(Refusal::Expired));
    }

    #[test]
    fn tampered_foreign_and_unsigned_tokens_are_refused() {
        let signer = TokenSigner::from_seed(&[7; 32], "http://portal.test");
        let token = signer.sign(&claims(100));
        let (head, rest) = token.split_once('.').unwrap();
        let (_, sig) = rest.rsplit_once('.').unwrap();
        let mut more = claims(100);
        more.scope = "read write".into();
        let forged = format!("{head}.{}.{sig}", encode_json(&more));
        assert_eq!(signer.verify(&forged, 0), Err(Refusal::BadSignature));

        let other = TokenSigner::from_seed(&[8; 32], "http://portal.test");
        let foreign = other.sign(&claims(100));
        assert_eq!(signer.verify(&foreign, 0), Err(Refusal::UnknownKey));
        // Our kid on another key's token: the signature still fails.
        let (_, rest) = foreign.split_once('.').unwrap();
        let ours = encode_json(&json!({"alg": "EdDSA", "typ": "at+jwt", "kid": signer.kid()}));
        assert_eq!(
            signer.verify(&format!("{ours}.{rest}"), 0),
            Err(Refusal::BadSignature)
        );
        let none = format!(
            "{}.{}.",
            encode_json(&json!({"alg": "none", "typ": "at+jwt", "kid": signer.kid()})),
            encode_json(&claims(100))
        );
        assert_eq!(signer.verify(&none, 0), Err(Refusal::UnknownKey));
        assert_eq!(signer.verify("not-a-token", 0), Err(Refusal::Malformed));
        let elsewhere = TokenSigner::from_seed(&[7; 32], "http://other.test");
        assert_eq!(elsewhere.verify(&token, 0), Err(Refusal::WrongIssuer));
    }

    #[tokio::test]
    async fn a_rotated_key_set_signs_with_the_new_key_and_verifies_both_until_retired() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        KeySet::generate().write(&path).unwrap();
        let signer = TokenSigner::from_file(&path, "http://portal.test").unwrap();
        let old = signer.sign(&claims(100));
        let mut keys = KeySet::read(&path).unwrap();
        keys.rotate();
        keys.write(&path).unwrap();
        // The instance sees the change after its next look (forced here).
        tokio::time::sleep(RELOAD_EVERY).await;
        signer.reload().await;
        let new = signer.sign(&claims(100));
        assert_ne!(kid_of(&old), kid_of(&new));
        assert_eq!(signer.jwks()["keys"].as_array().unwrap().len(), 2);
        assert_eq!(signer.jwks()["keys"][0]["kid"], kid_of(&new));
        assert!(signer.verify(&old, 0).is_ok() && signer.verify(&new, 0).is_ok());
        let mut keys = KeySet::read(&path).unwrap();
        assert_eq!(keys.retire(), [kid_of(&old)]);
        keys.write(&path).unwrap();
        tokio::time::sleep(RELOAD_EVERY).await;
        signer.reload().await;
        assert_eq!(signer.verify(&old, 0), Err(Refusal::UnknownKey));
        assert!(signer.verify(&new, 0).is_ok());
        // Another instance on the same file knows the new key at its first token.
        let other = TokenSigner::from_file(&path, "http://portal.test").unwrap();
        assert!(other.verify(&new, 0).is_ok());
    }

    #[tokio::test]
    async fn a_key_added_elsewhere_is_looked_up_off_the_runtime_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        KeySet::generate().write(&path).unwrap();
        let signer = TokenSigner::from_file(&path, "http://portal.test").unwrap();
        // Another instance rotates and signs with the new key at once.
        let mut keys = KeySet::read(&path).unwrap();
        keys.rotate();
        keys.write(&path).unwrap();
        let elsewhere = TokenSigner::from_file(&path, "http://portal.test").unwrap();
        let token = elsewhere.sign(&claims(100));
        tokio::time::sleep(RELOAD_EVERY).await;
        // `verify` (on a runtime thread) never reads the file...
        assert_eq!(signer.verify(&token, 0), Err(Refusal::UnknownKey));
        // ...`verify_fresh` has tokio read it, then knows the key.
        assert!(signer.verify_fresh(&token, 0).await.is_ok());
        // A token naming a key nobody has costs at most one look a second.
        let forged = TokenSigner::from_seed(&[3; 32], "http://portal.test").sign(&claims(100));
        assert_eq!(
            signer.verify_fresh(&forged, 0).await,
            Err(Refusal::UnknownKey)
        );
    }

    #[test]
    fn a_replaced_key_set_file_keeps_its_owner_group_and_mode() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        KeySet::generate().write(&path).unwrap();
        let made = std::fs::metadata(&path).unwrap();
        assert_eq!(
            made.mode() & 0o777,
            0o600,
            "a new file is its writer's only"
        );
        // The operator lets the servers' group read it (and, as root, gives
        // it to the servers' user).
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let root = made.uid() == 0;
        if root {
            std::os::unix::fs::chown(&path, Some(4321), Some(4322)).unwrap();
        }
        let mut keys = KeySet::read(&path).unwrap();
        keys.rotate();
        keys.write(&path).unwrap();
        let after = std::fs::metadata(&path).unwrap();
        assert_ne!(after.ino(), made.ino(), "replaced, not rewritten in place");
        assert_eq!(after.mode() & 0o7777, 0o640);
        if root {
            assert_eq!((after.uid(), after.gid()), (4321, 4322));
        }
    }

    fn kid_of(token: &str) -> String {
        let header: Header = decode_json(token.split('.').next().unwrap()).unwrap();
        header.kid
    }

    #[test]
    fn the_key_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = TokenSigner::load_or_create(dir.path(), "http://portal.test").unwrap();
        let again = TokenSigner::load_or_create(dir.path(), "http://portal.test").unwrap();
        assert_eq!(first.kid(), again.kid());
        let token = first.sign(&claims(100));
        assert!(again.verify(&token, 0).is_ok());
        let jwks = first.jwks();
        assert_eq!(jwks["keys"][0]["kid"], first.kid());
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
