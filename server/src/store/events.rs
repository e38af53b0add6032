//! Events, written with one delivery per endpoint that wants them.

use portal_contract::ids::{EndpointId, EventId, OrganisationId, ProjectId};

use super::{Exec, StoreResult, Timestamp, sql};

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
        webhook: EndpointId,
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

    /// What it takes to keep: its body's bytes (`organisations`'
    /// `stored_event_bytes` adds them up).
    pub fn size(&self) -> i64 {
        i64::try_from(self.body.len()).unwrap_or(i64::MAX)
    }

    /// The one endpoint, for a test event.
    pub fn only(&self) -> Option<&EndpointId> {
        match &self.audience {
            Audience::Endpoint { webhook, .. } => Some(webhook),
            _ => None,
        }
    }
}

/// Writes the event (its deliveries are `insert_deliveries`').
pub async fn insert(db: impl Exec<'_>, event: &NewEvent) -> StoreResult<()> {
    sql(
        "INSERT INTO events (id, organisation_id, project_id, type, body, size, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&event.id)
    .bind(&event.organisation_id)
    .bind(event.project())
    .bind(&event.event_type)
    .bind(&event.body)
    .bind(event.size())
    .bind(Timestamp(event.created_at))
    .execute(db)
    .await?;
    Ok(())
}

/// Writes one delivery of the event per enabled endpoint of its audience
/// that subscribes to its type (a test event's one endpoint whatever it
/// subscribes to: the user asked for this one). Returns how many.
pub async fn insert_deliveries(db: impl Exec<'_>, event: &NewEvent) -> StoreResult<u64> {
    let mut c = db.conn();
    // The type is found as a word of the list, not with LIKE: `_` in a type
    // is not a wildcard.
    let listed = c.dialect().pick(
        "instr(' ' || w.event_types || ' ', ' ' || $2 || ' ') > 0",
        "strpos(' ' || w.event_types || ' ', ' ' || $2 || ' ') > 0",
    );
    // The delivery id is derived from the event's and the endpoint's, so it
    // needs no round trip per endpoint, and sorts with its event.
    let text = format!(
        "INSERT INTO deliveries (id, event_id, webhook_id, event_type, next_attempt_at, created_at) \
         SELECT 'dlv_' || substr($1, 5) || substr(w.id, 4), $1, w.id, $2, $3, $3 FROM webhooks w \
         WHERE w.organisation_id = $4 AND w.enabled \
           AND ($5 IS NULL OR w.project_id = $5) AND ($6 IS NULL OR w.id = $6) \
           AND ($6 IS NOT NULL OR w.event_types = '' OR {listed})"
    );
    sql(&text)
        .bind(&event.id)
        .bind(&event.event_type)
        .bind(Timestamp(event.created_at))
        .bind(&event.organisation_id)
        .bind(event.project())
        .bind(event.only())
        .execute(&mut c)
        .await
}

pub async fn delete(db: impl Exec<'_>, id: &EventId) -> StoreResult<()> {
    sql("DELETE FROM events WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
