//! Projects: list, create, read, rename or describe, delete.

use portal_contract::ids::ProjectId;
use portal_contract::projects::{
    ProjectDeleteIn, ProjectIn, ProjectList, ProjectOut, ProjectPatch,
};

use super::events::{credential_revoked, project_updated};
use super::finders::find;
use super::quotas::{self, Holder};
use super::work::Work;
use crate::auth::CurrentUser;
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::step_up::verify_pin;
use crate::store::events::Audience;
use crate::store::projects::{self, Project};
use crate::store::{credentials, organisations};

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

pub async fn list(state: &AppState, current: &CurrentUser) -> ApiResult<ProjectList> {
    let projects = projects::list(&state.store, &current.org.id).await?;
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
    // Counted under the organisation's lock: two requests can't both take
    // the last place.
    let mut work = Work::begin(state).await?;
    organisations::lock(work.tx(), &current.org.id).await?;
    quotas::within(
        Holder::Organisation,
        projects::count(work.tx(), &current.org.id).await?,
        state.config.projects_per_organisation,
        "projects",
        "Delete one you no longer use first.",
    )?;
    projects::insert(work.tx(), &project).await?;
    work.commit().await?;
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
    let mut project: Project = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    if let Some(name) = input.name {
        project.name = name.trim().to_owned();
    }
    if let Some(description) = input.description {
        project.description = description.trim().to_owned();
    }
    let event = project_updated(current, &project, state.now());
    let mut work = Work::begin(state).await?;
    projects::update(work.tx(), &project.id, &project.name, &project.description).await?;
    work.publish(&event).await?;
    work.commit().await?;
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
    let project: Project = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    verify_pin(state, &current.user, &input.pin).await?;
    let now = state.now();
    let mut work = Work::begin(state).await?;
    // Under the project's lock, so a credential created meanwhile can't go
    // unannounced; written before the delete, for the organisation's
    // endpoints (the project's own go with it).
    projects::lock(work.tx(), &project.id).await?;
    let working = credentials::working_in_project(work.tx(), &project.id).await?;
    for credential in &working {
        let event = credential_revoked(current, credential, Audience::Organisation, now);
        work.publish(&event).await?;
    }
    // Its events go with it, and the space they took.
    let freed = projects::stored_event_bytes(work.tx(), &project.id).await?;
    projects::delete(work.tx(), &project.id).await?;
    organisations::add_stored_event_bytes(work.tx(), &project.organisation_id, -freed).await?;
    work.commit().await?;
    let count = working.len();
    tracing::info!(project = %project.id, user = %current.user.id, credentials_revoked = count, "project deleted");
    Ok(())
}
