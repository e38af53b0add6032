//! Projects: list, create, read, rename or describe, delete.

use portal_contract::ids::ProjectId;
use portal_contract::projects::{
    ProjectDeleteIn, ProjectIn, ProjectList, ProjectOut, ProjectPatch,
};
use portal_contract::webhooks::PortalEvent;

use super::credentials;
use crate::auth::CurrentUser;
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::step_up::verify_pin;
use crate::store::credentials::Credential;
use crate::store::events::Audience;
use crate::store::projects::Project;
use crate::webhooks::events::portal_event;

pub fn project_out(p: &Project) -> ProjectOut {
    ProjectOut {
        id: p.id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        environment: p.environment,
        created_at: p.created_at,
        credential_count: p.credential_count as u32,
        webhook_count: p.webhook_count as u32,
    }
}

/// One of the caller's organisation's projects, or 404.
pub async fn find(state: &AppState, current: &CurrentUser, id: &ProjectId) -> ApiResult<Project> {
    state
        .store
        .projects()
        .get(&current.org.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such project in your organisation."))
}

pub async fn list(state: &AppState, current: &CurrentUser) -> ApiResult<ProjectList> {
    let projects = state.store.projects().list(&current.org.id).await?;
    Ok(ProjectList {
        items: projects.iter().map(project_out).collect(),
    })
}

/// A new project; its name is unique in the organisation, whatever its case.
pub async fn create(
    state: &AppState,
    current: &CurrentUser,
    input: ProjectIn,
) -> ApiResult<ProjectOut> {
    input.validate().map_err(ApiError::validation)?;
    let project = Project {
        id: ProjectId(crypto::new_id(ProjectId::PREFIX)),
        organisation_id: current.org.id.clone(),
        name: input.name.trim().to_owned(),
        description: input.description.trim().to_owned(),
        environment: input.environment,
        created_at: state.now(),
        credential_count: 0,
        webhook_count: 0,
    };
    state.store.projects().insert(&project).await?;
    tracing::info!(project = %project.id, user = %current.user.id, "project created");
    Ok(project_out(&project))
}

/// Renames or describes a project, and tells its endpoints.
pub async fn update(
    state: &AppState,
    current: &CurrentUser,
    id: &ProjectId,
    input: ProjectPatch,
) -> ApiResult<ProjectOut> {
    let mut project = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    if let Some(name) = input.name {
        project.name = name.trim().to_owned();
    }
    if let Some(description) = input.description {
        project.description = description.trim().to_owned();
    }
    let data = serde_json::json!({
        "project": {
            "id": project.id, "name": project.name, "description": project.description,
            "environment": project.environment.as_str(),
        },
        "actor": { "id": current.user.id, "email": current.user.email },
    });
    let event = portal_event(
        &current.org.id,
        Audience::Project(project.id.clone()),
        PortalEvent::ProjectUpdated,
        &data,
        state.now(),
    );
    state
        .store
        .projects()
        .update(&project.id, &project.name, &project.description, &event)
        .await?;
    state.deliverer.wake();
    Ok(project_out(&project))
}

/// Deletes a project with its credentials and endpoints, after the PIN (it
/// revokes credentials). Each working credential's `credential.revoked` goes
/// to the organisation's other endpoints that want it, since the project's
/// own are deleted with it.
pub async fn delete(
    state: &AppState,
    current: &CurrentUser,
    id: &ProjectId,
    input: ProjectDeleteIn,
) -> ApiResult<()> {
    let project = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    verify_pin(state, &current.user, &input.pin).await?;
    let now = state.now();
    let revoked = |credential: &Credential| {
        credentials::revoked_event(current, credential, Audience::Organisation, now)
    };
    let count = state.store.projects().delete(&project.id, &revoked).await?;
    if count > 0 {
        state.deliverer.wake();
    }
    tracing::info!(project = %project.id, user = %current.user.id, credentials_revoked = count, "project deleted");
    Ok(())
}
