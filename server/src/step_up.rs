//! Step-up: sensitive actions need the acting user's security PIN. Wrong PINs
//! are counted; too many lock the PIN for a while.

use portal_contract::ErrorCode;

use crate::crypto::{self, Caller};
use crate::error::{ApiError, ApiResult, Failure};
use crate::state::AppState;
use crate::store::users::{self, User};

/// Wrong PINs in a row before the PIN locks.
pub const MAX_ATTEMPTS: i64 = 5;
/// How long a locked PIN stays locked.
pub const LOCK_SECS: i64 = 15 * 60;

/// Checks `pin` against `user`'s; answers 403 `invalid_pin` (on the `pin`
/// field) or 429 `pin_locked` with `Retry-After`.
pub async fn verify_pin(state: &AppState, user: &User, pin: &str) -> ApiResult<()> {
    let now = state.now();
    let Some(attempt) = users::take_pin_attempt(&state.store, &user.id, now).await? else {
        let until = users::pin_locked_until(&state.store, &user.id).await?;
        return Err(locked(until.unwrap_or(now) - now));
    };
    if attempt > MAX_ATTEMPTS {
        // Other attempts running at the same time used up the allowance.
        users::set_pin_state(&state.store, &user.id, 0, Some(now + LOCK_SECS)).await?;
        return Err(locked(LOCK_SECS));
    }
    if crypto::verify_secret(
        &state.hash_gate,
        Caller::Known,
        pin.to_owned(),
        user.pin_hash.clone(),
    )
    .await?
    {
        users::set_pin_state(&state.store, &user.id, 0, None).await?;
        return Ok(());
    }
    if attempt == MAX_ATTEMPTS {
        users::set_pin_state(&state.store, &user.id, 0, Some(now + LOCK_SECS)).await?;
        tracing::warn!(user = %user.id, "security PIN locked after repeated wrong PINs");
        return Err(locked(LOCK_SECS));
    }
    let left = MAX_ATTEMPTS - attempt;
    let message = format!(
        "That PIN is wrong. {left} more wrong {} will lock it for 15 minutes.",
        if left == 1 { "try" } else { "tries" }
    );
    Err(ApiError::field("pin", message.clone()).with(
        Failure::Forbidden,
        ErrorCode::InvalidPin,
        message,
    ))
}

fn locked(secs: i64) -> ApiError {
    let minutes = (secs.max(1) as u64).div_ceil(60);
    ApiError::rate_limited(secs.max(1) as u64).with(
        Failure::RateLimited,
        ErrorCode::PinLocked,
        format!(
            "Your PIN is locked after too many wrong tries. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        ),
    )
}
