//! The team: the member list, role and status changes (PIN step-up), and
//! invitations (send, resend, revoke, look up, accept).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse};
use portal_contract::accounts::SessionOut;
use portal_contract::ids::{InvitationId, UserId};
use portal_contract::team::{
    InvitationAcceptIn, InvitationIn, InvitationList, InvitationLookupOut, InvitationOut,
    InvitationResendIn, MemberListQuery, MemberOut, MemberPage, MemberPatch,
};
use portal_contract::{ErrorBody, Permission};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::services::{invitations, members};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(update_member))
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(resend_invitation))
        .routes(routes!(revoke_invitation))
        .routes(routes!(lookup_invitation))
        .routes(routes!(accept_invitation))
}

/// The organisation's members: search, filter, sort, one page at a time.
#[utoipa::path(get, path = "/api/users", tag = "team", params(MemberListQuery),
    responses((status = 200, body = MemberPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_members(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<MemberListQuery>,
) -> ApiResult<Json<MemberPage>> {
    current.require(Permission::View)?;
    Ok(Json(members::list_members(&state, &current, query).await?))
}

/// Change a member's role, or deactivate / reactivate them. Needs the PIN.
#[utoipa::path(patch, path = "/api/users/{id}", tag = "team", request_body = MemberPatch,
    params(("id" = String, Path, description = "The member's id (usr_…)")),
    responses((status = 200, body = MemberOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Role may not, or wrong PIN"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Last superadmin, or yourself"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "PIN locked")))]
async fn update_member(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<UserId>,
    Json(input): Json<MemberPatch>,
) -> ApiResult<Json<MemberOut>> {
    current.require(Permission::ManageTeam)?;
    Ok(Json(
        members::update_member(&state, &current, &id, input).await?,
    ))
}

/// Every invitation of the organisation, newest first.
#[utoipa::path(get, path = "/api/invitations", tag = "team",
    responses((status = 200, body = InvitationList), (status = 401, body = ErrorBody)))]
async fn list_invitations(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<InvitationList>> {
    current.require(Permission::View)?;
    Ok(Json(invitations::list_invitations(&state, &current).await?))
}

/// Invite someone by email with a role; mails them the accept link.
#[utoipa::path(post, path = "/api/invitations", tag = "team", request_body = InvitationIn,
    responses((status = 201, body = InvitationOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not allowed, or a wrong PIN (`invalid_pin`)"),
        (status = 409, body = ErrorBody, description = "Already a member, or invited"),
        (status = 422, body = ErrorBody, description = "A bad address, or no PIN for an admin or superadmin"),
        (status = 429, body = ErrorBody, description = "Too many invitations (`rate_limited`), or the PIN is locked (`pin_locked`)")))]
async fn create_invitation(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<InvitationIn>,
) -> ApiResult<(StatusCode, Json<InvitationOut>)> {
    current.require(Permission::ManageTeam)?;
    let invitation = invitations::invite(&state, &current, input).await?;
    Ok((StatusCode::CREATED, Json(invitation)))
}

/// Send a new link: renews the expiry and kills the old link.
#[utoipa::path(post, path = "/api/invitations/{id}/resend", tag = "team",
    params(("id" = String, Path, description = "The invitation's id (inv_…)")),
    responses((status = 200, body = InvitationOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Accepted or revoked"),
        (status = 422, body = ErrorBody, description = "The PIN an admin's invitation needs is missing or wrong"),
        (status = 429, body = ErrorBody, description = "Too many invitations (`rate_limited`), or the PIN is locked (`pin_locked`)")),
    request_body = InvitationResendIn)]
async fn resend_invitation(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<InvitationId>,
    Json(input): Json<InvitationResendIn>,
) -> ApiResult<Json<InvitationOut>> {
    current.require(Permission::ManageTeam)?;
    Ok(Json(
        invitations::resend_invitation(&state, &current, &id, input).await?,
    ))
}

/// Revoke an invitation: its link stops working.
#[utoipa::path(delete, path = "/api/invitations/{id}", tag = "team",
    params(("id" = String, Path, description = "The invitation's id (inv_…)")),
    responses((status = 200, body = InvitationOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Already accepted")))]
async fn revoke_invitation(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<InvitationId>,
) -> ApiResult<Json<InvitationOut>> {
    current.require(Permission::ManageTeam)?;
    Ok(Json(
        invitations::revoke_invitation(&state, &current, &id).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LookupQuery {
    /// The token from the invitation link.
    token: String,
}

/// What an invitation link is for. Opening it consumes nothing.
#[utoipa::path(get, path = "/api/invitations/lookup", tag = "team", params(LookupQuery),
    responses((status = 200, body = InvitationLookupOut),
        (status = 404, body = ErrorBody, description = "Unknown token"),
        (status = 410, body = ErrorBody, description = "Expired, revoked or accepted")))]
async fn lookup_invitation(
    State(state): State<AppState>,
    Query(query): Query<LookupQuery>,
) -> ApiResult<Json<InvitationLookupOut>> {
    Ok(Json(
        invitations::lookup_invitation(&state, &query.token).await?,
    ))
}

/// Accept an invitation: creates the account and signs in.
#[utoipa::path(post, path = "/api/invitations/accept", tag = "team", request_body = InvitationAcceptIn,
    responses((status = 200, body = SessionOut, description = "Joined and signed in; sets the session cookie"),
        (status = 404, body = ErrorBody), (status = 410, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The address got an account meanwhile"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody, description = "Too many password checks at once; see Retry-After")))]
async fn accept_invitation(
    State(state): State<AppState>,
    Json(input): Json<InvitationAcceptIn>,
) -> ApiResult<impl IntoResponse> {
    let (cookies, session) = invitations::accept_invitation(&state, input).await?;
    Ok((
        AppendHeaders(cookies.map(|c| (header::SET_COOKIE, c))),
        Json(session),
    ))
}
