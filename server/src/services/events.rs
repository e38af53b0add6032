//! The portal's own events: what each change tells the organisation's
//! endpoints, built from the contract's typed payloads (`events`), and the
//! sample each type's test event carries, built from the same types.

use portal_contract::events::{
    Actor, CredentialEvent, CredentialFacts, MemberEvent, MemberFacts, ProjectEvent, ProjectFacts,
    TestEvent,
};
use portal_contract::ids::{CredentialId, OrganisationId, ProjectId, UserId};
use portal_contract::projects::Environment;
use portal_contract::webhooks::PortalEvent;
use portal_contract::{Role, credentials::Scope};
use serde_json::Value;

use crate::auth::CurrentUser;
use crate::store::credentials::Credential;
use crate::store::events::{Audience, NewEvent};
use crate::store::projects::Project;
use crate::store::users::User;
use crate::webhooks::events::new_event;

fn actor(current: &CurrentUser) -> Actor {
    Actor {
        id: current.user.id.clone(),
        email: current.user.email.clone(),
    }
}

fn credential_facts(c: &Credential) -> CredentialFacts {
    CredentialFacts {
        id: c.id.clone(),
        project_id: c.project_id.clone(),
        description: c.description.clone(),
        scopes: c.scopes(),
        expires_at: c.expires_at,
    }
}

fn portal_event(
    org: &OrganisationId,
    audience: Audience,
    event: PortalEvent,
    data: &impl serde::Serialize,
    now: i64,
) -> NewEvent {
    new_event(org, audience, event.name(), data, now)
}

/// `credential.created`, to the credential's project's endpoints.
pub fn credential_created(current: &CurrentUser, credential: &Credential, now: i64) -> NewEvent {
    let data = CredentialEvent {
        credential: credential_facts(credential),
        actor: actor(current),
        previous_secret_expires_at: None,
    };
    let audience = Audience::Project(credential.project_id.clone());
    portal_event(
        &current.org.id,
        audience,
        PortalEvent::CredentialCreated,
        &data,
        now,
    )
}

/// `credential.rolled`: the previous secret works until `previous_until`.
pub fn credential_rolled(
    current: &CurrentUser,
    credential: &Credential,
    previous_until: i64,
    now: i64,
) -> NewEvent {
    let data = CredentialEvent {
        credential: credential_facts(credential),
        actor: actor(current),
        previous_secret_expires_at: Some(previous_until),
    };
    let audience = Audience::Project(credential.project_id.clone());
    portal_event(
        &current.org.id,
        audience,
        PortalEvent::CredentialRolled,
        &data,
        now,
    )
}

/// `credential.revoked` for `credential`, revoked now by `current`.
pub fn credential_revoked(
    current: &CurrentUser,
    credential: &Credential,
    audience: Audience,
    now: i64,
) -> NewEvent {
    let data = CredentialEvent {
        credential: credential_facts(credential),
        actor: actor(current),
        previous_secret_expires_at: None,
    };
    portal_event(
        &current.org.id,
        audience,
        PortalEvent::CredentialRevoked,
        &data,
        now,
    )
}

/// `project.updated`, to the project's endpoints.
pub fn project_updated(current: &CurrentUser, project: &Project, now: i64) -> NewEvent {
    let data = ProjectEvent {
        project: ProjectFacts {
            id: project.id.clone(),
            name: project.name.clone(),
            description: project.description.clone(),
            environment: project.environment,
        },
        actor: actor(current),
    };
    let audience = Audience::Project(project.id.clone());
    portal_event(
        &current.org.id,
        audience,
        PortalEvent::ProjectUpdated,
        &data,
        now,
    )
}

/// `member.joined` or `member.removed` (`event`), to the organisation's
/// endpoints; the member with `role`.
pub fn member_event(event: PortalEvent, member: &User, role: Role, now: i64) -> NewEvent {
    let data = MemberEvent {
        member: MemberFacts {
            id: member.id.clone(),
            email: member.email.clone(),
            role,
        },
    };
    portal_event(
        &member.organisation_id,
        Audience::Organisation,
        event,
        &data,
        now,
    )
}

/// What a test event of `event_type` carries: a realistic payload of the
/// portal's type, or a message for a partner's own type.
pub fn sample(event_type: &str, project_id: &ProjectId) -> Value {
    let actor = Actor {
        id: UserId("usr_samplesamplesample2".into()),
        email: "ada@example.com".into(),
    };
    let credential = || CredentialFacts {
        id: CredentialId("cred_samplesamplesample1".into()),
        project_id: project_id.clone(),
        description: "Checkout backend".into(),
        scopes: vec![Scope::Read, Scope::Write],
        expires_at: None,
    };
    let credential_event = |previous_secret_expires_at| CredentialEvent {
        credential: credential(),
        actor: actor.clone(),
        previous_secret_expires_at,
    };
    let data = match PortalEvent::parse(event_type) {
        Some(PortalEvent::CredentialCreated | PortalEvent::CredentialRevoked) => {
            serde_json::to_value(credential_event(None))
        }
        Some(PortalEvent::CredentialRolled) => {
            serde_json::to_value(credential_event(Some(1_767_268_800)))
        }
        Some(PortalEvent::ProjectUpdated) => serde_json::to_value(ProjectEvent {
            project: ProjectFacts {
                id: project_id.clone(),
                name: "Checkout".into(),
                description: "Payments for the web shop".into(),
                environment: Environment::Sandbox,
            },
            actor: actor.clone(),
        }),
        Some(PortalEvent::MemberJoined | PortalEvent::MemberRemoved) => {
            serde_json::to_value(MemberEvent {
                member: MemberFacts {
                    id: UserId("usr_samplesamplesample1".into()),
                    email: "grace@example.com".into(),
                    role: Role::Developer,
                },
            })
        }
        Some(PortalEvent::WebhookTest) | None => serde_json::to_value(TestEvent {
            message: "This is a test event from the Partner Portal.".into(),
            project_id: project_id.clone(),
        }),
    };
    data.expect("payloads serialise")
}
