//! What the portal's own events say: the `data` of each type, typed. The
//! server sends these, and the catalogue's samples (what a test event of a
//! type carries) are built from the same types, so the two can't drift.

use serde::Serialize;

use crate::Role;
use crate::credentials::Scope;
use crate::ids::{CredentialId, ProjectId, UserId};
use crate::projects::Environment;

/// Who made a change: a member of the organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actor {
    pub id: UserId,
    pub email: String,
}

/// A credential's public facts (never a secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CredentialFacts {
    pub id: CredentialId,
    pub project_id: ProjectId,
    pub description: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<i64>,
}

/// `credential.created`, `credential.rolled` and `credential.revoked`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CredentialEvent {
    pub credential: CredentialFacts,
    pub actor: Actor,
    /// `credential.rolled`: until when the previous secret still works.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_expires_at: Option<i64>,
}

/// A project's facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectFacts {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub environment: Environment,
}

/// `project.updated`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectEvent {
    pub project: ProjectFacts,
    pub actor: Actor,
}

/// A member's facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberFacts {
    pub id: UserId,
    pub email: String,
    pub role: Role,
}

/// `member.joined` and `member.removed`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberEvent {
    pub member: MemberFacts,
}

/// `webhook.test`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestEvent {
    pub message: String,
    pub project_id: ProjectId,
}
