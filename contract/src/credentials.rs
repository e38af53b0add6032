//! API credentials: a client id and secrets that the partner API exchanges for
//! short-lived bearer tokens. A secret appears in exactly one response (create
//! or roll); every other answer carries only its first characters.

use serde::{Deserialize, Serialize};

use crate::ids::{CredentialId, ProjectId, UserId};
use crate::validation::{self as v, FieldErrors};

/// What a token may do on the partner API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Read, Scope::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// What the scope allows, as the create modal explains it.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::Read => "Read: look up data, such as /v1/whoami.",
            Self::Write => "Write: change data, such as publishing events.",
        }
    }

    /// Parses an OAuth2 `scope` string (space-separated); `None` if any word is unknown.
    pub fn parse_list(s: &str) -> Option<Vec<Scope>> {
        let mut scopes = s
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| w.parse().ok())
            .collect::<Option<Vec<Scope>>>()?;
        scopes.sort();
        scopes.dedup();
        Some(scopes)
    }

    /// The OAuth2 form: space-separated.
    pub fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl std::str::FromStr for Scope {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

/// How long a new credential works.
pub const EXPIRY_DAYS: [u32; 3] = [30, 90, 365];
/// Longest description.
pub const DESCRIPTION_MAX: usize = 100;
/// Days before a credential's end from which it is shown as expiring.
pub const EXPIRING_WITHIN_DAYS: i64 = 7;

/// `POST /api/projects/{id}/credentials`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialIn {
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub scopes: Vec<Scope>,
    /// 30, 90 or 365; absent or null: never expires.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
    /// The user's security PIN (step-up).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: String,
}

crate::redacted_debug!(CredentialIn { description, scopes, expires_in_days } secret { pin });

impl CredentialIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        let len = self.description.trim().chars().count();
        e.check(
            "description",
            if len == 0 {
                Err("Say what this credential is for, e.g. \"Checkout backend\".".into())
            } else if len > DESCRIPTION_MAX {
                Err(format!("Use at most {DESCRIPTION_MAX} characters."))
            } else if self.description.chars().any(char::is_control) {
                Err("Remove the control characters.".into())
            } else {
                Ok(())
            },
        )
        .check(
            "scopes",
            if self.scopes.is_empty() {
                Err("Choose at least one scope.".into())
            } else {
                Ok(())
            },
        )
        .check(
            "expires_in_days",
            match self.expires_in_days {
                Some(d) if !EXPIRY_DAYS.contains(&d) => {
                    Err("Choose never, 30, 90 or 365 days.".into())
                }
                _ => Ok(()),
            },
        )
        .check("pin", v::pin_format(&self.pin));
        e.into_result()
    }
}

/// How long the old secret keeps working after a roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RollOverlap {
    #[serde(rename = "now")]
    Now,
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "24h")]
    OneDay,
    #[serde(rename = "7d")]
    SevenDays,
}

impl RollOverlap {
    pub const ALL: [RollOverlap; 4] = [Self::Now, Self::OneHour, Self::OneDay, Self::SevenDays];

    pub fn seconds(self) -> i64 {
        match self {
            Self::Now => 0,
            Self::OneHour => 3600,
            Self::OneDay => 24 * 3600,
            Self::SevenDays => 7 * 24 * 3600,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Now => "now",
            Self::OneHour => "1h",
            Self::OneDay => "24h",
            Self::SevenDays => "7d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Now => "Stop it now",
            Self::OneHour => "1 hour",
            Self::OneDay => "24 hours",
            Self::SevenDays => "7 days",
        }
    }
}

impl std::str::FromStr for RollOverlap {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

/// `POST /api/credentials/{id}/roll`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialRollIn {
    pub overlap: RollOverlap,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: String,
}

crate::redacted_debug!(CredentialRollIn { overlap } secret { pin });

impl CredentialRollIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("pin", v::pin_format(&self.pin));
        e.into_result()
    }
}

/// `DELETE /api/credentials/{id}`: revoking needs the PIN.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialRevokeIn {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: String,
}

crate::redacted_debug!(CredentialRevokeIn {  } secret { pin });

impl CredentialRevokeIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("pin", v::pin_format(&self.pin));
        e.into_result()
    }
}

/// Where a credential stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    Active,
    /// Ends within [`EXPIRING_WITHIN_DAYS`].
    Expiring,
    Expired,
    Revoked,
}

impl CredentialStatus {
    /// The status at `now` of a credential ending at `expires_at`.
    pub fn at(now: i64, expires_at: Option<i64>, revoked_at: Option<i64>) -> Self {
        match (revoked_at, expires_at) {
            (Some(_), _) => Self::Revoked,
            (None, Some(end)) if end <= now => Self::Expired,
            (None, Some(end)) if end - now <= EXPIRING_WITHIN_DAYS * 86_400 => Self::Expiring,
            _ => Self::Active,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Expiring => "Expiring",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
        }
    }
}

/// A secret as lists show it: its first characters only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretHint {
    /// The prefix and the first random characters, e.g. `sk_test_k3j9`.
    pub hint: String,
    pub created_at: i64,
    /// Set on a secret replaced by a roll: it works until then.
    pub expires_at: Option<i64>,
}

/// Who created a credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedBy {
    pub id: UserId,
    pub name: String,
}

/// A credential's metadata; never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialOut {
    /// Also the OAuth2 client id.
    pub id: CredentialId,
    pub project_id: ProjectId,
    pub description: String,
    pub scopes: Vec<Scope>,
    /// Working secrets, newest first.
    pub secrets: Vec<SecretHint>,
    pub created_by: Option<CreatedBy>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The last token issued or partner API call made with it.
    pub last_used_at: Option<i64>,
    pub status: CredentialStatus,
}

/// `GET /api/projects/{id}/credentials`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialList {
    pub items: Vec<CredentialOut>,
}

/// The one answer that carries a secret: after create or roll.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialSecretOut {
    pub credential: CredentialOut,
    pub client_id: CredentialId,
    pub client_secret: String,
}

crate::redacted_debug!(CredentialSecretOut { credential, client_id } secret { client_secret });

/// `GET /api/overview`: what the quick-start checklist ticks from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverviewOut {
    pub projects: u32,
    /// Credentials that still work.
    pub credentials: u32,
    /// When a credential that still works first got a token: the quick
    /// start counts what works now, not what once did.
    pub first_token_at: Option<i64>,
    /// When a credential that still works first called the partner API.
    pub first_call_at: Option<i64>,
    /// The newest working credential, to fill the commands with real ids.
    pub example: Option<OverviewExample>,
    /// Webhook endpoints disabled because their deliveries kept failing.
    #[serde(default)]
    pub failing_endpoints: Vec<FailingEndpoint>,
}

/// An endpoint the overview warns about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailingEndpoint {
    pub project_id: ProjectId,
    pub webhook_id: crate::ids::EndpointId,
    pub url: String,
}

/// The ids the quick-start commands are filled with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverviewExample {
    pub project_id: ProjectId,
    pub project_name: String,
    pub client_id: CredentialId,
    pub secret_hint: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CredentialIn {
        CredentialIn {
            description: "Checkout backend".into(),
            scopes: vec![Scope::Read],
            expires_in_days: Some(90),
            pin: "482915".into(),
        }
    }

    #[test]
    fn a_credential_needs_a_description_a_scope_a_known_expiry_and_a_pin() {
        assert_eq!(input().validate(), Ok(()));
        let bad = CredentialIn {
            description: " ".into(),
            scopes: vec![],
            expires_in_days: Some(45),
            pin: "12".into(),
        };
        let e = bad.validate().unwrap_err();
        for field in ["description", "scopes", "expires_in_days", "pin"] {
            assert!(e.get(field).is_some(), "{field}");
        }
        let never = CredentialIn {
            expires_in_days: None,
            ..input()
        };
        assert_eq!(never.validate(), Ok(()));
    }

    #[test]
    fn scopes_parse_as_oauth_lists() {
        assert_eq!(
            Scope::parse_list("write  read read"),
            Some(vec![Scope::Read, Scope::Write])
        );
        assert_eq!(Scope::parse_list(""), Some(vec![]));
        assert_eq!(Scope::parse_list("read admin"), None);
        assert_eq!(Scope::join(&[Scope::Read, Scope::Write]), "read write");
    }

    #[test]
    fn status_follows_revocation_then_expiry() {
        let day = 86_400;
        assert_eq!(
            CredentialStatus::at(0, None, None),
            CredentialStatus::Active
        );
        assert_eq!(
            CredentialStatus::at(0, Some(30 * day), None),
            CredentialStatus::Active
        );
        assert_eq!(
            CredentialStatus::at(0, Some(7 * day), None),
            CredentialStatus::Expiring
        );
        assert_eq!(
            CredentialStatus::at(0, Some(0), None),
            CredentialStatus::Expired
        );
        assert_eq!(
            CredentialStatus::at(0, Some(day), Some(0)),
            CredentialStatus::Revoked
        );
    }

    #[test]
    fn overlaps_round_trip_on_the_wire() {
        for o in RollOverlap::ALL {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(o.as_str().parse::<RollOverlap>(), Ok(o));
        }
        assert_eq!(RollOverlap::OneDay.seconds(), 86_400);
    }
}
