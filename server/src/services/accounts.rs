//! Sign-up, email confirmation, sign-in and sign-out.

use portal_contract::accounts::{
    OrganisationStatus, SessionIn, SessionOut, SignUpIn, SignUpResendIn,
};
use portal_contract::ids::{OrganisationId, UserId};
use portal_contract::team::MemberStatus;
use portal_contract::validation::normalize_email;
use portal_contract::{ErrorCode, Role};

use super::wire::session_out;
use crate::auth;
use crate::client_address::ClientAddress;
use crate::crypto::{self, Caller};
use crate::error::{ApiError, ApiResult, Failure};
use crate::limits::Limit;
use crate::mail::Mail;
use crate::state::AppState;
use crate::store::organisations::{self, Organisation};
use crate::store::users::{self, Confirmation, User};
use crate::store::{Constraint, StoreError, StoreResult, Tx, sessions};

/// How long a confirmation link works.
pub const CONFIRMATION_TTL_SECS: i64 = 24 * 3600;

/// 403 for members of a suspended organisation.
pub fn suspended() -> ApiError {
    ApiError::forbidden("Your organisation is suspended. Contact the platform's support.")
}

fn invalid_token(failure: Failure, message: &str) -> ApiError {
    ApiError::new(failure, ErrorCode::InvalidToken, message)
}

fn new_confirmation(token: &str, user_id: &UserId, now: i64) -> Confirmation {
    Confirmation {
        token_hash: crypto::token_hash(token),
        user_id: user_id.clone(),
        created_at: now,
        expires_at: now + CONFIRMATION_TTL_SECS,
        used_at: None,
    }
}

/// A new organisation and its first superadmin, and a confirmation link
/// mailed. The same outcome whether or not the address has an account
/// (its owner is told by mail instead).
pub async fn sign_up(state: &AppState, from: ClientAddress, input: SignUpIn) -> ApiResult<()> {
    let from = from.limit_key();
    state
        .limits
        .check(&[(Limit::SignUpByAddress, &from)])
        .await?;
    input.validate().map_err(ApiError::validation)?;
    let email = normalize_email(&input.email);
    // Hash before looking the address up, so both paths take as long.
    let password_hash =
        crypto::hash_secret(&state.hash_gate, Caller::Stranger, input.password.clone()).await?;
    let pin_hash =
        crypto::hash_secret(&state.hash_gate, Caller::Stranger, input.pin.clone()).await?;

    let existing = users::by_email(&state.store, &email).await?;
    if let Some(existing) = existing.filter(|u| u.email_confirmed_at.is_some()) {
        let mail = Mail {
            to: existing.email.clone(),
            subject: "Someone tried to sign up with your address".into(),
            body: format!(
                "Hi {},\n\nSomeone (maybe you) tried to create a new Partner Portal account with this \
                 address, which already has one. Sign in at {}/signin instead.\n\nIf it wasn't you, \
                 you can ignore this mail.\n",
                existing.full_name, state.config.public_url
            ),
        };
        state.mailer.send(&state.store, &*state.clock, mail).await?;
        return Ok(());
    }

    let now = state.now();
    let org = Organisation {
        id: OrganisationId(crypto::new_id(OrganisationId::PREFIX)),
        name: input.organisation_name.trim().to_owned(),
        status: if state.config.auto_approve {
            OrganisationStatus::Approved
        } else {
            OrganisationStatus::Pending
        },
        created_at: now,
    };
    let user = User {
        id: UserId(crypto::new_id(UserId::PREFIX)),
        organisation_id: org.id.clone(),
        email,
        full_name: input.full_name.trim().to_owned(),
        password_hash,
        pin_hash,
        role: Role::Superadmin,
        status: MemberStatus::Active,
        email_confirmed_at: None,
        pin_failed_attempts: 0,
        pin_locked_until: None,
        last_sign_in_at: None,
        created_at: now,
    };
    let token = crypto::random_token();
    let confirmation = new_confirmation(&token, &user.id, now);
    let signed_up = async {
        let mut tx = state.store.begin().await?;
        replace_unconfirmed(&mut tx, &user.email).await?;
        organisations::insert(&mut tx, &org).await?;
        users::insert(&mut tx, &user).await?;
        users::insert_confirmation(&mut tx, &confirmation).await?;
        tx.commit().await
    };
    match signed_up.await {
        Ok(()) => {}
        // A concurrent sign-up took the address: answer as for any taken one.
        Err(StoreError::Conflict(Constraint::UserEmail)) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(organisation = %org.id, user = %user.id, "organisation signed up");
    send_confirmation(state, &user, &org.name, &token).await
}

/// An account whose address was never confirmed holds it only until
/// someone signs up, or accepts an invitation, with it: it goes, and its
/// organisation too when it was the only member.
pub(crate) async fn replace_unconfirmed(tx: &mut Tx, email: &str) -> StoreResult<()> {
    if let Some(old) = users::by_email(&mut *tx, email).await?
        && old.email_confirmed_at.is_none()
    {
        users::delete(&mut *tx, &old.id).await?;
        organisations::delete_if_empty(&mut *tx, &old.organisation_id).await?;
    }
    Ok(())
}

async fn send_confirmation(
    state: &AppState,
    user: &User,
    org_name: &str,
    token: &str,
) -> ApiResult<()> {
    let link = format!(
        "{}/signup/confirm?token={token}",
        state.config.public_url.trim_end_matches('/')
    );
    let mail = Mail {
        to: user.email.clone(),
        subject: "Confirm your email address".into(),
        body: format!(
            "Hi {},\n\nConfirm your email address to finish setting up {} on the Partner Portal:\n\n\
             {link}\n\nThe link works once and expires in 24 hours. If you didn't sign up, you can \
             ignore this mail.\n",
            user.full_name, org_name
        ),
    };
    state.mailer.send(&state.store, &*state.clock, mail).await?;
    Ok(())
}

/// Confirms an address with the mailed token, and signs in: the
/// `Set-Cookie` value and the new session.
pub async fn confirm(
    state: &AppState,
    token: &str,
) -> ApiResult<(auth::SignInCookies, SessionOut)> {
    let hash = crypto::token_hash(token.trim());
    let now = state.now();
    let confirmation = users::confirmation(&state.store, &hash).await?.ok_or_else(|| {
        invalid_token(
            Failure::NotFound,
            "This confirmation link is not valid. Check that you opened the whole link from the mail.",
        )
    })?;
    let used = || {
        invalid_token(
            Failure::Gone,
            "This confirmation link has already been used. Sign in instead.",
        )
    };
    if confirmation.used_at.is_some() {
        return Err(used());
    }
    if confirmation.expires_at <= now {
        return Err(invalid_token(
            Failure::Gone,
            "This confirmation link has expired. Sign in and we'll send you a new one.",
        ));
    }
    // Used once: the link, the address confirmed and the sign-in together.
    let mut tx = state.store.begin().await?;
    if !users::use_confirmation(&mut tx, &hash, now).await? {
        return Err(used());
    }
    users::confirm_email(&mut tx, &confirmation.user_id, now).await?;
    tx.commit().await?;
    signed_in(state, &confirmation.user_id).await
}

/// Starts a session for a user who just proved who they are.
async fn signed_in(
    state: &AppState,
    user_id: &UserId,
) -> ApiResult<(auth::SignInCookies, SessionOut)> {
    let user = users::get(&state.store, user_id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let org = organisations::get(&state.store, &user.organisation_id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if org.status == OrganisationStatus::Suspended {
        return Err(suspended());
    }
    let (cookies, expires_at) = auth::start_session(state, &user).await?;
    Ok((cookies, session_out(&user, &org, expires_at)))
}

/// Mails a new confirmation link; the same outcome for any address.
pub async fn resend(state: &AppState, from: ClientAddress, input: SignUpResendIn) -> ApiResult<()> {
    let from = from.limit_key();
    state
        .limits
        .check(&[(Limit::SignUpByAddress, &from)])
        .await?;
    input.validate().map_err(ApiError::validation)?;
    let email = normalize_email(&input.email);
    let Some(user) = users::by_email(&state.store, &email).await? else {
        return Ok(());
    };
    if user.email_confirmed_at.is_some() {
        return Ok(());
    }
    let org = organisations::get(&state.store, &user.organisation_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user without organisation")))?;
    let now = state.now();
    let token = crypto::random_token();
    // A new link: the old ones stop working.
    let mut tx = state.store.begin().await?;
    users::end_confirmations(&mut tx, &user.id, now).await?;
    users::insert_confirmation(&mut tx, &new_confirmation(&token, &user.id, now)).await?;
    tx.commit().await?;
    send_confirmation(state, &user, &org.name, &token).await
}

/// Checks an email and password: the `Set-Cookie` values and the session.
/// `device` is the browser's device cookie, if it sent one.
pub async fn sign_in(
    state: &AppState,
    from: ClientAddress,
    device: Option<&str>,
    input: SessionIn,
) -> ApiResult<(auth::SignInCookies, SessionOut)> {
    input.validate().map_err(ApiError::validation)?;
    let email = normalize_email(&input.email);
    let from = from.limit_key();
    state
        .limits
        .check(&[(Limit::SignInByAddress, &from)])
        .await?;

    let user = users::by_email(&state.store, &email).await?;
    // The account's own limit, unless this browser signed in as it before:
    // then the browser's (a stranger's attempts can't lock its owner out).
    let known = user
        .as_ref()
        .and_then(|u| auth::known_device(state, device, u));
    let account = match &known {
        Some(device) => (Limit::SignInByDevice, device.as_str()),
        None => (Limit::SignInByEmail, email.as_str()),
    };
    state.limits.check(&[account]).await?;
    if known.is_none() {
        state.limits.strangers_sign_in()?;
    }

    let hash = user.as_ref().map_or_else(
        || state.dummy_password_hash.clone(),
        |u| u.password_hash.clone(),
    );
    let caller = if known.is_some() {
        Caller::Known
    } else {
        Caller::Stranger
    };
    let matches = crypto::verify_secret(&state.hash_gate, caller, input.password, hash).await?;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            return Err(ApiError::new(
                Failure::Unauthenticated,
                ErrorCode::InvalidCredentials,
                "That email and password don't match an account.",
            ));
        }
    };
    if user.email_confirmed_at.is_none() {
        return Err(ApiError::new(
            Failure::Forbidden,
            ErrorCode::EmailUnconfirmed,
            "Confirm your email address first: open the link we mailed you.",
        ));
    }
    if !user.is_active() {
        return Err(ApiError::new(
            Failure::Forbidden,
            ErrorCode::AccountDeactivated,
            "Your account has been deactivated. Ask an admin of your organisation.",
        ));
    }
    let org = organisations::get(&state.store, &user.organisation_id).await?;
    if org.is_none_or(|o| o.status == OrganisationStatus::Suspended) {
        return Err(suspended());
    }
    users::record_sign_in(&state.store, &user.id, state.now()).await?;
    let signed_in = signed_in(state, &user.id).await?;
    tracing::info!(user = %user.id, "signed in");
    Ok(signed_in)
}

/// Ends the session whose cookie is `cookie`, on the server.
pub async fn sign_out(state: &AppState, cookie: &str) -> ApiResult<()> {
    sessions::delete(&state.store, &crypto::token_hash(cookie)).await?;
    Ok(())
}
