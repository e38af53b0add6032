//! Projects: list, create, read, rename or describe, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_contract::ids::ProjectId;
use portal_contract::projects::{
    ProjectDeleteIn, ProjectIn, ProjectList, ProjectOut, ProjectPatch,
};
use portal_contract::{ErrorBody, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::services::finders::find;
use crate::services::projects;
use crate::state::AppState;
use crate::store::projects::Project;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, delete_project))
}

/// The organisation's projects, by name.
#[utoipa::path(get, path = "/api/projects", tag = "projects",
    responses((status = 200, body = ProjectList), (status = 401, body = ErrorBody)))]
async fn list_projects(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<ProjectList>> {
    current.require(Permission::View)?;
    Ok(Json(projects::list(&state, &current).await?))
}

/// Create a project in an environment.
#[utoipa::path(post, path = "/api/projects", tag = "projects", request_body = ProjectIn,
    responses((status = 201, body = ProjectOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "Invalid, the name is taken, or the organisation has as many projects as it may (quota_exceeded)")))]
async fn create_project(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<ProjectIn>,
) -> ApiResult<(StatusCode, Json<ProjectOut>)> {
    current.require(Permission::ManageProjects)?;
    let project = projects::create(&state, &current, input).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

/// One project.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 200, body = ProjectOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_project(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<ProjectId>,
) -> ApiResult<Json<ProjectOut>> {
    current.require(Permission::View)?;
    let project: Project = find(&state, &current, &id).await?;
    Ok(Json(projects::project_out(&project)))
}

/// Rename or describe a project.
#[utoipa::path(patch, path = "/api/projects/{id}", tag = "projects", request_body = ProjectPatch,
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 200, body = ProjectOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_project(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<ProjectId>,
    Json(input): Json<ProjectPatch>,
) -> ApiResult<Json<ProjectOut>> {
    current.require(Permission::ManageProjects)?;
    Ok(Json(projects::update(&state, &current, &id, input).await?))
}

/// Delete a project with its credentials and webhook endpoints; needs the
/// PIN. Publishes `credential.revoked` for each working credential, to the
/// organisation's endpoints in other projects that want it.
#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects",
    request_body = ProjectDeleteIn,
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not allowed, or a wrong PIN (`invalid_pin`)"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "The PIN is locked (`pin_locked`)")))]
async fn delete_project(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<ProjectId>,
    Json(input): Json<ProjectDeleteIn>,
) -> ApiResult<StatusCode> {
    current.require(Permission::ManageProjects)?;
    projects::delete(&state, &current, &id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}
