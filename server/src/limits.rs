//! Rate limits, keyed by client address or by account. Built on `governor`
//! (the engine behind tower_governor) rather than tower_governor's layer: the
//! keys include the email in the body, and a breach must answer the API's own
//! JSON error with `Retry-After`. The limiters read the server's [`Clock`],
//! so tests move time for them as for everything else.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{ApiError, ApiResult};

/// The server's clock as governor reads it.
#[derive(Clone)]
pub struct LimiterClock(Arc<dyn Clock>);

impl governor::clock::Clock for LimiterClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.0.now_nanos().max(0) as u64)
    }
}

/// One limiter: a bucket per key.
pub type Limiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, LimiterClock, NoOpMiddleware<Nanos>>;

pub struct Limits {
    /// Sign-in attempts from one address.
    pub sign_in_by_ip: Limiter,
    /// Sign-in attempts for one account, from anywhere.
    pub sign_in_by_email: Limiter,
    /// Sign-ups and "send the link again" from one address.
    pub sign_up_by_ip: Limiter,
    /// Password checks of a signed-in user (changing password or PIN).
    pub password_by_user: Limiter,
    /// Token requests from one address.
    pub token_by_ip: Limiter,
    /// Token requests for one client id, from anywhere.
    pub token_by_client: Limiter,
    /// Events published with the tokens of one credential.
    pub events_by_credential: Limiter,
}

/// `burst` at once, then one more every `every`.
fn quota(burst: u32, every: Duration) -> Quota {
    Quota::with_period(every)
        .expect("non-zero period")
        .allow_burst(NonZeroU32::new(burst).expect("non-zero burst"))
}

impl Limits {
    pub fn new(config: &Config, clock: Arc<dyn Clock>) -> Self {
        let clock = LimiterClock(clock);
        let limiter = |q: Quota| RateLimiter::dashmap_with_clock(q, clock.clone());
        let sign_ins = config.sign_ins_per_minute.max(1);
        let sign_ups = config.sign_ups_per_hour.max(1);
        let tokens = config.token_requests_per_second.max(1);
        let events = config.events_per_second.max(1);
        Self {
            sign_in_by_ip: limiter(quota(sign_ins, Duration::from_secs(60) / sign_ins)),
            sign_in_by_email: limiter(quota(5, Duration::from_secs(60))),
            sign_up_by_ip: limiter(quota(sign_ups, Duration::from_secs(3600) / sign_ups)),
            password_by_user: limiter(quota(5, Duration::from_secs(60))),
            token_by_ip: limiter(quota(
                tokens.saturating_mul(4),
                Duration::from_secs(1) / tokens.saturating_mul(4),
            )),
            token_by_client: limiter(quota(tokens, Duration::from_secs(1) / tokens)),
            events_by_credential: limiter(quota(events, Duration::from_secs(1) / events)),
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
pub fn check(limiter: &Limiter, key: impl Into<String>) -> ApiResult<()> {
    wait(limiter, key).map_err(ApiError::rate_limited)
}

/// Takes one unit for `key`, or says how many seconds to wait.
pub fn wait(limiter: &Limiter, key: impl Into<String>) -> Result<(), u64> {
    limiter.check_key(&key.into()).map_err(|not_until| {
        let wait = not_until.wait_time_from(limiter.clock().now());
        (wait.as_secs_f64().ceil() as u64).max(1)
    })
}
