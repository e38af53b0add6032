//! Sign-up, sessions and the signed-in user's own settings.

use serde::{Deserialize, Serialize};

use crate::ids::{OrganisationId, UserId};
use crate::roles::Role;
use crate::validation::{self as v, FieldErrors};

/// `POST /api/signup`: a new organisation and its first superadmin.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignUpIn {
    pub organisation_name: String,
    pub full_name: String,
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 128))]
    pub password: String,
    /// Six digits, asked again before sensitive actions.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: String,
}

crate::redacted_debug!(SignUpIn { organisation_name, full_name, email } secret { password, pin });

impl SignUpIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check(
            "organisation_name",
            v::organisation_name(&self.organisation_name),
        )
        .check("full_name", v::full_name(&self.full_name))
        .check("email", v::email(&self.email))
        .check("password", v::new_password(&self.password))
        .check("pin", v::new_pin(&self.pin));
        e.into_result()
    }
}

/// `POST /api/signup/confirm`: the token from the confirmation mail.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignUpConfirmIn {
    pub token: String,
}

crate::redacted_debug!(SignUpConfirmIn {  } secret { token });

/// `POST /api/signup/resend`: mail the confirmation link again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignUpResendIn {
    pub email: String,
}

impl SignUpResendIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("email", v::email(&self.email));
        e.into_result()
    }
}

/// What sign-up and resend answer, whatever the address: they never tell
/// whether an account exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailSentOut {
    pub message: String,
}

/// `POST /api/session`: sign in.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionIn {
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub password: String,
}

crate::redacted_debug!(SessionIn { email } secret { password });

impl SessionIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("email", v::email(&self.email))
            .check("password", v::password_present(&self.password));
        e.into_result()
    }
}

/// The signed-in user, their organisation and when the session ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionOut {
    pub user: UserOut,
    pub organisation: OrganisationOut,
    /// Unix seconds; renewed while the session is in use.
    pub expires_at: i64,
}

/// A user as the API shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserOut {
    pub id: UserId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub created_at: i64,
}

/// Where an organisation stands with the platform operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrganisationStatus {
    Pending,
    Approved,
    Suspended,
}

impl OrganisationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Suspended => "suspended",
        }
    }
}

impl std::str::FromStr for OrganisationStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        [Self::Pending, Self::Approved, Self::Suspended]
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or(())
    }
}

/// An organisation (partner account).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationOut {
    pub id: OrganisationId,
    pub name: String,
    pub status: OrganisationStatus,
    pub created_at: i64,
}

/// `GET /api/organisation/usage`: how much of each organisation-wide quota
/// the organisation uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationUsage {
    pub projects: Usage,
    /// Webhook endpoints, in all projects.
    pub endpoints: Usage,
    /// Bytes of the events it keeps (their bodies).
    pub event_bytes: Usage,
}

/// So much used of so much allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    pub used: i64,
    pub limit: i64,
}

impl Usage {
    /// The part used, in whole percent (at most 100).
    pub fn percent(self) -> u32 {
        if self.limit <= 0 {
            return 100;
        }
        let part = self.used.clamp(0, self.limit).saturating_mul(100) / self.limit;
        u32::try_from(part).unwrap_or(100)
    }
}

/// `PATCH /api/me`: the signed-in user's profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfilePatch {
    pub full_name: String,
}

impl ProfilePatch {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("full_name", v::full_name(&self.full_name));
        e.into_result()
    }
}

/// `POST /api/me/password`: needs the current password.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChangeIn {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub current_password: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 128))]
    pub new_password: String,
}

crate::redacted_debug!(PasswordChangeIn {  } secret { current_password, new_password });

impl PasswordChangeIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check(
            "current_password",
            v::password_present(&self.current_password),
        )
        .check("new_password", v::new_password(&self.new_password));
        if e.get("new_password").is_none() && self.new_password == self.current_password {
            e.check(
                "new_password",
                Err("Choose a password different from the current one.".into()),
            );
        }
        e.into_result()
    }
}

/// `POST /api/me/pin`: needs the password.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinChangeIn {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub password: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub new_pin: String,
}

crate::redacted_debug!(PinChangeIn {  } secret { password, new_pin });

impl PinChangeIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("password", v::password_present(&self.password))
            .check("new_pin", v::new_pin(&self.new_pin));
        e.into_result()
    }
}

/// `PATCH /api/organisation`: superadmins rename the organisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationPatch {
    pub name: String,
}

impl OrganisationPatch {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("name", v::organisation_name(&self.name));
        e.into_result()
    }
}

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthOut {
    pub status: String,
    pub version: String,
}

/// `GET /api/health/ready`: whether this instance should get traffic, and
/// what it depends on. `status` is `ready` or `not_ready`; `database` is `ok`
/// or `unreachable`; `rate_limits` is `per_instance`, `shared` (Redis
/// answers) or `redis_unreachable` (limited per instance until it answers;
/// still ready, since the limits still hold on each instance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadyOut {
    pub status: String,
    pub database: String,
    pub rate_limits: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_up() -> SignUpIn {
        SignUpIn {
            organisation_name: "Acme".into(),
            full_name: "Ada Lovelace".into(),
            email: "ada@acme.test".into(),
            password: "correct horse battery".into(),
            pin: "482915".into(),
        }
    }

    #[test]
    fn a_complete_sign_up_is_valid() {
        assert_eq!(sign_up().validate(), Ok(()));
    }

    #[test]
    fn sign_up_reports_every_bad_field() {
        let errors = SignUpIn::default().validate().unwrap_err();
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            ["email", "full_name", "organisation_name", "password", "pin"]
        );
    }

    #[test]
    fn new_password_must_differ() {
        let same = PasswordChangeIn {
            current_password: "correct horse battery".into(),
            new_password: "correct horse battery".into(),
        };
        assert!(same.validate().unwrap_err().get("new_password").is_some());
    }

    #[test]
    fn session_in_needs_both_fields() {
        let errors = SessionIn::default().validate().unwrap_err();
        assert!(errors.get("email").is_some() && errors.get("password").is_some());
    }
}
