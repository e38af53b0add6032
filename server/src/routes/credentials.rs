//! API credentials: list, create, roll, revoke; and the overview the
//! quick-start checklist reads.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_contract::credentials::{
    CredentialIn, CredentialList, CredentialOut, CredentialRevokeIn, CredentialRollIn,
    CredentialSecretOut, OverviewOut,
};
use portal_contract::ids::{CredentialId, ProjectId};
use portal_contract::{ErrorBody, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::services::credentials;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials, create_credential))
        .routes(routes!(roll_credential))
        .routes(routes!(revoke_credential))
        .routes(routes!(overview))
}

/// A project's credentials, newest first; never their secrets.
#[utoipa::path(get, path = "/api/projects/{id}/credentials", tag = "credentials",
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 200, body = CredentialList), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_credentials(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<ProjectId>,
) -> ApiResult<Json<CredentialList>> {
    current.require(Permission::View)?;
    Ok(Json(credentials::list(&state, &current, &id).await?))
}

/// Create a credential. The answer is the only one that carries its secret.
#[utoipa::path(post, path = "/api/projects/{id}/credentials", tag = "credentials",
    request_body = CredentialIn,
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 201, body = CredentialSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Role, wrong PIN, or organisation not approved"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "PIN locked")))]
async fn create_credential(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<ProjectId>,
    Json(input): Json<CredentialIn>,
) -> ApiResult<(StatusCode, Json<CredentialSecretOut>)> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let created = credentials::create(&state, &current, &id, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Roll a credential's secret: a new one now, the old one until the overlap ends.
#[utoipa::path(post, path = "/api/credentials/{id}/roll", tag = "credentials",
    request_body = CredentialRollIn,
    params(("id" = String, Path, description = "The credential's id (cred_…)")),
    responses((status = 200, body = CredentialSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Revoked or expired"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn roll_credential(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<CredentialId>,
    Json(input): Json<CredentialRollIn>,
) -> ApiResult<Json<CredentialSecretOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    Ok(Json(credentials::roll(&state, &current, &id, input).await?))
}

/// Revoke a credential: no new tokens, and tokens already issued are refused.
#[utoipa::path(delete, path = "/api/credentials/{id}", tag = "credentials",
    request_body = CredentialRevokeIn,
    params(("id" = String, Path, description = "The credential's id (cred_…)")),
    responses((status = 200, body = CredentialOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Revoked already"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn revoke_credential(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<CredentialId>,
    Json(input): Json<CredentialRevokeIn>,
) -> ApiResult<Json<CredentialOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    Ok(Json(
        credentials::revoke(&state, &current, &id, input).await?,
    ))
}

/// What the overview's quick-start checklist ticks from.
#[utoipa::path(get, path = "/api/overview", tag = "credentials",
    responses((status = 200, body = OverviewOut), (status = 401, body = ErrorBody)))]
async fn overview(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<OverviewOut>> {
    current.require(Permission::View)?;
    Ok(Json(credentials::overview(&state, &current).await?))
}
