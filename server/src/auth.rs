//! Server-side sessions: the cookie holds 256 random bits, the table holds
//! their SHA-256. Sessions slide forward while used, up to a hard maximum.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portal_contract::accounts::{OrganisationStatus, SessionOut};
use portal_contract::{Permission, SESSION_COOKIE};

use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::services::wire::session_out;
use crate::state::AppState;
use crate::store::organisations::Organisation;
use crate::store::sessions::{self, Session};
use crate::store::users::User;

/// Renewing a session writes to the database; do it at most this often.
const TOUCH_EVERY_SECS: i64 = 60;

/// The signed-in user behind a request. Extracting it fails with 401.
#[derive(Clone)]
pub struct CurrentUser {
    pub user: User,
    pub org: Organisation,
    pub session_hash: Vec<u8>,
    pub expires_at: i64,
}

portal_contract::redacted_debug!(CurrentUser { user, org, expires_at } secret { session_hash });

impl CurrentUser {
    /// 403 unless the user's role has `permission`.
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.user.role.can(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "Your role doesn't allow this. Ask an admin of your organisation.",
            ))
        }
    }

    pub fn to_out(&self) -> SessionOut {
        session_out(&self.user, &self.org, self.expires_at)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or_else(ApiError::unauthenticated)?;
        let hash = crypto::token_hash(&token);
        let (session, user, org) = sessions::lookup(&state.store, &hash)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let now = state.now();
        let suspended = org.status == OrganisationStatus::Suspended;
        if session.expires_at <= now || !user.is_active() || suspended {
            sessions::delete(&state.store, &hash).await?;
            return Err(ApiError::unauthenticated());
        }
        let mut expires_at = session.expires_at;
        if now - session.last_seen_at >= TOUCH_EVERY_SECS {
            expires_at = slide(state, session.created_at, now);
            sessions::touch(&state.store, &hash, now, expires_at).await?;
        }
        Ok(Self {
            user,
            org,
            session_hash: hash,
            expires_at,
        })
    }
}

/// When a session used at `now` ends: after the idle time, capped by the
/// maximum lifetime.
fn slide(state: &AppState, created_at: i64, now: i64) -> i64 {
    let idle = now + state.config.session_idle_minutes * 60;
    let max = created_at + state.config.session_max_hours * 3600;
    idle.min(max)
}

/// The `Set-Cookie` values of a sign-in: the session, and the device.
pub type SignInCookies = [String; 2];

/// The cookie of a browser that has signed in as a user before. Sign-in
/// attempts from it are limited on their own, so a stranger's wrong
/// passwords, which lock the account for unknown browsers, don't lock its
/// owner out of the browsers they use (OWASP's "device cookies").
pub const DEVICE_COOKIE: &str = "portal_device";
const DEVICE_DAYS: i64 = 180;

/// A device cookie for `user`: a random nonce and its MAC with the user and
/// their password.
fn device_cookie(state: &AppState, user: &User) -> String {
    let nonce = crypto::random_token();
    let mac = device_mac(state, user, &nonce);
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{DEVICE_COOKIE}={nonce}.{mac}; HttpOnly; SameSite=Strict; Path=/api/session; Max-Age={}{secure}",
        DEVICE_DAYS * 86_400
    )
}

/// The MAC binds the cookie to the user and to their current password (its
/// stored hash, salted anew at each change): a password change, the answer
/// to a stolen password, ends every device cookie, including a thief's.
fn device_mac(state: &AppState, user: &User, nonce: &str) -> String {
    let password = URL_SAFE_NO_PAD.encode(crypto::token_hash(&user.password_hash));
    let mac = state
        .vault
        .device_mac(&format!("{}.{nonce}.{password}", user.id));
    URL_SAFE_NO_PAD.encode(&mac[..16])
}

/// How many devices of a user have sign-in attempts of their own. Every
/// sign-in hands out a new device cookie, so their number has no bound; the
/// limiter's buckets have one: a cookie's bucket is one of this many of its
/// user's (by its nonce). However many cookies a user's browsers collect,
/// they add up to at most this many buckets of attempts, and of keys in the
/// limiter's store.
pub const DEVICE_BUCKETS: u8 = 8;

/// The limiter key of the device when `cookie` is a device cookie made for
/// `user` since their password last changed: the user and one of their
/// `DEVICE_BUCKETS`.
pub fn known_device(state: &AppState, cookie: Option<&str>, user: &User) -> Option<String> {
    let (nonce, mac) = cookie?.split_once('.')?;
    let expected = device_mac(state, user, nonce);
    if !crypto::same(expected.as_bytes(), mac.as_bytes()) {
        return None;
    }
    let bucket = crypto::token_hash(nonce)[0] % DEVICE_BUCKETS;
    Some(format!("{}.{bucket}", user.id))
}

/// Starts a session for `user_id`; returns the `Set-Cookie` values (the
/// session's, a new device cookie) and when the session ends.
pub async fn start_session(state: &AppState, user: &User) -> ApiResult<(SignInCookies, i64)> {
    let user_id = &user.id;
    let token = crypto::random_token();
    let now = state.now();
    let expires_at = slide(state, now, now);
    sessions::insert(
        &state.store,
        &Session {
            id_hash: crypto::token_hash(&token),
            user_id: user_id.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at,
        },
    )
    .await?;
    let max_age = state.config.session_max_hours * 3600;
    let cookies = [cookie(state, &token, max_age), device_cookie(state, user)];
    Ok((cookies, expires_at))
}

/// A `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> String {
    cookie(state, "", 0)
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    )
}
