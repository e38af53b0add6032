//! Webhook endpoints. The signing secret is needed to sign, so it is kept
//! sealed (XChaCha20-Poly1305, see `webhooks::vault`), never in plain text.

use async_trait::async_trait;
use portal_contract::credentials::FailingEndpoint;
use portal_contract::ids::{OrganisationId, ProjectId, WebhookId};
use portal_contract::webhooks::{DisabledReason, WebhookStats};

use super::{MaybeTimestamp, StoreResult, Timestamp};

#[derive(Clone, sqlx::FromRow)]
pub struct Webhook {
    pub id: WebhookId,
    pub organisation_id: OrganisationId,
    pub project_id: ProjectId,
    pub url: String,
    pub description: String,
    /// Space-separated; empty means every event type.
    pub event_types: String,
    pub enabled: bool,
    pub disabled_reason: Option<DisabledReason>,
    /// Sealed by the vault.
    pub secret: Vec<u8>,
    /// During a rotation's overlap the previous secret signs too.
    pub previous_secret: Option<Vec<u8>>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub previous_secret_until: Option<i64>,
    /// Set at the first failure after a success; cleared by a success.
    #[sqlx(try_from = "MaybeTimestamp")]
    pub failing_since: Option<i64>,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
}

portal_contract::redacted_debug!(Webhook { id, organisation_id, project_id, url, description, event_types, enabled, disabled_reason, previous_secret_until, failing_since, created_at } secret { secret, previous_secret });

impl Webhook {
    pub fn event_types(&self) -> Vec<String> {
        self.event_types
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The fingerprint the delivery queue gives with each claimed delivery
    /// (`queue::Due::endpoint`): enabled, sealed secrets, overlap and URL. A
    /// copy of the endpoint kept by the worker is current while its
    /// fingerprint is the same. Both backends compute it in SQL, like this.
    pub fn fingerprint(&self) -> String {
        fn hex(bytes: &[u8]) -> String {
            bytes.iter().map(|b| format!("{b:02X}")).collect()
        }
        format!(
            "{} {} {} {} {}",
            i64::from(self.enabled),
            hex(&self.secret),
            self.previous_secret.as_deref().map(hex).unwrap_or_default(),
            self.previous_secret_until
                .map(|u| u.to_string())
                .unwrap_or_default(),
            self.url
        )
    }
}

#[async_trait]
pub trait Webhooks: Send + Sync {
    async fn insert(&self, webhook: &Webhook) -> StoreResult<()>;

    /// One of `org`'s endpoints; another organisation's id reads as absent.
    async fn get(&self, org: &OrganisationId, id: &WebhookId) -> StoreResult<Option<Webhook>>;

    /// A project's endpoints, oldest first.
    async fn list_for_project(&self, project: &ProjectId) -> StoreResult<Vec<Webhook>>;

    /// Saves the editable fields and the enabled state. With `disable`, the
    /// endpoint is disabled for that reason and its waiting deliveries (not
    /// those being sent now) end, in the same transaction.
    async fn update(&self, webhook: &Webhook, disable: Option<DisabledReason>)
    -> StoreResult<()>;

    async fn rotate_secret(
        &self,
        id: &WebhookId,
        secret: &[u8],
        previous: Option<&[u8]>,
        previous_until: Option<i64>,
    ) -> StoreResult<()>;

    /// With its deliveries.
    async fn delete(&self, id: &WebhookId) -> StoreResult<()>;

    /// Per endpoint of `project`: attempts that succeeded and failed since
    /// `since`, the last attempt, and the latest attempted delivery's status.
    async fn stats(
        &self,
        project: &ProjectId,
        since: i64,
    ) -> StoreResult<Vec<(WebhookId, WebhookStats)>>;

    /// `org`'s endpoints disabled because their deliveries kept failing.
    async fn failing(&self, org: &OrganisationId) -> StoreResult<Vec<FailingEndpoint>>;
}

/// A row of `Webhooks::stats`, as both backends select it.
#[derive(sqlx::FromRow)]
pub(super) struct StatsRow {
    id: WebhookId,
    succeeded: i64,
    failed: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    last: Option<i64>,
    last_status: Option<portal_contract::webhooks::DeliveryStatus>,
}

impl StatsRow {
    pub(super) fn into_stats(self) -> (WebhookId, WebhookStats) {
        (
            self.id,
            WebhookStats {
                succeeded_attempts: self.succeeded as u32,
                failed_attempts: self.failed as u32,
                last_delivery_at: self.last,
                last_status: self.last_status,
            },
        )
    }
}
