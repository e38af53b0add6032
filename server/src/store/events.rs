//! Events, written with one delivery per endpoint that wants them.

use async_trait::async_trait;
use portal_contract::ids::{EventId, OrganisationId, ProjectId, WebhookId};

use super::StoreResult;
use super::delivery_log::Delivery;

/// Where an event goes.
#[derive(Debug, Clone)]
pub enum Audience {
    /// Every endpoint of the organisation that wants the type (member events).
    Organisation,
    /// The project's endpoints that want it.
    Project(ProjectId),
    /// One endpoint, whatever it subscribes to (a test event).
    Endpoint {
        project: ProjectId,
        webhook: WebhookId,
    },
}

/// An event to write, with the exact body that is signed and sent.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
    pub organisation_id: OrganisationId,
    pub audience: Audience,
    pub event_type: String,
    pub body: String,
    pub created_at: i64,
}

impl NewEvent {
    /// The project, when the audience is one.
    pub fn project(&self) -> Option<&ProjectId> {
        match &self.audience {
            Audience::Organisation => None,
            Audience::Project(p) | Audience::Endpoint { project: p, .. } => Some(p),
        }
    }

    /// The one endpoint, for a test event.
    pub fn only(&self) -> Option<&WebhookId> {
        match &self.audience {
            Audience::Endpoint { webhook, .. } => Some(webhook),
            _ => None,
        }
    }
}

#[async_trait]
pub trait Events: Send + Sync {
    /// Writes the event and its deliveries; returns how many deliveries.
    /// An event no endpoint wants is not kept.
    async fn publish(&self, event: &NewEvent) -> StoreResult<u64>;

    /// Writes a test event (its audience one endpoint) and returns its
    /// one delivery.
    async fn publish_test(&self, event: &NewEvent) -> StoreResult<Delivery>;
}
