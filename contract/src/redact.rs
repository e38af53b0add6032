//! `Debug` that never prints a secret: passwords, PINs, tokens, secrets,
//! hashes and keys show as `[redacted]`, so a `{:?}` in a log line or a
//! panic message can't leak one. Hand-written rather than `secrecy`: the wire
//! types stay plain `String`s for serde and the app's forms, and the app
//! (WebAssembly, downloaded by every user) carries no crate for it.

/// Implements `Debug` for a struct, printing its `shown` fields and
/// `[redacted]` for its `secret` ones:
/// `redacted_debug!(SessionIn { email } secret { password });`
#[macro_export]
macro_rules! redacted_debug {
    ($ty:ident $(<$lt:lifetime>)? { $($shown:ident),* $(,)? } secret { $($secret:ident),+ $(,)? }) => {
        impl ::core::fmt::Debug for $ty $(<$lt>)? {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                // Every field is named, so a new one can't slip past unseen.
                let Self { $($shown,)* $($secret: _,)+ } = self;
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($shown), $shown))*
                    $(.field(stringify!($secret), &$crate::redact::Redacted))+
                    .finish()
            }
        }
    };
}

/// What a secret field shows.
pub struct Redacted;

impl core::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use crate::accounts::{PasswordChangeIn, PinChangeIn, SessionIn, SignUpConfirmIn, SignUpIn};
    use crate::credentials::{
        CredentialIn, CredentialRevokeIn, CredentialRollIn, CredentialSecretOut,
    };
    use crate::partner::{TokenOut, TokenRequest};
    use crate::projects::ProjectDeleteIn;
    use crate::team::{InvitationAcceptIn, InvitationIn, MemberPatch};
    use crate::webhooks::{EndpointSecretOut, SecretRevealIn, SecretRotateIn};

    const SECRET: &str = "hunter2-secret-value";

    /// Deserialises `json` with every secret field set to SECRET, and checks
    /// that its Debug names the field but not the value.
    fn redacted<T: serde::de::DeserializeOwned + core::fmt::Debug>(json: serde_json::Value) {
        let value: T =
            serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{e}: {json}"));
        let shown = format!("{value:?} {value:#?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn no_secret_shows_in_debug() {
        use serde_json::json;
        let s = SECRET;
        redacted::<SignUpIn>(
            json!({ "organisation_name": "Acme", "full_name": "Ada", "email": "a@b.co", "password": s, "pin": s }),
        );
        redacted::<SignUpConfirmIn>(json!({ "token": s }));
        redacted::<SessionIn>(json!({ "email": "a@b.co", "password": s }));
        redacted::<PasswordChangeIn>(json!({ "current_password": s, "new_password": s }));
        redacted::<PinChangeIn>(json!({ "password": s, "new_pin": s }));
        redacted::<CredentialIn>(json!({ "description": "x", "scopes": ["read"], "pin": s }));
        redacted::<CredentialRollIn>(json!({ "overlap": "now", "pin": s }));
        redacted::<CredentialRevokeIn>(json!({ "pin": s }));
        redacted::<ProjectDeleteIn>(json!({ "pin": s }));
        redacted::<TokenRequest>(
            json!({ "grant_type": "client_credentials", "client_id": "c", "client_secret": s }),
        );
        redacted::<TokenOut>(
            json!({ "access_token": s, "token_type": "Bearer", "expires_in": 1800, "scope": "read" }),
        );
        redacted::<MemberPatch>(json!({ "role": "admin", "pin": s }));
        redacted::<InvitationIn>(json!({ "email": "a@b.co", "role": "admin", "pin": s }));
        redacted::<InvitationAcceptIn>(
            json!({ "token": s, "full_name": "Ada", "password": s, "pin": s }),
        );
        redacted::<SecretRevealIn>(json!({ "pin": s }));
        redacted::<SecretRotateIn>(json!({ "overlap": "now", "pin": s }));
    }

    #[test]
    fn secrets_shown_once_are_not_shown_by_debug() {
        use serde_json::json;
        let credential = json!({ "id": "cli_1", "project_id": "prj_1", "description": "d",
            "scopes": ["read"], "secrets": [], "created_by": null, "created_at": 0,
            "expires_at": null, "revoked_at": null, "last_used_at": null, "status": "active" });
        redacted::<CredentialSecretOut>(
            json!({ "credential": credential, "client_id": "cli_1", "client_secret": SECRET }),
        );
        let webhook = json!({ "id": "wh_1", "project_id": "prj_1", "url": "https://x.example/h",
            "description": "", "event_types": [], "enabled": true, "disabled_reason": null,
            "previous_secret_until": null, "created_at": 0,
            "stats": { "succeeded_attempts": 0, "failed_attempts": 0, "last_delivery_at": null,
                "last_status": null } });
        redacted::<EndpointSecretOut>(json!({ "webhook": webhook, "secret": SECRET }));
    }
}
