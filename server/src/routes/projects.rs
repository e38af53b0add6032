//! Projects: list, create, read, rename or describe, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_contract::projects::{ProjectIn, ProjectList, ProjectOut, ProjectPatch};
use portal_contract::{ErrorBody, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::crypto;
use crate::db::{self, projects::Project};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::webhooks::events::{self, Audience};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, delete_project))
}

/// A taken name answers on the `name` field, like any other validation error.
fn name_taken(e: sqlx::Error) -> ApiError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => ApiError::field(
            "name",
            "Your organisation already has a project with this name.",
        ),
        _ => e.into(),
    }
}

async fn own_project(state: &AppState, current: &CurrentUser, id: &str) -> ApiResult<Project> {
    db::projects::get(&state.db, &current.org.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such project in your organisation."))
}

/// The organisation's projects, by name.
#[utoipa::path(get, path = "/api/projects", tag = "projects",
    responses((status = 200, body = ProjectList), (status = 401, body = ErrorBody)))]
async fn list_projects(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<ProjectList>> {
    current.require(Permission::View)?;
    let projects = db::projects::list(&state.db, &current.org.id).await?;
    Ok(Json(ProjectList {
        items: projects.iter().map(Project::to_out).collect(),
    }))
}

/// Create a project in an environment.
#[utoipa::path(post, path = "/api/projects", tag = "projects", request_body = ProjectIn,
    responses((status = 201, body = ProjectOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "Invalid, or the name is taken")))]
async fn create_project(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<ProjectIn>,
) -> ApiResult<(StatusCode, Json<ProjectOut>)> {
    current.require(Permission::ManageProjects)?;
    input.validate().map_err(ApiError::validation)?;
    let project = Project {
        id: crypto::new_id("prj_"),
        organisation_id: current.org.id.clone(),
        name: input.name.trim().to_owned(),
        description: input.description.trim().to_owned(),
        environment: input.environment.as_str().into(),
        created_at: state.now(),
        credential_count: 0,
        webhook_count: 0,
    };
    db::projects::insert(&state.db, &project)
        .await
        .map_err(name_taken)?;
    tracing::info!(project = %project.id, user = %current.user.id, "project created");
    Ok((StatusCode::CREATED, Json(project.to_out())))
}

/// One project.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 200, body = ProjectOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_project(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ProjectOut>> {
    current.require(Permission::View)?;
    Ok(Json(own_project(&state, &current, &id).await?.to_out()))
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
    Path(id): Path<String>,
    Json(input): Json<ProjectPatch>,
) -> ApiResult<Json<ProjectOut>> {
    current.require(Permission::ManageProjects)?;
    let mut project = own_project(&state, &current, &id).await?;
    input.validate().map_err(ApiError::validation)?;
    if let Some(name) = input.name {
        project.name = name.trim().to_owned();
    }
    if let Some(description) = input.description {
        project.description = description.trim().to_owned();
    }
    let mut tx = state.db.begin().await?;
    db::projects::update(&mut *tx, &project.id, &project.name, &project.description)
        .await
        .map_err(name_taken)?;
    let data = serde_json::json!({
        "project": {
            "id": project.id, "name": project.name, "description": project.description,
            "environment": project.environment,
        },
        "actor": { "id": current.user.id, "email": current.user.email },
    });
    events::publish(
        &mut tx,
        &current.org.id,
        Audience::Project(&project.id),
        "project.updated",
        &data,
        state.now(),
    )
    .await?;
    tx.commit().await?;
    state.deliverer.wake();
    Ok(Json(project.to_out()))
}

/// Delete a project.
#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_project(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    current.require(Permission::ManageProjects)?;
    let project = own_project(&state, &current, &id).await?;
    db::projects::delete(&state.db, &project.id).await?;
    tracing::info!(project = %project.id, user = %current.user.id, "project deleted");
    Ok(StatusCode::NO_CONTENT)
}
