//! The team: the member list, role and status changes (PIN step-up), and
//! invitations (send, resend, revoke, look up, accept).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use portal_contract::accounts::{OrganisationStatus, SessionOut};
use portal_contract::team::{
    InvitationAcceptIn, InvitationIn, InvitationList, InvitationLookupOut, InvitationOut,
    InvitationStatus, MemberListQuery, MemberOut, MemberPage, MemberPatch, MemberStatus,
};
use portal_contract::validation::normalize_email;
use portal_contract::{ErrorBody, ErrorCode, Permission, Role};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, CurrentUser};
use crate::crypto;
use crate::db::{self, invitations::Invitation, users::User};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::mail::Mail;
use crate::state::AppState;
use crate::webhooks::events::{self, Audience};

/// What member events say.
fn member_event(id: &str, email: &str, role: &str) -> serde_json::Value {
    serde_json::json!({ "member": { "id": id, "email": email, "role": role } })
}
use crate::step_up;

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

fn conflict(message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
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
    query.validate().map_err(ApiError::validation)?;
    let (users, total) = db::users::member_page(&state.db, &current.org.id, &query).await?;
    Ok(Json(MemberPage {
        items: users.iter().map(User::to_member).collect(),
        total,
        page: query.page(),
        per_page: query.per_page(),
    }))
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
    Path(id): Path<String>,
    Json(input): Json<MemberPatch>,
) -> ApiResult<Json<MemberOut>> {
    current.require(Permission::ManageTeam)?;
    let target = db::users::member(&state.db, &current.org.id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such member in your organisation."))?;
    input.validate().map_err(ApiError::validation)?;

    let actor_role = current.user.role();
    let touches_superadmin =
        target.role() == Role::Superadmin || input.role == Some(Role::Superadmin);
    if touches_superadmin && !actor_role.can(Permission::ManageOrganisation) {
        return Err(ApiError::forbidden(
            "Only a superadmin can change a superadmin.",
        ));
    }
    if target.id == current.user.id && input.status == Some(MemberStatus::Deactivated) {
        return Err(conflict(
            "You can't deactivate yourself. Ask another admin.",
        ));
    }
    let demotes = input.role.is_some_and(|r| r != Role::Superadmin);
    let deactivates = input.status == Some(MemberStatus::Deactivated);
    if target.role() == Role::Superadmin
        && target.is_active()
        && (demotes || deactivates)
        && db::users::count_active_superadmins(&state.db, &current.org.id).await? <= 1
    {
        return Err(conflict(
            "This is the organisation's last active superadmin. Make someone else a superadmin first.",
        ));
    }
    step_up::verify_pin(&state, &current.user, &input.pin).await?;

    let role = input.role.unwrap_or(target.role());
    let status = input.status.unwrap_or(target.status());
    let mut tx = state.db.begin().await?;
    if !db::users::set_role_and_status_keeping_a_superadmin(&mut *tx, &target.id, role, status)
        .await?
    {
        return Err(conflict(
            "This is the organisation's last active superadmin. Make someone else a superadmin first.",
        ));
    }
    if status == MemberStatus::Deactivated {
        // Their open pages are sent to sign in on their next request.
        db::sessions::delete_all(&mut *tx, &target.id).await?;
        if target.status() == MemberStatus::Active {
            let data = member_event(&target.id, &target.email, role.as_str());
            events::publish(
                &mut tx,
                &current.org.id,
                Audience::Organisation,
                "member.removed",
                &data,
                state.now(),
            )
            .await?;
        }
    }
    tx.commit().await?;
    state.deliverer.wake();
    tracing::info!(actor = %current.user.id, member = %target.id, role = ?input.role,
        status = ?input.status, "member changed");
    let updated = db::users::member(&state.db, &current.org.id, &target.id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("member vanished")))?;
    Ok(Json(updated.to_member()))
}

/// Every invitation of the organisation, newest first.
#[utoipa::path(get, path = "/api/invitations", tag = "team",
    responses((status = 200, body = InvitationList), (status = 401, body = ErrorBody)))]
async fn list_invitations(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<InvitationList>> {
    current.require(Permission::View)?;
    let now = state.now();
    let rows = db::invitations::list(&state.db, &current.org.id).await?;
    Ok(Json(InvitationList {
        items: rows.iter().map(|r| r.to_out(now)).collect(),
    }))
}

/// Invite someone by email with a role; mails them the accept link.
#[utoipa::path(post, path = "/api/invitations", tag = "team", request_body = InvitationIn,
    responses((status = 201, body = InvitationOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "Already a member, or invited"),
        (status = 422, body = ErrorBody)))]
async fn create_invitation(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(input): Json<InvitationIn>,
) -> ApiResult<(StatusCode, Json<InvitationOut>)> {
    current.require(Permission::ManageTeam)?;
    input.validate().map_err(ApiError::validation)?;
    if !current.user.role().may_grant(input.role) {
        return Err(ApiError::forbidden(
            "Only a superadmin can invite a superadmin.",
        ));
    }
    let email = normalize_email(&input.email);
    let now = state.now();
    let existing = db::users::by_email(&state.db, &email).await?;
    // An unconfirmed account doesn't hold the address: accepting replaces it.
    if let Some(existing) = existing.filter(|u| u.email_confirmed_at.is_some()) {
        return Err(if existing.organisation_id == current.org.id {
            conflict("This person is already a member of your organisation.")
        } else {
            conflict("This address already has a Partner Portal account, so it can't be invited.")
        });
    }
    if db::invitations::live_exists(&state.db, &current.org.id, &email, now).await? {
        return Err(conflict(
            "This address already has a pending invitation. Resend it from the Invitations tab.",
        ));
    }
    let token = crypto::random_token();
    let invitation = Invitation {
        id: crypto::new_id("inv_"),
        organisation_id: current.org.id.clone(),
        email,
        role: input.role.as_str().into(),
        token_hash: crypto::token_hash(&token),
        invited_by: current.user.id.clone(),
        created_at: now,
        expires_at: now + state.config.invitation_ttl_days * 86_400,
        accepted_at: None,
        accepted_user_id: None,
        revoked_at: None,
    };
    db::invitations::insert(&state.db, &invitation).await?;
    send_invitation(&state, &current, &invitation, &token).await?;
    let row = db::invitations::get(&state.db, &current.org.id, &invitation.id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("invitation vanished")))?;
    Ok((StatusCode::CREATED, Json(row.to_out(now))))
}

async fn send_invitation(
    state: &AppState,
    current: &CurrentUser,
    invitation: &Invitation,
    token: &str,
) -> ApiResult<()> {
    let link = format!(
        "{}/invite?token={token}",
        state.config.public_url.trim_end_matches('/')
    );
    let days = state.config.invitation_ttl_days;
    let mail = Mail {
        to: invitation.email.clone(),
        subject: format!(
            "{} invited you to {}",
            current.user.full_name, current.org.name
        ),
        body: format!(
            "Hi,\n\n{} invited you to join {} on the Partner Portal as {} ({}).\n\n\
             Accept the invitation and set up your account here:\n\n{link}\n\n\
             The link works once and expires in {days} days. If you weren't expecting this, \
             you can ignore this mail.\n",
            current.user.full_name,
            current.org.name,
            invitation.role().label().to_lowercase(),
            invitation.email,
        ),
    };
    state.mailer.send(&state.db, &*state.clock, mail).await?;
    Ok(())
}

/// An invitation of the caller's organisation, or 404.
async fn own_invitation(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
) -> ApiResult<db::invitations::InvitationRow> {
    db::invitations::get(&state.db, &current.org.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such invitation in your organisation."))
}

/// Send a new link: renews the expiry and kills the old link.
#[utoipa::path(post, path = "/api/invitations/{id}/resend", tag = "team",
    params(("id" = String, Path, description = "The invitation's id (inv_…)")),
    responses((status = 200, body = InvitationOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Accepted or revoked")))]
async fn resend_invitation(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<InvitationOut>> {
    current.require(Permission::ManageTeam)?;
    let row = own_invitation(&state, &current, &id).await?;
    let now = state.now();
    match row.invitation.status(now) {
        InvitationStatus::Accepted => {
            return Err(conflict("This invitation was already accepted."));
        }
        InvitationStatus::Revoked => {
            return Err(conflict(
                "This invitation was revoked. Send a new one instead.",
            ));
        }
        InvitationStatus::Pending | InvitationStatus::Expired => {}
    }
    if !current.user.role().may_grant(row.invitation.role()) {
        return Err(ApiError::forbidden(
            "Only a superadmin can invite a superadmin.",
        ));
    }
    let token = crypto::random_token();
    let expires_at = now + state.config.invitation_ttl_days * 86_400;
    db::invitations::renew(
        &state.db,
        &id,
        &crypto::token_hash(&token),
        &current.user.id,
        expires_at,
    )
    .await?;
    send_invitation(&state, &current, &row.invitation, &token).await?;
    let row = own_invitation(&state, &current, &id).await?;
    Ok(Json(row.to_out(now)))
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
    Path(id): Path<String>,
) -> ApiResult<Json<InvitationOut>> {
    current.require(Permission::ManageTeam)?;
    let row = own_invitation(&state, &current, &id).await?;
    let now = state.now();
    if row.invitation.status(now) == InvitationStatus::Accepted {
        return Err(conflict(
            "This invitation was already accepted. Deactivate the member instead.",
        ));
    }
    if !current.user.role().may_grant(row.invitation.role()) {
        return Err(ApiError::forbidden(
            "Only a superadmin can revoke a superadmin's invitation.",
        ));
    }
    db::invitations::revoke(&state.db, &id, now).await?;
    let row = own_invitation(&state, &current, &id).await?;
    Ok(Json(row.to_out(now)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LookupQuery {
    /// The token from the invitation link.
    token: String,
}

/// A live invitation's token, or the error that explains why it doesn't work.
async fn live_invitation(
    state: &AppState,
    token: &str,
) -> ApiResult<db::invitations::InvitationRow> {
    let row = db::invitations::by_token(&state.db, &crypto::token_hash(token.trim()))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::InvalidToken,
                "This invitation link is not valid. Check that you opened the whole link, or ask for a new invitation.",
            )
        })?;
    let gone = |message: &str| ApiError::new(StatusCode::GONE, ErrorCode::InvalidToken, message);
    match row.invitation.status(state.now()) {
        InvitationStatus::Pending => Ok(row),
        InvitationStatus::Expired => Err(gone(
            "This invitation has expired. Ask the person who invited you to send a new one.",
        )),
        InvitationStatus::Revoked => Err(gone(
            "This invitation was withdrawn. Ask an admin of the organisation for a new one.",
        )),
        InvitationStatus::Accepted => Err(gone(
            "This invitation has already been accepted. Sign in instead.",
        )),
    }
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
    let row = live_invitation(&state, &query.token).await?;
    let org = db::organisations::get(&state.db, &row.invitation.organisation_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("invitation without organisation")))?;
    Ok(Json(InvitationLookupOut {
        organisation_name: org.name,
        email: row.invitation.email.clone(),
        role: row.invitation.role(),
        invited_by: row.invited_by_name,
        expires_at: row.invitation.expires_at,
    }))
}

/// Accept an invitation: creates the account and signs in.
#[utoipa::path(post, path = "/api/invitations/accept", tag = "team", request_body = InvitationAcceptIn,
    responses((status = 200, body = SessionOut, description = "Joined and signed in; sets the session cookie"),
        (status = 404, body = ErrorBody), (status = 410, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The address got an account meanwhile"),
        (status = 422, body = ErrorBody)))]
async fn accept_invitation(
    State(state): State<AppState>,
    Json(input): Json<InvitationAcceptIn>,
) -> ApiResult<impl IntoResponse> {
    let row = live_invitation(&state, &input.token).await?;
    input.validate().map_err(ApiError::validation)?;
    let org = db::organisations::get(&state.db, &row.invitation.organisation_id).await?;
    if org.is_none_or(|o| o.status() == OrganisationStatus::Suspended) {
        return Err(super::accounts::suspended());
    }
    let invitation = row.invitation;
    let password_hash = crypto::hash_secret(input.password).await?;
    let pin_hash = crypto::hash_secret(input.pin).await?;
    let now = state.now();
    let user = User {
        id: crypto::new_id("usr_"),
        organisation_id: invitation.organisation_id.clone(),
        email: invitation.email.clone(),
        full_name: input.full_name.trim().to_owned(),
        password_hash,
        pin_hash,
        role: invitation.role.clone(),
        status: MemberStatus::Active.as_str().into(),
        // The invitation reached this address: it is confirmed.
        email_confirmed_at: Some(now),
        pin_failed_attempts: 0,
        pin_locked_until: None,
        last_sign_in_at: Some(now),
        created_at: now,
    };
    let mut tx = state.db.begin().await?;
    db::users::delete_unconfirmed(&mut tx, &user.email).await?;
    if let Err(e) = db::users::insert(&mut *tx, &user).await {
        if matches!(&e, sqlx::Error::Database(d) if d.is_unique_violation()) {
            return Err(conflict(
                "This address already has an account. Sign in instead.",
            ));
        }
        return Err(e.into());
    }
    if !db::invitations::accept(&mut *tx, &invitation.id, &user.id, now).await? {
        return Err(ApiError::new(
            StatusCode::GONE,
            ErrorCode::InvalidToken,
            "This invitation is no longer valid. Ask for a new one.",
        ));
    }
    events::publish(
        &mut tx,
        &user.organisation_id,
        Audience::Organisation,
        "member.joined",
        &member_event(&user.id, &user.email, &user.role),
        now,
    )
    .await?;
    tx.commit().await?;
    state.deliverer.wake();
    tracing::info!(organisation = %invitation.organisation_id, user = %user.id, "member joined");
    let org = db::organisations::get(&state.db, &user.organisation_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("invitation without organisation")))?;
    let (cookie, expires_at) = auth::start_session(&state, &user.id).await?;
    let session = SessionOut {
        user: user.to_out(),
        organisation: org.to_out(),
        expires_at,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(session)))
}
