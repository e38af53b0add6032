//! The signed-in user's own settings, and the organisation's.

use axum::extract::State;
use axum::http::StatusCode;
use portal_contract::accounts::{
    OrganisationOut, OrganisationPatch, PasswordChangeIn, PinChangeIn, ProfilePatch, UserOut,
};
use portal_contract::{ErrorBody, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::crypto;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::limits;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_profile))
        .routes(routes!(change_password))
        .routes(routes!(change_pin))
        .routes(routes!(update_organisation))
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
    input.validate().map_err(ApiError::validation)?;
    let name = input.full_name.trim();
    db::users::set_full_name(&state.db, &current.user.id, name).await?;
    let mut user = current.user;
    user.full_name = name.to_owned();
    Ok(Json(user.to_out()))
}

/// Checks the signed-in user's password (rate-limited per user), or answers
/// 422 on `field`.
async fn check_password(
    state: &AppState,
    current: &CurrentUser,
    password: &str,
    field: &str,
) -> ApiResult<()> {
    limits::check(&state.limits.password_by_user, current.user.id.clone())?;
    let ok = crypto::verify_secret(password.to_owned(), current.user.password_hash.clone()).await?;
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(field, "That's not your current password."))
    }
}

/// Change the password; needs the current one. Other sessions end.
#[utoipa::path(post, path = "/api/me/password", tag = "settings", request_body = PasswordChangeIn,
    responses((status = 204, description = "Changed"), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<PasswordChangeIn>,
) -> ApiResult<StatusCode> {
    input.validate().map_err(ApiError::validation)?;
    check_password(
        &state,
        &current,
        &input.current_password,
        "current_password",
    )
    .await?;
    let hash = crypto::hash_secret(input.new_password).await?;
    let mut tx = state.db.begin().await?;
    db::users::set_password_hash(&mut *tx, &current.user.id, &hash).await?;
    db::sessions::delete_others(&mut *tx, &current.user.id, &current.session_hash).await?;
    tx.commit().await?;
    tracing::info!(user = %current.user.id, "password changed; other sessions ended");
    Ok(StatusCode::NO_CONTENT)
}

/// Change the security PIN; needs the password.
#[utoipa::path(post, path = "/api/me/pin", tag = "settings", request_body = PinChangeIn,
    responses((status = 204, description = "Changed"), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn change_pin(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<PinChangeIn>,
) -> ApiResult<StatusCode> {
    input.validate().map_err(ApiError::validation)?;
    check_password(&state, &current, &input.password, "password").await?;
    let hash = crypto::hash_secret(input.new_pin).await?;
    db::users::set_pin_hash(&state.db, &current.user.id, &hash).await?;
    tracing::info!(user = %current.user.id, "security PIN changed");
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
    input.validate().map_err(ApiError::validation)?;
    let name = input.name.trim();
    db::organisations::rename(&state.db, &current.org.id, name).await?;
    let mut org = current.org;
    org.name = name.to_owned();
    Ok(Json(org.to_out()))
}
