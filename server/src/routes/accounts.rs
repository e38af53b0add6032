//! Sign-up, email confirmation and sessions (sign-in, who am I, sign-out).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use portal_contract::accounts::{
    MailSentOut, OrganisationStatus, SessionIn, SessionOut, SignUpConfirmIn, SignUpIn,
    SignUpResendIn,
};
use portal_contract::validation::normalize_email;
use portal_contract::{ErrorBody, ErrorCode, Role, SESSION_COOKIE};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, CurrentUser};
use crate::crypto;
use crate::db::{self, confirmations::Confirmation, organisations::Organisation, users::User};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::limits;
use crate::mail::Mail;
use crate::state::AppState;

/// How long a confirmation link works.
const CONFIRMATION_TTL_SECS: i64 = 24 * 3600;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(confirm))
        .routes(routes!(resend))
        .routes(routes!(sign_in, current_session, sign_out))
}

fn mail_sent() -> Json<MailSentOut> {
    Json(MailSentOut {
        message: "Check your inbox: we sent you a link to confirm your email address.".into(),
    })
}

/// Create an organisation and its first superadmin, and mail a confirmation
/// link. Answers the same whether or not the address already has an account.
#[utoipa::path(post, path = "/api/signup", tag = "accounts", request_body = SignUpIn,
    responses(
        (status = 202, body = MailSentOut, description = "Confirmation mail sent"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn sign_up(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(input): Json<SignUpIn>,
) -> ApiResult<(StatusCode, Json<MailSentOut>)> {
    limits::check(&state.limits.sign_up_by_ip, peer.ip().to_string())?;
    input.validate().map_err(ApiError::validation)?;
    let email = normalize_email(&input.email);
    // Hash before looking the address up, so both paths take as long.
    let password_hash = crypto::hash_secret(input.password.clone()).await?;
    let pin_hash = crypto::hash_secret(input.pin.clone()).await?;

    let existing = db::users::by_email(&state.db, &email).await?;
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
        state.mailer.send(&state.db, &*state.clock, mail).await?;
        return Ok((StatusCode::ACCEPTED, mail_sent()));
    }

    let now = state.now();
    let org = Organisation {
        id: crypto::new_id("org_"),
        name: input.organisation_name.trim().to_owned(),
        status: if state.config.auto_approve {
            OrganisationStatus::Approved
        } else {
            OrganisationStatus::Pending
        }
        .as_str()
        .into(),
        created_at: now,
    };
    let user = User {
        id: crypto::new_id("usr_"),
        organisation_id: org.id.clone(),
        email,
        full_name: input.full_name.trim().to_owned(),
        password_hash,
        pin_hash,
        role: Role::Superadmin.as_str().into(),
        status: "active".into(),
        email_confirmed_at: None,
        pin_failed_attempts: 0,
        pin_locked_until: None,
        last_sign_in_at: None,
        created_at: now,
    };
    let token = crypto::random_token();
    let mut tx = state.db.begin().await?;
    db::users::delete_unconfirmed(&mut tx, &user.email).await?;
    db::organisations::insert(&mut *tx, &org).await?;
    if let Err(e) = db::users::insert(&mut *tx, &user).await {
        // A concurrent sign-up took the address: answer as for any taken one.
        if is_unique_violation(&e) {
            return Ok((StatusCode::ACCEPTED, mail_sent()));
        }
        return Err(e.into());
    }
    db::confirmations::insert(&mut *tx, &new_confirmation(&token, &user.id, now)).await?;
    tx.commit().await?;
    tracing::info!(organisation = %org.id, user = %user.id, "organisation signed up");

    send_confirmation(&state, &user, &org.name, &token).await?;
    Ok((StatusCode::ACCEPTED, mail_sent()))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn new_confirmation(token: &str, user_id: &str, now: i64) -> Confirmation {
    Confirmation {
        token_hash: crypto::token_hash(token),
        user_id: user_id.to_owned(),
        created_at: now,
        expires_at: now + CONFIRMATION_TTL_SECS,
        used_at: None,
    }
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
    state.mailer.send(&state.db, &*state.clock, mail).await?;
    Ok(())
}

/// 403 for members of a suspended organisation.
pub fn suspended() -> ApiError {
    ApiError::forbidden("Your organisation is suspended. Contact the platform's support.")
}

fn invalid_token(status: StatusCode, message: &str) -> ApiError {
    ApiError::new(status, ErrorCode::InvalidToken, message)
}

/// Confirm an email address with the mailed token, and sign in.
#[utoipa::path(post, path = "/api/signup/confirm", tag = "accounts", request_body = SignUpConfirmIn,
    responses(
        (status = 200, body = SessionOut, description = "Confirmed and signed in; sets the session cookie"),
        (status = 404, body = ErrorBody, description = "Unknown token"),
        (status = 410, body = ErrorBody, description = "Token used or expired")))]
async fn confirm(
    State(state): State<AppState>,
    Json(input): Json<SignUpConfirmIn>,
) -> ApiResult<impl IntoResponse> {
    let hash = crypto::token_hash(input.token.trim());
    let now = state.now();
    let confirmation = db::confirmations::get(&state.db, &hash).await?.ok_or_else(|| {
        invalid_token(
            StatusCode::NOT_FOUND,
            "This confirmation link is not valid. Check that you opened the whole link from the mail.",
        )
    })?;
    if confirmation.used_at.is_some() {
        return Err(invalid_token(
            StatusCode::GONE,
            "This confirmation link has already been used. Sign in instead.",
        ));
    }
    if confirmation.expires_at <= now {
        return Err(invalid_token(
            StatusCode::GONE,
            "This confirmation link has expired. Sign in and we'll send you a new one.",
        ));
    }
    let mut tx = state.db.begin().await?;
    if !db::confirmations::mark_used(&mut *tx, &hash, now).await? {
        return Err(invalid_token(
            StatusCode::GONE,
            "This confirmation link has already been used. Sign in instead.",
        ));
    }
    db::users::confirm_email(&mut *tx, &confirmation.user_id, now).await?;
    db::users::record_sign_in(&mut *tx, &confirmation.user_id, now).await?;
    tx.commit().await?;
    let (cookie, session) = signed_in(&state, &confirmation.user_id).await?;
    Ok(([(header::SET_COOKIE, cookie)], Json(session)))
}

/// Starts a session and builds its description.
async fn signed_in(state: &AppState, user_id: &str) -> ApiResult<(String, SessionOut)> {
    let user = db::users::get(&state.db, user_id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let org = db::organisations::get(&state.db, &user.organisation_id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if org.status() == OrganisationStatus::Suspended {
        return Err(suspended());
    }
    let (cookie, expires_at) = auth::start_session(state, user_id).await?;
    Ok((
        cookie,
        SessionOut {
            user: user.to_out(),
            organisation: org.to_out(),
            expires_at,
        },
    ))
}

/// Mail a new confirmation link. Answers the same for any address.
#[utoipa::path(post, path = "/api/signup/resend", tag = "accounts", request_body = SignUpResendIn,
    responses((status = 202, body = MailSentOut), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn resend(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(input): Json<SignUpResendIn>,
) -> ApiResult<(StatusCode, Json<MailSentOut>)> {
    limits::check(&state.limits.sign_up_by_ip, peer.ip().to_string())?;
    input.validate().map_err(ApiError::validation)?;
    let email = normalize_email(&input.email);
    let Some(user) = db::users::by_email(&state.db, &email).await? else {
        return Ok((StatusCode::ACCEPTED, mail_sent()));
    };
    if user.email_confirmed_at.is_some() {
        return Ok((StatusCode::ACCEPTED, mail_sent()));
    }
    let org = db::organisations::get(&state.db, &user.organisation_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user without organisation")))?;
    let now = state.now();
    let token = crypto::random_token();
    let mut tx = state.db.begin().await?;
    db::confirmations::expire_all_for_user(&mut *tx, &user.id, now).await?;
    db::confirmations::insert(&mut *tx, &new_confirmation(&token, &user.id, now)).await?;
    tx.commit().await?;
    send_confirmation(&state, &user, &org.name, &token).await?;
    Ok((StatusCode::ACCEPTED, mail_sent()))
}

/// Sign in with email and password; sets the session cookie.
#[utoipa::path(post, path = "/api/session", tag = "accounts", request_body = SessionIn,
    responses(
        (status = 200, body = SessionOut, description = "Signed in; sets the session cookie"),
        (status = 401, body = ErrorBody, description = "Wrong email or password"),
        (status = 403, body = ErrorBody, description = "Email unconfirmed, account deactivated or organisation suspended"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(input): Json<SessionIn>,
) -> ApiResult<impl IntoResponse> {
    input.validate().map_err(ApiError::validation)?;
    let email = normalize_email(&input.email);
    limits::check(&state.limits.sign_in_by_ip, peer.ip().to_string())?;
    limits::check(&state.limits.sign_in_by_email, email.clone())?;

    let user = db::users::by_email(&state.db, &email).await?;
    let hash = user.as_ref().map_or_else(
        || state.dummy_password_hash.clone(),
        |u| u.password_hash.clone(),
    );
    let matches = crypto::verify_secret(input.password, hash).await?;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidCredentials,
                "That email and password don't match an account.",
            ));
        }
    };
    if user.email_confirmed_at.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::EmailUnconfirmed,
            "Confirm your email address first: open the link we mailed you.",
        ));
    }
    if !user.is_active() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AccountDeactivated,
            "Your account has been deactivated. Ask an admin of your organisation.",
        ));
    }
    let org = db::organisations::get(&state.db, &user.organisation_id).await?;
    if org.is_none_or(|o| o.status() == OrganisationStatus::Suspended) {
        return Err(suspended());
    }
    db::users::record_sign_in(&state.db, &user.id, state.now()).await?;
    let (cookie, session) = signed_in(&state, &user.id).await?;
    tracing::info!(user = %user.id, "signed in");
    Ok(([(header::SET_COOKIE, cookie)], Json(session)))
}

/// The signed-in user and their organisation.
#[utoipa::path(get, path = "/api/session", tag = "accounts",
    responses((status = 200, body = SessionOut), (status = 401, body = ErrorBody)))]
async fn current_session(current: CurrentUser) -> Json<SessionOut> {
    Json(current.to_out())
}

/// Sign out: ends the session on the server and clears the cookie.
#[utoipa::path(delete, path = "/api/session", tag = "accounts",
    responses((status = 204, description = "Signed out")))]
async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    if let Some(cookie) = CookieJar::from_headers(&headers).get(SESSION_COOKIE) {
        db::sessions::delete(&state.db, &crypto::token_hash(cookie.value())).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::clear_cookie(&state))],
    ))
}
