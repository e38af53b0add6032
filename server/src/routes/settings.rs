//! The signed-in user's own settings, and the organisation's.

use axum::extract::State;
use axum::http::StatusCode;
use portal_contract::accounts::{
    OrganisationOut, OrganisationPatch, OrganisationUsage, PasswordChangeIn, PinChangeIn,
    ProfilePatch, UserOut,
};
use portal_contract::{ErrorBody, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::services::{quotas, settings};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_profile))
        .routes(routes!(change_password))
        .routes(routes!(change_pin))
        .routes(routes!(update_organisation))
        .routes(routes!(organisation_usage))
}

/// How much of each organisation-wide quota the organisation uses.
#[utoipa::path(get, path = "/api/organisation/usage", tag = "settings",
    responses((status = 200, body = OrganisationUsage), (status = 401, body = ErrorBody)))]
async fn organisation_usage(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<OrganisationUsage>> {
    Ok(Json(quotas::usage(&state, &current.org.id).await?))
}

/// Change the signed-in user's name.
#[utoipa::path(patch, path = "/api/me", tag = "settings", request_body = ProfilePatch,
    responses((status = 200, body = UserOut), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_profile(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<ProfilePatch>,
) -> ApiResult<Json<UserOut>> {
    Ok(Json(
        settings::update_profile(&state, current, input).await?,
    ))
}

/// Change the password; needs the current one. Other sessions end.
#[utoipa::path(post, path = "/api/me/password", tag = "settings", request_body = PasswordChangeIn,
    responses((status = 204, description = "Changed"), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Too many password checks at once; see Retry-After")))]
async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<PasswordChangeIn>,
) -> ApiResult<StatusCode> {
    settings::change_password(&state, &current, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change the security PIN; needs the password.
#[utoipa::path(post, path = "/api/me/pin", tag = "settings", request_body = PinChangeIn,
    responses((status = 204, description = "Changed"), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Too many password checks at once; see Retry-After")))]
async fn change_pin(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<PinChangeIn>,
) -> ApiResult<StatusCode> {
    settings::change_pin(&state, &current, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rename the organisation (superadmins).
#[utoipa::path(patch, path = "/api/organisation", tag = "settings", request_body = OrganisationPatch,
    responses((status = 200, body = OrganisationOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_organisation(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<OrganisationPatch>,
) -> ApiResult<Json<OrganisationOut>> {
    current.require(Permission::ManageOrganisation)?;
    Ok(Json(
        settings::update_organisation(&state, current, input).await?,
    ))
}
