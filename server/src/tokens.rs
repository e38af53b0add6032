//! Access tokens: JWTs (RFC 9068 profile) signed with Ed25519, and the JWKS
//! that publishes the public key.
//!
//! Written on ed25519-dalek directly rather than through `jsonwebtoken`: a
//! compact JWS with one fixed algorithm is a few lines, and we need dalek
//! anyway to generate the key and to publish it as a JWK. Verification
//! accepts exactly one header shape (`alg: EdDSA`, our `kid`), so the
//! classic JWT pitfalls (`alg: none`, algorithm confusion) can't arise.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The file, in the data folder, that keeps the signing key's 32-byte seed.
pub const KEY_FILE: &str = "token-signing.key";
/// The audience every token is for.
pub const AUDIENCE: &str = "partner-api";

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

pub struct TokenSigner {
    key: SigningKey,
    kid: String,
    issuer: String,
}

impl TokenSigner {
    /// Loads the key kept in `dir`, or generates and keeps one on first start.
    pub fn load_or_create(dir: &Path, issuer: &str) -> anyhow::Result<Self> {
        let seed = crate::keyfile::load_or_create(&dir.join(KEY_FILE), "token signing key")?;
        Ok(Self::from_seed(&seed, issuer))
    }

    pub fn from_seed(seed: &[u8; 32], issuer: &str) -> Self {
        let key = SigningKey::from_bytes(seed);
        let kid = thumbprint(&key.verifying_key());
        Self {
            key,
            kid,
            issuer: issuer.trim_end_matches('/').to_owned(),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWK Set published at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> serde_json::Value {
        json!({ "keys": [{
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes()),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }]})
    }

    /// A signed compact JWS of `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let header = Header {
            alg: "EdDSA".into(),
            typ: "at+jwt".into(),
            kid: self.kid.clone(),
        };
        let mut token = encode_json(&header);
        token.push('.');
        token.push_str(&encode_json(claims));
        let signature = self.key.sign(token.as_bytes());
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
        if header.alg != "EdDSA" || header.kid != self.kid {
            return Err(Refusal::UnknownKey);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(s)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .ok_or(Refusal::Malformed)?;
        self.key
            .verifying_key()
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

        let mut other = TokenSigner::from_seed(&[8; 32], "http://portal.test");
        assert_eq!(
            signer.verify(&other.sign(&claims(100)), 0),
            Err(Refusal::UnknownKey)
        );
        // Same kid, another key: the signature still fails.
        other.kid = signer.kid.clone();
        assert_eq!(
            signer.verify(&other.sign(&claims(100)), 0),
            Err(Refusal::BadSignature)
        );
        let none = format!(
            "{}.{}.",
            encode_json(&json!({"alg": "none", "typ": "at+jwt", "kid": signer.kid})),
            encode_json(&claims(100))
        );
        assert_eq!(signer.verify(&none, 0), Err(Refusal::UnknownKey));
        assert_eq!(signer.verify("not-a-token", 0), Err(Refusal::Malformed));
        let elsewhere = TokenSigner::from_seed(&[7; 32], "http://other.test");
        assert_eq!(elsewhere.verify(&token, 0), Err(Refusal::WrongIssuer));
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
