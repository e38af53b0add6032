//! Invitations: send, resend, revoke, look up, and accept (the new
//! member's account, made in one unit of work with `member.joined`).

use portal_contract::ErrorCode;
use portal_contract::accounts::{OrganisationStatus, SessionOut};
use portal_contract::ids::{InvitationId, UserId};
use portal_contract::team::{
    InvitationAcceptIn, InvitationIn, InvitationList, InvitationLookupOut, InvitationOut,
    InvitationResendIn, InvitationStatus, MemberStatus,
};
use portal_contract::validation::normalize_email;
use portal_contract::webhooks::PortalEvent;

use super::accounts::{replace_unconfirmed, suspended};
use super::events::member_event;
use super::finders::find;
use super::members::conflict;
use super::wire::session_out;
use super::work::Work;
use crate::auth::{self, CurrentUser};
use crate::crypto::{self, Caller};
use crate::error::{ApiError, ApiResult, Failure};
use crate::limits::Limit;
use crate::mail::Mail;
use crate::state::AppState;
use crate::step_up;
use crate::store::invitations::{self, Invitation, InvitationRow};
use crate::store::organisations;
use crate::store::users::{self, User};

fn invitation_out(row: &InvitationRow, now: i64) -> InvitationOut {
    let i = &row.invitation;
    InvitationOut {
        id: i.id.clone(),
        email: i.email.clone(),
        role: i.role,
        status: i.status(now),
        invited_by: row.invited_by_name.clone(),
        created_at: i.created_at,
        expires_at: i.expires_at,
        accepted_at: i.accepted_at,
        revoked_at: i.revoked_at,
    }
}

pub async fn list_invitations(
    state: &AppState,
    current: &CurrentUser,
) -> ApiResult<InvitationList> {
    let now = state.now();
    let rows = invitations::list(&state.store, &current.org.id).await?;
    Ok(InvitationList {
        items: rows.iter().map(|r| invitation_out(r, now)).collect(),
    })
}

/// Invites an address with a role and mails the link.
pub async fn invite(
    state: &AppState,
    current: &CurrentUser,
    input: InvitationIn,
) -> ApiResult<InvitationOut> {
    input.validate().map_err(ApiError::validation)?;
    if !current.user.role.may_grant(input.role) {
        return Err(ApiError::forbidden(
            "Only a superadmin can invite a superadmin.",
        ));
    }
    if input.role.grant_needs_pin() {
        // `validate` made sure there is one.
        let pin = input.pin.as_deref().unwrap_or_default();
        step_up::verify_pin(state, &current.user, pin).await?;
    }
    limit_invitations(state, current).await?;
    let email = normalize_email(&input.email);
    let now = state.now();
    let existing = users::by_email(&state.store, &email).await?;
    // An unconfirmed account doesn't hold the address: accepting replaces it.
    let existing = existing.filter(|u| u.email_confirmed_at.is_some());
    if existing
        .as_ref()
        .is_some_and(|u| u.organisation_id == current.org.id)
    {
        return Err(conflict(
            "This person is already a member of your organisation.",
        ));
    }
    if invitations::live_exists(&state.store, &current.org.id, &email, now).await? {
        return Err(conflict(
            "This address already has a pending invitation. Resend it from the Invitations tab.",
        ));
    }
    let token = crypto::random_token();
    let invitation = Invitation {
        id: InvitationId(crypto::new_id(InvitationId::PREFIX)),
        organisation_id: current.org.id.clone(),
        email,
        role: input.role,
        token_hash: crypto::token_hash(&token),
        invited_by: current.user.id.clone(),
        created_at: now,
        expires_at: now + state.config.invitation_ttl_days * 86_400,
        accepted_at: None,
        accepted_user_id: None,
        revoked_at: None,
    };
    invitations::insert(&state.store, &invitation).await?;
    send_invitation(state, current, &invitation, &token).await?;
    let row: InvitationRow = find(state, current, &invitation.id).await?;
    Ok(invitation_out(&row, now))
}

/// Invitations mail anyone from the portal's domain: each member, and each
/// organisation, sends only so many.
async fn limit_invitations(state: &AppState, current: &CurrentUser) -> ApiResult<()> {
    state
        .limits
        .check(&[
            (Limit::InvitationsByInviter, current.user.id.as_str()),
            (Limit::InvitationsByOrganisation, current.org.id.as_str()),
        ])
        .await
}

async fn send_invitation(
    state: &AppState,
    current: &CurrentUser,
    invitation: &Invitation,
    token: &str,
) -> ApiResult<()> {
    // An address with an account of another organisation can't join this
    // one. The inviter isn't told (that would say which addresses have
    // accounts); the address's owner is, and gets no link.
    let elsewhere = users::by_email(&state.store, &invitation.email)
        .await?
        .is_some_and(|u| u.email_confirmed_at.is_some() && u.organisation_id != current.org.id);
    if elsewhere {
        let mail = Mail {
            to: invitation.email.clone(),
            subject: format!(
                "{} invited you to {}",
                current.user.full_name, current.org.name
            ),
            body: format!(
                "Hi,\n\n{} invited you to join {} on the Partner Portal, but this address \
                 already has a Partner Portal account with another organisation, and an \
                 address belongs to one organisation only.\n\nTo join {}, ask {} to invite \
                 another of your addresses. If you weren't expecting this, you can ignore this \
                 mail.\n",
                current.user.full_name, current.org.name, current.org.name, current.user.full_name,
            ),
        };
        state.mailer.send(&state.store, &*state.clock, mail).await?;
        return Ok(());
    }
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
            invitation.role.label().to_lowercase(),
            invitation.email,
        ),
    };
    state.mailer.send(&state.store, &*state.clock, mail).await?;
    Ok(())
}

/// A new link: renews the expiry and kills the old link.
pub async fn resend_invitation(
    state: &AppState,
    current: &CurrentUser,
    id: &InvitationId,
    input: InvitationResendIn,
) -> ApiResult<InvitationOut> {
    let row: InvitationRow = find(state, current, id).await?;
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
    if !current.user.role.may_grant(row.invitation.role) {
        return Err(ApiError::forbidden(
            "Only a superadmin can invite a superadmin.",
        ));
    }
    // A new link to an admin's role is an invitation as much as the first.
    input
        .validate(row.invitation.role)
        .map_err(ApiError::validation)?;
    if let Some(pin) = input
        .pin
        .as_deref()
        .filter(|_| row.invitation.role.grant_needs_pin())
    {
        step_up::verify_pin(state, &current.user, pin).await?;
    }
    limit_invitations(state, current).await?;
    let token = crypto::random_token();
    let expires_at = now + state.config.invitation_ttl_days * 86_400;
    invitations::renew(
        &state.store,
        id,
        &crypto::token_hash(&token),
        &current.user.id,
        expires_at,
    )
    .await?;
    send_invitation(state, current, &row.invitation, &token).await?;
    let row: InvitationRow = find(state, current, id).await?;
    Ok(invitation_out(&row, now))
}

/// Its link stops working.
pub async fn revoke_invitation(
    state: &AppState,
    current: &CurrentUser,
    id: &InvitationId,
) -> ApiResult<InvitationOut> {
    let row: InvitationRow = find(state, current, id).await?;
    let now = state.now();
    if row.invitation.status(now) == InvitationStatus::Accepted {
        return Err(conflict(
            "This invitation was already accepted. Deactivate the member instead.",
        ));
    }
    if !current.user.role.may_grant(row.invitation.role) {
        return Err(ApiError::forbidden(
            "Only a superadmin can revoke a superadmin's invitation.",
        ));
    }
    invitations::revoke(&state.store, id, now).await?;
    let row: InvitationRow = find(state, current, id).await?;
    Ok(invitation_out(&row, now))
}

/// A live invitation's token, or the error that explains why it doesn't work.
async fn live_invitation(state: &AppState, token: &str) -> ApiResult<InvitationRow> {
    let row = invitations::by_token(&state.store, &crypto::token_hash(token.trim()))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                Failure::NotFound,
                ErrorCode::InvalidToken,
                "This invitation link is not valid. Check that you opened the whole link, or ask for a new invitation.",
            )
        })?;
    let gone = |message: &str| ApiError::new(Failure::Gone, ErrorCode::InvalidToken, message);
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
pub async fn lookup_invitation(state: &AppState, token: &str) -> ApiResult<InvitationLookupOut> {
    let row = live_invitation(state, token).await?;
    let org = organisations::get(&state.store, &row.invitation.organisation_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("invitation without organisation")))?;
    Ok(InvitationLookupOut {
        organisation_name: org.name,
        email: row.invitation.email.clone(),
        role: row.invitation.role,
        invited_by: row.invited_by_name,
        expires_at: row.invitation.expires_at,
    })
}

/// Creates the account and signs in: the `Set-Cookie` value and the session.
pub async fn accept_invitation(
    state: &AppState,
    input: InvitationAcceptIn,
) -> ApiResult<(auth::SignInCookies, SessionOut)> {
    let row = live_invitation(state, &input.token).await?;
    input.validate().map_err(ApiError::validation)?;
    let org = organisations::get(&state.store, &row.invitation.organisation_id).await?;
    if org.is_none_or(|o| o.status == OrganisationStatus::Suspended) {
        return Err(suspended());
    }
    let invitation = row.invitation;
    let password_hash =
        crypto::hash_secret(&state.hash_gate, Caller::Stranger, input.password).await?;
    let pin_hash = crypto::hash_secret(&state.hash_gate, Caller::Stranger, input.pin).await?;
    let now = state.now();
    let user = User {
        id: UserId(crypto::new_id(UserId::PREFIX)),
        organisation_id: invitation.organisation_id.clone(),
        email: invitation.email.clone(),
        full_name: input.full_name.trim().to_owned(),
        password_hash,
        pin_hash,
        role: invitation.role,
        status: MemberStatus::Active,
        // The invitation reached this address: it is confirmed.
        email_confirmed_at: Some(now),
        pin_failed_attempts: 0,
        pin_locked_until: None,
        last_sign_in_at: None,
        created_at: now,
    };
    let event = member_event(PortalEvent::MemberJoined, &user, user.role, now);
    // The account, the invitation used, and `member.joined`, together; the
    // account replaces one never confirmed at the address.
    let mut work = Work::begin(state).await?;
    replace_unconfirmed(work.tx(), &user.email).await?;
    users::insert(work.tx(), &user).await?;
    if !invitations::accept(work.tx(), &invitation.id, &user.id, now).await? {
        return Err(ApiError::new(
            Failure::Gone,
            ErrorCode::InvalidToken,
            "This invitation is no longer valid. Ask for a new one.",
        ));
    }
    work.publish(&event).await?;
    work.commit().await?;
    // Accepting signs the new member in: their first sign-in.
    users::record_sign_in(&state.store, &user.id, now).await?;
    tracing::info!(organisation = %invitation.organisation_id, user = %user.id, "member joined");
    let org = organisations::get(&state.store, &user.organisation_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("invitation without organisation")))?;
    let (cookies, expires_at) = auth::start_session(state, &user).await?;
    Ok((cookies, session_out(&user, &org, expires_at)))
}
