//! Publishing an event: written with its deliveries inside the caller's
//! transaction, so an event exists exactly when the change that caused it
//! does. After committing, the caller wakes the delivery worker.

use serde_json::{Value, json};
use sqlx::SqliteConnection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::crypto;
use crate::db;

pub struct Published {
    pub id: String,
    pub deliveries: u64,
}

/// Where an event goes.
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// Every endpoint of the organisation that wants the type (member events).
    Organisation,
    /// The project's endpoints that want it.
    Project(&'a str),
    /// One endpoint, whatever it subscribes to (a test event).
    Endpoint { project: &'a str, webhook: &'a str },
}

/// The body that is signed and sent: `{type, timestamp, data}`, the shape
/// the Standard Webhooks specification recommends.
pub fn body(event_type: &str, now: i64, data: &Value) -> String {
    let timestamp = OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    json!({ "type": event_type, "timestamp": timestamp, "data": data }).to_string()
}

pub async fn publish(
    tx: &mut SqliteConnection,
    org: &str,
    audience: Audience<'_>,
    event_type: &str,
    data: &Value,
    now: i64,
) -> sqlx::Result<Published> {
    let id = crypto::new_id("msg_");
    let (project, only) = match audience {
        Audience::Organisation => (None, None),
        Audience::Project(p) => (Some(p), None),
        Audience::Endpoint { project, webhook } => (Some(project), Some(webhook)),
    };
    let deliveries = db::webhooks::insert_event(
        tx,
        &id,
        org,
        project,
        only,
        event_type,
        &body(event_type, now, data),
        now,
    )
    .await?;
    Ok(Published { id, deliveries })
}

/// A realistic payload for a test event of `event_type`.
pub fn sample(event_type: &str, project_id: &str) -> Value {
    let credential = json!({
        "id": "cred_samplesamplesample1",
        "project_id": project_id,
        "description": "Checkout backend",
        "scopes": ["read", "write"],
    });
    match event_type {
        "credential.created" | "credential.revoked" => json!({ "credential": credential }),
        "credential.rolled" => {
            json!({ "credential": credential, "previous_secret_expires_at": "2026-01-01T12:00:00Z" })
        }
        "project.updated" => {
            json!({ "project": { "id": project_id, "name": "Checkout", "environment": "sandbox" } })
        }
        "member.joined" | "member.removed" => json!({
            "member": { "id": "usr_samplesamplesample1", "email": "grace@example.com", "role": "developer" }
        }),
        _ => {
            json!({ "message": "This is a test event from the Partner Portal.", "project_id": project_id })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_type_time_and_data() {
        let b: Value =
            serde_json::from_str(&body("invoice.paid", 1_800_000_000, &json!({"a": 1}))).unwrap();
        assert_eq!(b["type"], "invoice.paid");
        assert_eq!(b["timestamp"], "2027-01-15T08:00:00Z");
        assert_eq!(b["data"]["a"], 1);
    }
}
