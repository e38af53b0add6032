//! Webhooks: endpoints that receive a project's events, signed as Standard
//! Webhooks; the delivery log with every attempt; and the partner API's
//! `POST /v1/events`.

use serde::{Deserialize, Serialize};

use crate::credentials::RollOverlap;
use crate::ids::{DeliveryId, EndpointId, EventId, ProjectId};
use crate::validation::{self as v, FieldErrors};

/// The events the portal itself sends. Partners publish their own types
/// through `POST /v1/events`; these names are the portal's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalEvent {
    CredentialCreated,
    CredentialRolled,
    CredentialRevoked,
    ProjectUpdated,
    MemberJoined,
    MemberRemoved,
    WebhookTest,
}

impl PortalEvent {
    /// Every one, in the order the catalogue lists them.
    pub const ALL: [PortalEvent; 7] = [
        Self::CredentialCreated,
        Self::CredentialRolled,
        Self::CredentialRevoked,
        Self::ProjectUpdated,
        Self::MemberJoined,
        Self::MemberRemoved,
        Self::WebhookTest,
    ];

    /// The type as events carry it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::CredentialCreated => "credential.created",
            Self::CredentialRolled => "credential.rolled",
            Self::CredentialRevoked => "credential.revoked",
            Self::ProjectUpdated => "project.updated",
            Self::MemberJoined => "member.joined",
            Self::MemberRemoved => "member.removed",
            Self::WebhookTest => "webhook.test",
        }
    }

    /// What it means, for the catalogue.
    pub const fn description(self) -> &'static str {
        match self {
            Self::CredentialCreated => "An API credential was created.",
            Self::CredentialRolled => "A credential's secret was rolled.",
            Self::CredentialRevoked => "An API credential was revoked.",
            Self::ProjectUpdated => "A project was renamed or described.",
            Self::MemberJoined => "Someone accepted an invitation to the organisation.",
            Self::MemberRemoved => "A member was deactivated.",
            Self::WebhookTest => "A test event sent from the portal.",
        }
    }

    /// The portal's event of this type, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// Longest event type.
pub const EVENT_TYPE_MAX: usize = 64;
/// Longest endpoint URL.
pub const URL_MAX: usize = 2000;
/// Longest description.
pub const DESCRIPTION_MAX: usize = 200;
/// Largest event payload accepted by `POST /v1/events`, in bytes of JSON.
pub const PAYLOAD_MAX: usize = 32 * 1024;
/// Seconds to wait before each retry after a failed attempt: about 5 s,
/// 5 min, 30 min, 2 h, 5 h, 10 h. After the last, the delivery has failed.
pub const RETRY_SCHEDULE: [i64; 6] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600];

/// `a.b` words: lowercase letters, digits and `_`, at least two parts.
pub fn event_type(value: &str) -> Result<(), String> {
    let parts_ok = value.split('.').count() >= 2
        && value.split('.').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if value.len() <= EVENT_TYPE_MAX && parts_ok {
        Ok(())
    } else {
        Err(format!(
            "Use lowercase words joined by dots, like invoice.paid (at most {EVENT_TYPE_MAX} characters)."
        ))
    }
}

/// A plausible endpoint URL: http(s), a host, no user or password. Whether the
/// host may be reached (https only in production, no private addresses) is
/// the server's to say.
pub fn endpoint_url(value: &str) -> Result<(), String> {
    let value = value.trim();
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err("Enter a full URL, like https://example.com/webhooks.".into());
    };
    if !matches!(scheme, "http" | "https") {
        return Err("Use an https:// URL.".into());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("Remove the user name and password from the URL; sign requests with the signing secret instead.".into());
    }
    if authority.is_empty()
        || value.len() > URL_MAX
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("Enter a full URL, like https://example.com/webhooks.".into());
    }
    Ok(())
}

fn description(value: &str) -> Result<(), String> {
    if value.chars().count() > DESCRIPTION_MAX {
        Err(format!("Use at most {DESCRIPTION_MAX} characters."))
    } else {
        Ok(())
    }
}

fn event_types(values: &[String]) -> Result<(), String> {
    values
        .iter()
        .try_for_each(|t| event_type(t).map_err(|_| format!("{t} is not an event type.")))
}

/// An event type the portal sends, for the endpoint form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventTypeOut {
    pub name: String,
    pub description: String,
}

/// `GET /api/event-types`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventTypeList {
    pub items: Vec<EventTypeOut>,
}

/// `POST /api/projects/{id}/webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointIn {
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Empty: every event type.
    #[serde(default)]
    pub event_types: Vec<String>,
}

impl EndpointIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("url", endpoint_url(&self.url))
            .check("description", description(&self.description))
            .check("event_types", event_types(&self.event_types));
        e.into_result()
    }
}

/// `PATCH /api/webhooks/{id}`: any of the fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl EndpointPatch {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if let Some(url) = &self.url {
            e.check("url", endpoint_url(url));
        }
        if let Some(d) = &self.description {
            e.check("description", description(d));
        }
        if let Some(t) = &self.event_types {
            e.check("event_types", event_types(t));
        }
        e.into_result()
    }
}

/// Why an endpoint is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// A member turned it off.
    ByUser,
    /// It answered 410 Gone.
    Gone,
    /// Its deliveries kept failing until they ran out of retries.
    Failing,
}

impl DisabledReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ByUser => "by_user",
            Self::Gone => "gone",
            Self::Failing => "failing",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            Self::ByUser => "Disabled by a member of your team.",
            Self::Gone => "Disabled because it answered 410 Gone.",
            Self::Failing => "Disabled because its deliveries kept failing.",
        }
    }
}

impl std::str::FromStr for DisabledReason {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        [Self::ByUser, Self::Gone, Self::Failing]
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(())
    }
}

/// Delivery attempts to an endpoint over the past 24 hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointStats {
    /// Attempts answered 2xx.
    pub succeeded_attempts: u32,
    /// Attempts answered otherwise, or not at all (timeout, refused).
    pub failed_attempts: u32,
    /// The latest attempt.
    pub last_delivery_at: Option<i64>,
    /// Where the latest attempted delivery stands.
    pub last_status: Option<DeliveryStatus>,
}

impl EndpointStats {
    pub fn attempts(&self) -> u32 {
        self.succeeded_attempts + self.failed_attempts
    }

    /// The success rate in whole percent, rounded down so that 100 means
    /// every attempt succeeded; `None` without attempts.
    pub fn success_percent(&self) -> Option<u32> {
        let attempts = u64::from(self.attempts());
        (attempts > 0).then(|| (u64::from(self.succeeded_attempts) * 100 / attempts) as u32)
    }
}

/// An endpoint; never its signing secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointOut {
    pub id: EndpointId,
    pub project_id: ProjectId,
    pub url: String,
    pub description: String,
    /// Empty: every event type.
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<DisabledReason>,
    /// While a rotated secret still signs too, until then.
    pub previous_secret_until: Option<i64>,
    pub created_at: i64,
    pub stats: EndpointStats,
}

/// `GET /api/projects/{id}/webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointList {
    pub items: Vec<EndpointOut>,
}

/// An answer that carries the signing secret: create, reveal, rotate.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointSecretOut {
    pub webhook: EndpointOut,
    /// `whsec_` and base64 of the key.
    pub secret: String,
}

crate::redacted_debug!(EndpointSecretOut { webhook } secret { secret });

/// `POST /api/webhooks/{id}/secret`: reveal again, with the PIN.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretRevealIn {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: String,
}

crate::redacted_debug!(SecretRevealIn {  } secret { pin });

impl SecretRevealIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("pin", v::pin_format(&self.pin));
        e.into_result()
    }
}

/// `POST /api/webhooks/{id}/secret/rotate`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretRotateIn {
    /// How long the old secret keeps signing too.
    pub overlap: RollOverlap,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: String,
}

crate::redacted_debug!(SecretRotateIn { overlap } secret { pin });

impl SecretRotateIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("pin", v::pin_format(&self.pin));
        e.into_result()
    }
}

/// `POST /api/webhooks/{id}/test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointTestIn {
    pub event_type: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or a retry.
    Pending,
    Succeeded,
    /// Out of retries (or the endpoint was disabled).
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [Self::Pending, Self::Succeeded, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

/// A delivery in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryOut {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    pub last_http_status: Option<u16>,
    pub last_latency_ms: Option<u32>,
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
}

/// `GET /api/webhooks/{id}/deliveries`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct DeliveryQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeliveryStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // Declared as the whole u32 range: a larger number doesn't parse (400).
    #[cfg_attr(
        feature = "openapi",
        param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_f64)
    )]
    pub page: Option<u32>,
}

impl DeliveryQuery {
    pub const PAGE_SIZE: u32 = 20;

    pub fn validate(&self) -> Result<(), crate::FieldErrors> {
        let mut e = crate::FieldErrors::new();
        if self.page == Some(0) {
            e.check("page", Err("Pages start at 1.".into()));
        }
        e.into_result()
    }

    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn to_query_string(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.as_str()));
        }
        if let Some(t) = self.event_type.as_deref().filter(|t| !t.is_empty()) {
            parts.push(format!("event_type={}", crate::team::percent_encode(t)));
        }
        if self.page() > 1 {
            parts.push(format!("page={}", self.page()));
        }
        parts.join("&")
    }
}

/// A page of the delivery log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryPage {
    pub items: Vec<DeliveryOut>,
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
    /// Every event type the endpoint has deliveries of, whatever the filter:
    /// the choices of the event-type filter, partners' own types included.
    pub event_types: Vec<String>,
}

/// One attempt of a delivery: what was sent and what came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptOut {
    pub attempt: u32,
    pub started_at: i64,
    /// Header name and value pairs, as sent.
    pub request_headers: Vec<(String, String)>,
    pub response_status: Option<u16>,
    /// The first kilobyte of the response body.
    pub response_excerpt: String,
    pub latency_ms: u32,
    /// Why there was no response (timeout, refused address …).
    pub error: Option<String>,
}

/// `GET /api/deliveries/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryDetail {
    pub delivery: DeliveryOut,
    pub webhook_id: EndpointId,
    pub url: String,
    /// The signed request body.
    pub request_body: String,
    pub attempts: Vec<AttemptOut>,
}

/// `POST /v1/events`: publish an event to the project's endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventIn {
    #[serde(rename = "type")]
    pub event_type: String,
    /// Any JSON object.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// The answer to `POST /v1/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventOut {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: String,
    /// Endpoints it will be delivered to.
    pub deliveries: u32,
    /// False when no enabled endpoint of the project wants this type: the
    /// event is not kept and goes nowhere (`message` says so).
    pub stored: bool,
    /// A sentence when the event was not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_success_rate_counts_attempts_and_never_rounds_up_to_100() {
        let stats = |succeeded_attempts, failed_attempts| EndpointStats {
            succeeded_attempts,
            failed_attempts,
            ..EndpointStats::default()
        };
        assert_eq!(stats(0, 0).success_percent(), None);
        assert_eq!(stats(3, 0).success_percent(), Some(100));
        assert_eq!(stats(199, 1).success_percent(), Some(99));
        assert_eq!(stats(1, 2).success_percent(), Some(33));
        assert_eq!(stats(0, 5).success_percent(), Some(0));
        assert_eq!(stats(1, 2).attempts(), 3);
    }

    #[test]
    fn event_types_are_dotted_lowercase_words() {
        for ok in ["invoice.paid", "credential.created", "a.b_c.d2"] {
            assert_eq!(event_type(ok), Ok(()), "{ok}");
        }
        for bad in [
            "invoice",
            "Invoice.Paid",
            "a..b",
            ".a",
            "a.b-c",
            &"a.".repeat(40),
        ] {
            assert!(event_type(bad).is_err(), "{bad}");
        }
        for e in PortalEvent::ALL {
            assert_eq!(event_type(e.name()), Ok(()));
            assert_eq!(PortalEvent::parse(e.name()), Some(e));
        }
    }

    #[test]
    fn endpoint_urls_are_http_without_credentials() {
        assert_eq!(endpoint_url("https://example.com/hooks"), Ok(()));
        assert_eq!(endpoint_url("http://127.0.0.1:9000/x?y=1"), Ok(()));
        assert!(endpoint_url("ftp://example.com").is_err());
        assert!(endpoint_url("example.com/hooks").is_err());
        assert!(
            endpoint_url("https://user:pw@example.com/")
                .unwrap_err()
                .contains("user name")
        );
        assert!(endpoint_url("https:///path").is_err());
        assert!(endpoint_url("https://exa mple.com").is_err());
    }

    #[test]
    fn delivery_queries_build_their_query_string() {
        let q = DeliveryQuery {
            status: Some(DeliveryStatus::Failed),
            event_type: Some("invoice.paid".into()),
            page: Some(2),
        };
        assert_eq!(
            q.to_query_string(),
            "status=failed&event_type=invoice.paid&page=2"
        );
        assert_eq!(DeliveryQuery::default().to_query_string(), "");
    }
}
