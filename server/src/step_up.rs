//! Step-up: sensitive actions need the acting user's security PIN. Wrong PINs
//! are counted; too many lock the PIN for a while.

use axum::http::StatusCode;
use portal_contract::ErrorCode;

use crate::crypto;
use crate::db::{self, users::User};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Wrong PINs in a row before the PIN locks.
pub const MAX_ATTEMPTS: i64 = 5;
/// How long a locked PIN stays locked.
pub const LOCK_SECS: i64 = 15 * 60;

/// Checks `pin` against `user`'s; answers 403 `invalid_pin` (on the `pin`
/// field) or 429 `pin_locked` with `Retry-After`.
pub async fn verify_pin(state: &AppState, user: &User, pin: &str) -> ApiResult<()> {
    let now = state.now();
    // The row, not the session's snapshot: attempts may come from several tabs.
    let (attempts, locked_until) = db::users::pin_state(&state.db, &user.id).await?;
    if let Some(until) = locked_until.filter(|&until| until > now) {
        return Err(locked(until - now));
    }
    if crypto::verify_secret(pin.to_owned(), user.pin_hash.clone()).await? {
        if attempts > 0 || locked_until.is_some() {
            db::users::set_pin_state(&state.db, &user.id, 0, None).await?;
        }
        return Ok(());
    }
    let attempts = attempts + 1;
    if attempts >= MAX_ATTEMPTS {
        db::users::set_pin_state(&state.db, &user.id, 0, Some(now + LOCK_SECS)).await?;
        tracing::warn!(user = %user.id, "security PIN locked after repeated wrong PINs");
        return Err(locked(LOCK_SECS));
    }
    db::users::set_pin_state(&state.db, &user.id, attempts, None).await?;
    let left = MAX_ATTEMPTS - attempts;
    let message = format!(
        "That PIN is wrong. {left} more wrong {} will lock it for 15 minutes.",
        if left == 1 { "try" } else { "tries" }
    );
    let mut error = ApiError::field("pin", message.clone());
    error = error.with_status(StatusCode::FORBIDDEN, ErrorCode::InvalidPin, message);
    Err(error)
}

fn locked(secs: i64) -> ApiError {
    let minutes = (secs.max(1) as u64).div_ceil(60);
    ApiError::rate_limited(secs.max(1) as u64).with_status(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::PinLocked,
        format!(
            "Your PIN is locked after too many wrong tries. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        ),
    )
}
