//! Rate limits, keyed by client address or by account. Built on `governor`
//! (the engine behind tower_governor) rather than tower_governor's layer: the
//! keys include the email in the body, and a breach must answer the API's own
//! JSON error with `Retry-After`.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;
use crate::error::{ApiError, ApiResult};

pub struct Limits {
    /// Sign-in attempts from one address.
    pub sign_in_by_ip: DefaultKeyedRateLimiter<String>,
    /// Sign-in attempts for one account, from anywhere.
    pub sign_in_by_email: DefaultKeyedRateLimiter<String>,
    /// Sign-ups and "send the link again" from one address.
    pub sign_up_by_ip: DefaultKeyedRateLimiter<String>,
    /// Password checks of a signed-in user (changing password or PIN).
    pub password_by_user: DefaultKeyedRateLimiter<String>,
    /// Token requests from one address.
    pub token_by_ip: DefaultKeyedRateLimiter<String>,
    /// Token requests for one client id, from anywhere.
    pub token_by_client: DefaultKeyedRateLimiter<String>,
    /// Events published with the tokens of one credential.
    pub events_by_credential: DefaultKeyedRateLimiter<String>,
}

/// `burst` at once, then one more every `every`.
fn quota(burst: u32, every: Duration) -> Quota {
    Quota::with_period(every)
        .expect("non-zero period")
        .allow_burst(NonZeroU32::new(burst).expect("non-zero burst"))
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        let sign_ups = config.sign_ups_per_hour.max(1);
        let tokens = config.token_requests_per_second.max(1);
        let events = config.events_per_second.max(1);
        Self {
            sign_in_by_ip: RateLimiter::keyed(quota(30, Duration::from_secs(2))),
            sign_in_by_email: RateLimiter::keyed(quota(5, Duration::from_secs(60))),
            sign_up_by_ip: RateLimiter::keyed(quota(
                sign_ups,
                Duration::from_secs(3600) / sign_ups,
            )),
            password_by_user: RateLimiter::keyed(quota(5, Duration::from_secs(60))),
            token_by_ip: RateLimiter::keyed(quota(
                tokens.saturating_mul(4),
                Duration::from_secs(1) / tokens.saturating_mul(4),
            )),
            token_by_client: RateLimiter::keyed(quota(tokens, Duration::from_secs(1) / tokens)),
            events_by_credential: RateLimiter::keyed(quota(
                events,
                Duration::from_secs(1) / events,
            )),
        }
    }

    /// Forgets keys that are back to a full burst, so memory stays bounded.
    pub fn prune(&self) {
        self.sign_in_by_ip.retain_recent();
        self.sign_in_by_email.retain_recent();
        self.sign_up_by_ip.retain_recent();
        self.password_by_user.retain_recent();
        self.token_by_ip.retain_recent();
        self.token_by_client.retain_recent();
        self.events_by_credential.retain_recent();
    }
}

/// Takes one unit for `key`, or answers 429 with how long to wait.
pub fn check(limiter: &DefaultKeyedRateLimiter<String>, key: impl Into<String>) -> ApiResult<()> {
    wait(limiter, key).map_err(ApiError::rate_limited)
}

/// Takes one unit for `key`, or says how many seconds to wait.
pub fn wait(limiter: &DefaultKeyedRateLimiter<String>, key: impl Into<String>) -> Result<(), u64> {
    limiter.check_key(&key.into()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        (wait.as_secs_f64().ceil() as u64).max(1)
    })
}
