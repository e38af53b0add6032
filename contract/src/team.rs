//! The team: members, invitations, and changes to members' roles and status.

use serde::{Deserialize, Serialize};

use crate::ids::{InvitationId, UserId};
use crate::roles::Role;
use crate::validation::{self as v, FieldErrors};

/// Whether a member can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Deactivated,
}

impl MemberStatus {
    pub const ALL: [MemberStatus; 2] = [MemberStatus::Active, MemberStatus::Deactivated];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deactivated => "deactivated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Deactivated => "Deactivated",
        }
    }
}

impl std::str::FromStr for MemberStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

/// A member of the organisation, as the member list shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberOut {
    pub id: UserId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub status: MemberStatus,
    /// Unix seconds; `None` until their first sign-in.
    pub last_sign_in_at: Option<i64>,
    /// When they joined (Unix seconds).
    pub created_at: i64,
}

/// What the member list can be sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberSort {
    #[default]
    Name,
    Email,
    Role,
    LastSignIn,
    Joined,
}

impl MemberSort {
    pub const ALL: [MemberSort; 5] = [
        MemberSort::Name,
        MemberSort::Email,
        MemberSort::Role,
        MemberSort::LastSignIn,
        MemberSort::Joined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::Role => "role",
            Self::LastSignIn => "last_sign_in",
            Self::Joined => "joined",
        }
    }
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// Page sizes the member list offers.
pub const PAGE_SIZES: [u32; 4] = [10, 25, 50, 100];
/// The default page size.
pub const DEFAULT_PAGE_SIZE: u32 = 25;
/// Longest search text accepted.
pub const QUERY_MAX: usize = 100;

/// `GET /api/users` query: search, filters, sort and page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MemberListQuery {
    /// Part of a name or an email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 100))]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MemberStatus>,
    #[serde(default)]
    pub sort: MemberSort,
    #[serde(default)]
    pub order: SortOrder,
    /// 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // Declared as the whole u32 range: a larger number doesn't parse (400).
    #[cfg_attr(
        feature = "openapi",
        param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_f64)
    )]
    pub page: Option<u32>,
    /// One of 10, 25, 50, 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(schema_with = page_sizes))]
    pub per_page: Option<u32>,
}

/// `per_page`'s schema: one of `PAGE_SIZES`.
#[cfg(feature = "openapi")]
fn page_sizes() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .enum_values(Some(PAGE_SIZES))
        .build()
}

impl MemberListQuery {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if self
            .query
            .as_ref()
            .is_some_and(|q| q.chars().count() > QUERY_MAX)
        {
            e.check(
                "query",
                Err(format!("Search with at most {QUERY_MAX} characters.")),
            );
        }
        if self.page == Some(0) {
            e.check("page", Err("Pages start at 1.".into()));
        }
        if let Some(n) = self.per_page
            && !PAGE_SIZES.contains(&n)
        {
            e.check("per_page", Err("Choose 10, 25, 50 or 100 per page.".into()));
        }
        e.into_result()
    }

    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn per_page(&self) -> u32 {
        self.per_page.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    /// The query string for `GET /api/users` (only what differs from the defaults).
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        if let Some(q) = self
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            parts.push(("query", q.to_owned()));
        }
        if let Some(role) = self.role {
            parts.push(("role", role.as_str().to_owned()));
        }
        if let Some(status) = self.status {
            parts.push(("status", status.as_str().to_owned()));
        }
        if self.sort != MemberSort::default() {
            parts.push(("sort", self.sort.as_str().to_owned()));
        }
        if self.order != SortOrder::default() {
            parts.push(("order", self.order.as_str().to_owned()));
        }
        if self.page() != 1 {
            parts.push(("page", self.page().to_string()));
        }
        if self.per_page() != DEFAULT_PAGE_SIZE {
            parts.push(("per_page", self.per_page().to_string()));
        }
        parts
            .into_iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes all but unreserved characters (RFC 3986).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One page of members and how many match in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberPage {
    pub items: Vec<MemberOut>,
    /// Members matching the search and filters, on every page.
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl MemberPage {
    /// How many pages the matching members fill (at least 1).
    pub fn pages(&self) -> u32 {
        (self.total.div_ceil(self.per_page.max(1) as u64)).max(1) as u32
    }
}

/// `PATCH /api/users/{id}`: change a member's role or status. Needs the
/// acting user's security PIN.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MemberStatus>,
    /// The acting user's 6-digit PIN.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: String,
}

crate::redacted_debug!(MemberPatch { role, status } secret { pin });

impl MemberPatch {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("pin", v::pin_format(&self.pin));
        if self.role.is_none() && self.status.is_none() {
            e.check("role", Err("Choose a new role or status.".into()));
        }
        e.into_result()
    }
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Expired,
    Revoked,
    Accepted,
}

impl InvitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Accepted => "accepted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
            Self::Accepted => "Accepted",
        }
    }
}

/// `POST /api/invitations`: invite someone by email with a role. Inviting an
/// admin or superadmin needs the inviter's security PIN, as making someone
/// one does.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationIn {
    pub email: String,
    pub role: Role,
    /// The inviter's 6-digit PIN; required when `role` is admin or superadmin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: Option<String>,
}

crate::redacted_debug!(InvitationIn { email, role } secret { pin });

impl InvitationIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("email", v::email(&self.email));
        inviter_pin(&mut e, self.role, self.pin.as_deref());
        e.into_result()
    }
}

/// An invitation as the Invitations tab lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationOut {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub status: InvitationStatus,
    /// The name of whoever sent (or last resent) it.
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// `GET /api/invitations`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationList {
    pub items: Vec<InvitationOut>,
}

/// `GET /api/invitations/lookup?token=`: what the invite page shows before
/// the person accepts. Looking consumes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationLookupOut {
    pub organisation_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: i64,
}

/// `POST /api/invitations/{id}/resend`: a new link, with the sender's PIN
/// when the invitation grants admin or superadmin (as sending one does).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationResendIn {
    /// The sender's 6-digit PIN; required when the invitation's role is
    /// admin or superadmin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: Option<String>,
}

crate::redacted_debug!(InvitationResendIn {} secret { pin });

impl InvitationResendIn {
    /// The rules for resending an invitation that grants `role`.
    pub fn validate(&self, role: Role) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        inviter_pin(&mut e, role, self.pin.as_deref());
        e.into_result()
    }
}

/// An invitation that grants admin or superadmin, sent or sent again, needs
/// the sender's PIN.
fn inviter_pin(e: &mut FieldErrors, role: Role, pin: Option<&str>) {
    if !role.grant_needs_pin() {
        return;
    }
    match pin {
        Some(pin) if !pin.is_empty() => e.check("pin", v::pin_format(pin)),
        _ => e.check(
            "pin",
            Err(format!(
                "Enter your security PIN to invite an {}.",
                role.as_str()
            )),
        ),
    };
}

/// `POST /api/invitations/accept`: join with a name, password and PIN.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationAcceptIn {
    pub token: String,
    pub full_name: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 128))]
    pub password: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: String,
}

crate::redacted_debug!(InvitationAcceptIn { full_name } secret { token, password, pin });

impl InvitationAcceptIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("full_name", v::full_name(&self.full_name))
            .check("password", v::new_password(&self.password))
            .check("pin", v::new_pin(&self.pin));
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inviting_an_admin_or_superadmin_needs_a_pin() {
        let invite = |role, pin: Option<&str>| InvitationIn {
            email: "grace@acme.test".into(),
            role,
            pin: pin.map(Into::into),
        };
        for role in [Role::Developer, Role::Viewer] {
            assert_eq!(invite(role, None).validate(), Ok(()), "{role:?}");
        }
        for role in [Role::Admin, Role::Superadmin] {
            for pin in [None, Some("")] {
                let errors = invite(role, pin).validate().unwrap_err();
                assert_eq!(
                    errors.get("pin"),
                    Some(
                        format!("Enter your security PIN to invite an {}.", role.as_str()).as_str()
                    )
                );
            }
            assert!(
                invite(role, Some("12ab"))
                    .validate()
                    .unwrap_err()
                    .get("pin")
                    .is_some()
            );
            assert_eq!(invite(role, Some("482915")).validate(), Ok(()), "{role:?}");
        }
    }

    #[test]
    fn the_default_query_is_empty() {
        assert_eq!(MemberListQuery::default().to_query_string(), "");
    }

    #[test]
    fn a_full_query_round_trips_through_serde() {
        let q = MemberListQuery {
            query: Some(" ada lo ".into()),
            role: Some(Role::Admin),
            status: Some(MemberStatus::Deactivated),
            sort: MemberSort::LastSignIn,
            order: SortOrder::Desc,
            page: Some(3),
            per_page: Some(50),
        };
        assert_eq!(
            q.to_query_string(),
            "query=ada%20lo&role=admin&status=deactivated&sort=last_sign_in&order=desc&page=3&per_page=50"
        );
        assert_eq!(q.validate(), Ok(()));
    }

    #[test]
    fn bad_pages_and_sizes_are_refused() {
        let q = MemberListQuery {
            page: Some(0),
            per_page: Some(7),
            query: Some("x".repeat(101)),
            ..Default::default()
        };
        let errors = q.validate().unwrap_err();
        assert!(errors.get("page").is_some());
        assert!(errors.get("per_page").is_some());
        assert!(errors.get("query").is_some());
    }

    #[test]
    fn pages_round_up() {
        let page = |total| MemberPage {
            items: vec![],
            total,
            page: 1,
            per_page: 25,
        };
        assert_eq!(page(0).pages(), 1);
        assert_eq!(page(25).pages(), 1);
        assert_eq!(page(26).pages(), 2);
        assert_eq!(page(10_000).pages(), 400);
    }

    #[test]
    fn a_patch_needs_a_change_and_a_pin() {
        let errors = MemberPatch::default().validate().unwrap_err();
        assert!(errors.get("pin").is_some() && errors.get("role").is_some());
        let ok = MemberPatch {
            role: Some(Role::Viewer),
            status: None,
            pin: "482915".into(),
        };
        assert_eq!(ok.validate(), Ok(()));
    }
}
