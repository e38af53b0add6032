//! The signed-in user's own settings, and the organisation's.

use portal_contract::Permission;
use portal_contract::accounts::{
    OrganisationOut, OrganisationPatch, PasswordChangeIn, PinChangeIn, ProfilePatch, UserOut,
};

use super::wire::{organisation_out, user_out};
use crate::auth::CurrentUser;
use crate::crypto::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::limits::Limit;
use crate::state::AppState;
use crate::store::{organisations, sessions, users};

pub async fn update_profile(
    state: &AppState,
    current: CurrentUser,
    input: ProfilePatch,
) -> ApiResult<UserOut> {
    input.validate().map_err(ApiError::validation)?;
    let name = input.full_name.trim();
    users::set_full_name(&state.store, &current.user.id, name).await?;
    let mut user = current.user;
    user.full_name = name.to_owned();
    Ok(user_out(&user))
}

/// Checks the signed-in user's password (rate-limited per user), or answers
/// 422 on `field`.
async fn check_password(
    state: &AppState,
    current: &CurrentUser,
    password: &str,
    field: &str,
) -> ApiResult<()> {
    state
        .limits
        .check(&[(Limit::PasswordByUser, &current.user.id.0)])
        .await?;
    let ok = crypto::verify_secret(
        &state.hash_gate,
        Caller::Known,
        password.to_owned(),
        current.user.password_hash.clone(),
    )
    .await?;
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(field, "That's not your current password."))
    }
}

/// A new password; the current one first. The user's other sessions end.
pub async fn change_password(
    state: &AppState,
    current: &CurrentUser,
    input: PasswordChangeIn,
) -> ApiResult<()> {
    input.validate().map_err(ApiError::validation)?;
    check_password(state, current, &input.current_password, "current_password").await?;
    let hash = crypto::hash_secret(&state.hash_gate, Caller::Known, input.new_password).await?;
    let mut tx = state.store.begin().await?;
    users::set_password_hash(&mut tx, &current.user.id, &hash).await?;
    sessions::delete_for_user(
        &mut tx,
        &current.user.id,
        Some(current.session_hash.as_slice()),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user = %current.user.id, "password changed; other sessions ended");
    Ok(())
}

/// A new security PIN; the password first.
pub async fn change_pin(
    state: &AppState,
    current: &CurrentUser,
    input: PinChangeIn,
) -> ApiResult<()> {
    input.validate().map_err(ApiError::validation)?;
    check_password(state, current, &input.password, "password").await?;
    let hash = crypto::hash_secret(&state.hash_gate, Caller::Known, input.new_pin).await?;
    users::set_pin_hash(&state.store, &current.user.id, &hash).await?;
    tracing::info!(user = %current.user.id, "security PIN changed");
    Ok(())
}

/// Renames the organisation (superadmins).
pub async fn update_organisation(
    state: &AppState,
    current: CurrentUser,
    input: OrganisationPatch,
) -> ApiResult<OrganisationOut> {
    current.require(Permission::ManageOrganisation)?;
    input.validate().map_err(ApiError::validation)?;
    let name = input.name.trim();
    organisations::rename(&state.store, &current.org.id, name).await?;
    let mut org = current.org;
    org.name = name.to_owned();
    Ok(organisation_out(&org))
}
