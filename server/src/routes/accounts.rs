//! Sign-up, email confirmation and sessions (sign-in, who am I, sign-out).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse};
use axum_extra::extract::CookieJar;
use portal_contract::accounts::{
    MailSentOut, SessionIn, SessionOut, SignUpConfirmIn, SignUpIn, SignUpResendIn,
};
use portal_contract::{ErrorBody, SESSION_COOKIE};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, CurrentUser};
use crate::client_address::ClientAddress;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::services::accounts;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(confirm))
        .routes(routes!(resend))
        .routes(routes!(sign_in, current_session, sign_out))
}

fn mail_sent() -> (StatusCode, Json<MailSentOut>) {
    (
        StatusCode::ACCEPTED,
        Json(MailSentOut {
            message: "Check your inbox: we sent you a link to confirm your email address.".into(),
        }),
    )
}

/// Create an organisation and its first superadmin, and mail a confirmation
/// link. Answers the same whether or not the address already has an account.
#[utoipa::path(post, path = "/api/signup", tag = "accounts", request_body = SignUpIn,
    responses(
        (status = 202, body = MailSentOut, description = "Confirmation mail sent"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Too many password checks at once; see Retry-After")))]
async fn sign_up(
    State(state): State<AppState>,
    from: ClientAddress,
    Json(input): Json<SignUpIn>,
) -> ApiResult<(StatusCode, Json<MailSentOut>)> {
    accounts::sign_up(&state, from, input).await?;
    Ok(mail_sent())
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
    let (cookies, session) = accounts::confirm(&state, &input.token).await?;
    Ok((
        AppendHeaders(cookies.map(|c| (header::SET_COOKIE, c))),
        Json(session),
    ))
}

/// Mail a new confirmation link. Answers the same for any address.
#[utoipa::path(post, path = "/api/signup/resend", tag = "accounts", request_body = SignUpResendIn,
    responses((status = 202, body = MailSentOut), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn resend(
    State(state): State<AppState>,
    from: ClientAddress,
    Json(input): Json<SignUpResendIn>,
) -> ApiResult<(StatusCode, Json<MailSentOut>)> {
    accounts::resend(&state, from, input).await?;
    Ok(mail_sent())
}

/// Sign in with email and password; sets the session cookie.
#[utoipa::path(post, path = "/api/session", tag = "accounts", request_body = SessionIn,
    responses(
        (status = 200, body = SessionOut, description = "Signed in; sets the session cookie"),
        (status = 401, body = ErrorBody, description = "Wrong email or password"),
        (status = 403, body = ErrorBody, description = "Email unconfirmed, account deactivated or organisation suspended"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Too many password checks at once; see Retry-After")))]
async fn sign_in(
    State(state): State<AppState>,
    from: ClientAddress,
    headers: HeaderMap,
    Json(input): Json<SessionIn>,
) -> ApiResult<impl IntoResponse> {
    let device = CookieJar::from_headers(&headers)
        .get(auth::DEVICE_COOKIE)
        .map(|c| c.value().to_owned());
    let (cookies, session) = accounts::sign_in(&state, from, device.as_deref(), input).await?;
    Ok((
        AppendHeaders(cookies.map(|c| (header::SET_COOKIE, c))),
        Json(session),
    ))
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
        accounts::sign_out(&state, cookie.value()).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::clear_cookie(&state))],
    ))
}
