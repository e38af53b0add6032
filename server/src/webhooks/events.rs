//! Events: their ids, the body that is signed and sent, and test payloads.
//! The store writes an event with its deliveries in the transaction of the
//! change that caused it (`store::events`).

use portal_contract::ids::{EventId, OrganisationId};
use portal_contract::webhooks::PortalEvent;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::crypto;
use crate::store::events::{Audience, NewEvent};

/// The body that is signed and sent: `{type, timestamp, data}`, the shape
/// the Standard Webhooks specification recommends.
pub fn body(event_type: &str, now: i64, data: &Value) -> String {
    let timestamp = OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    json!({ "type": event_type, "timestamp": timestamp, "data": data }).to_string()
}

/// A new event of any type (a partner's own, through `POST /v1/events`).
pub fn new_event(
    org: &OrganisationId,
    audience: Audience,
    event_type: &str,
    data: &Value,
    now: i64,
) -> NewEvent {
    NewEvent {
        id: EventId(new_event_id()),
        organisation_id: org.clone(),
        audience,
        event_type: event_type.to_owned(),
        body: body(event_type, now, data),
        created_at: now,
    }
}

/// A new event the portal sends about one of its own changes.
pub fn portal_event(
    org: &OrganisationId,
    audience: Audience,
    event: PortalEvent,
    data: &Value,
    now: i64,
) -> NewEvent {
    new_event(org, audience, event.name(), data, now)
}

/// The characters of ids, in byte order: an id's time prefix sorts as its time.
const SORTED_ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
/// Characters of the time prefix (5 bits each: milliseconds for a thousand years).
const TIME_CHARS: usize = 9;

/// A new event id: `msg_` and 20 characters of the alphabet of other ids, as
/// `crypto::new_id` makes them; but the first 9 are the time in milliseconds,
/// in an order that sorts as the time, and 11 random (55 bits). Events,
/// their deliveries (whose ids begin with the event's) and the deliveries'
/// attempts are kept in indexes by these ids: new rows go next to the last
/// ones instead of on a random page each, so each transaction writes fewer
/// pages. (Only a matter of speed: a clock set back gives ids that sort
/// before older ones, and that is all.)
pub fn new_event_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut id = String::with_capacity(4 + 20);
    id.push_str("msg_");
    for i in (0..TIME_CHARS).rev() {
        id.push(SORTED_ALPHABET[((millis >> (5 * i)) & 31) as usize] as char);
    }
    for b in crypto::random_bytes::<{ 20 - TIME_CHARS }>() {
        id.push(SORTED_ALPHABET[(b & 31) as usize] as char);
    }
    id
}

/// A realistic payload for a test event of `event_type`.
pub fn sample(event_type: &str, project_id: &str) -> Value {
    let credential = json!({
        "id": "cred_samplesamplesample1",
        "project_id": project_id,
        "description": "Checkout backend",
        "scopes": ["read", "write"],
    });
    match PortalEvent::parse(event_type) {
        Some(PortalEvent::CredentialCreated | PortalEvent::CredentialRevoked) => {
            json!({ "credential": credential })
        }
        Some(PortalEvent::CredentialRolled) => {
            json!({ "credential": credential, "previous_secret_expires_at": "2026-01-01T12:00:00Z" })
        }
        Some(PortalEvent::ProjectUpdated) => {
            json!({ "project": { "id": project_id, "name": "Checkout", "environment": "sandbox" } })
        }
        Some(PortalEvent::MemberJoined | PortalEvent::MemberRemoved) => json!({
            "member": { "id": "usr_samplesamplesample1", "email": "grace@example.com", "role": "developer" }
        }),
        Some(PortalEvent::WebhookTest) | None => {
            json!({ "message": "This is a test event from the Partner Portal.", "project_id": project_id })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_sort_by_time() {
        let first = new_event_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = new_event_id();
        assert!(first < second, "{first} then {second}");
        for id in [&first, &second] {
            assert_eq!(id.len(), 24);
            assert!(id.starts_with("msg_"));
            assert!(id[4..].bytes().all(|b| SORTED_ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn bodies_carry_type_time_and_data() {
        let b: Value =
            serde_json::from_str(&body("invoice.paid", 1_800_000_000, &json!({"a": 1}))).unwrap();
        assert_eq!(b["type"], "invoice.paid");
        assert_eq!(b["timestamp"], "2027-01-15T08:00:00Z");
        assert_eq!(b["data"]["a"], 1);
    }
}
