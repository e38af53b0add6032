//! Rate limits, keyed by client address, account, client id or credential.
//!
//! One machine: `governor` (the engine behind tower_governor) in the
//! process. Several instances: the same cell rate (GCRA) kept in Redis, so a
//! limit holds in total however many instances serve the requests; one
//! script call per request checks every limit it names. tower_governor's
//! layer doesn't fit: the keys include the email in the body, and a breach
//! must answer the API's own JSON error with `Retry-After`.
//!
//! In Redis the time is Redis' own (`TIME`), so an instance whose clock is
//! off neither shifts nor frees anyone's limits; in process, and in tests
//! (whose clock is the only time there is), the server's [`Clock`]. If
//! Redis stops answering, each instance limits requests itself, to its
//! share of each limit (`PORTAL_INSTANCES`), and stops asking Redis for a
//! few seconds at a time instead of waiting on it at every request: a
//! rate-limit store must not take the portal down with it.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use hmac::{Hmac, Mac};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto;
use crate::error::{ApiError, ApiResult};

/// Each rate limit the portal keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Sign-in attempts from one client address.
    SignInByAddress,
    /// Sign-in attempts for one account, from browsers that haven't signed
    /// in as it before.
    SignInByEmail,
    /// Sign-in attempts from one browser that has signed in as the account
    /// before (its device cookie).
    SignInByDevice,
    /// Sign-ups and "send the link again" from one client address.
    SignUpByAddress,
    /// Password checks of a signed-in user (changing password or PIN).
    PasswordByUser,
    /// Token requests from one client address.
    TokenByAddress,
    /// Failed token requests for one client id, from anywhere.
    TokenFailuresByClient,
    /// Tokens issued for one client id to one client address.
    TokenByClientAddress,
    /// Events published with the tokens of one credential.
    EventsByCredential,
    /// Events published with the tokens of one organisation's credentials.
    EventsByOrganisation,
    /// Test events and redeliveries one organisation asks for.
    WebhookSendsByOrganisation,
    /// Invitations sent (or sent again) by one member.
    InvitationsByInviter,
    /// Invitations sent (or sent again) by one organisation's members.
    InvitationsByOrganisation,
}

impl Limit {
    const ALL: [Limit; 13] = [
        Limit::SignInByAddress,
        Limit::SignInByEmail,
        Limit::SignInByDevice,
        Limit::SignUpByAddress,
        Limit::PasswordByUser,
        Limit::TokenByAddress,
        Limit::TokenFailuresByClient,
        Limit::TokenByClientAddress,
        Limit::EventsByCredential,
        Limit::EventsByOrganisation,
        Limit::WebhookSendsByOrganisation,
        Limit::InvitationsByInviter,
        Limit::InvitationsByOrganisation,
    ];

    /// The name in Redis keys and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Limit::SignInByAddress => "sign_in_by_address",
            Limit::SignInByEmail => "sign_in_by_email",
            Limit::SignInByDevice => "sign_in_by_device",
            Limit::SignUpByAddress => "sign_up_by_address",
            Limit::PasswordByUser => "password_by_user",
            Limit::TokenByAddress => "token_by_address",
            Limit::TokenFailuresByClient => "token_failures_by_client",
            Limit::TokenByClientAddress => "token_by_client_address",
            Limit::EventsByCredential => "events_by_credential",
            Limit::EventsByOrganisation => "events_by_organisation",
            Limit::WebhookSendsByOrganisation => "webhook_sends_by_organisation",
            Limit::InvitationsByInviter => "invitations_by_inviter",
            Limit::InvitationsByOrganisation => "invitations_by_organisation",
        }
    }

    /// (`burst`, `every`): `burst` at once, then one more every `every`.
    fn rule(self, config: &Config) -> (u32, Duration) {
        // n in a burst, or spread evenly over the period.
        let per = |n: u32, period: Duration| (n, period / n);
        let minute = Duration::from_secs(60);
        let second = Duration::from_secs(1);
        let tokens = config.token_requests_per_second.max(1);
        match self {
            Limit::SignInByAddress => per(config.sign_ins_per_minute.max(1), minute),
            // Five tries, then one a minute: an account under attack is
            // slowed to a crawl.
            Limit::SignInByEmail | Limit::SignInByDevice => {
                (config.account_sign_ins.max(1), minute)
            }
            Limit::SignUpByAddress => per(config.sign_ups_per_hour.max(1), 60 * minute),
            Limit::PasswordByUser => (5, minute),
            Limit::TokenByAddress => per(tokens.saturating_mul(4), second),
            Limit::TokenFailuresByClient | Limit::TokenByClientAddress => per(tokens, second),
            Limit::EventsByCredential => per(config.events_per_second.max(1), second),
            Limit::EventsByOrganisation => {
                per(config.organisation_events_per_second.max(1), second)
            }
            // A person clicking "send test event" or "redeliver": plenty for
            // that, too few to relay traffic through the portal.
            Limit::WebhookSendsByOrganisation => per(30, minute),
            Limit::InvitationsByInviter => per(config.invitations_per_hour.max(1), 60 * minute),
            Limit::InvitationsByOrganisation => per(
                config.invitations_per_hour.max(1).saturating_mul(5),
                60 * minute,
            ),
        }
    }
}

/// The server's clock as governor reads it.
#[derive(Clone)]
pub struct LimiterClock(Arc<dyn Clock>);

impl governor::clock::Clock for LimiterClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.0.now_nanos().max(0) as u64)
    }
}

/// One in-process limiter: a bucket per key.
type Limiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, LimiterClock, NoOpMiddleware<Nanos>>;

/// A limit of the whole instance, whoever asks.
type InstanceLimiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    LimiterClock,
    NoOpMiddleware<Nanos>,
>;

pub struct Limits {
    clock: Arc<dyn Clock>,
    /// Sign-ins from browsers the account doesn't know, on this instance.
    strangers_sign_ins: InstanceLimiter,
    /// (burst, every) per [`Limit`], in the order of [`Limit::ALL`].
    rules: Vec<(u32, Duration)>,
    local: Vec<Limiter>,
    shared: Option<Shared>,
}

/// Limits kept in Redis.
struct Shared {
    redis: ConnectionManager,
    /// Key prefix: several portals can share one Redis.
    prefix: String,
    /// Names the keys (HMAC of the limited value): Redis holds no email
    /// address or client id, nor a plain hash that would confirm a guess.
    key: [u8; 32],
    /// Whether to read Redis' clock (the machine's clock may be off).
    redis_time: bool,
    script: redis::Script,
    /// Redis failed last time: the next success is worth a log line.
    failing: AtomicBool,
    /// Until when (milliseconds since `started`) Redis is not asked: it
    /// failed, and a request shouldn't wait on it again so soon.
    resting_until: AtomicU64,
    started: Instant,
}

/// How long Redis is left alone after it failed, before a request tries it
/// again.
const REST: Duration = Duration::from_secs(5);

/// GCRA for the keys of one request, in one round trip, in order: each key
/// holds its theoretical arrival time (microseconds, on Redis' clock, or a
/// test's); a request is allowed when that time, less the burst tolerance,
/// has come. As in process, a unit taken from an earlier key stays taken
/// when a later one refuses (a refused sign-in still counts for the
/// address). ARGV[1] is now, or empty for Redis' `TIME`; then per key its
/// emission interval and burst tolerance. Returns 0, or the microseconds to
/// wait and which key refused. Numbers are written with "%.0f": Lua would
/// print 16-digit microseconds in exponent form.
const GCRA: &str = r#"
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
for i, key in ipairs(KEYS) do
  local every = tonumber(ARGV[2 * i])
  local tolerance = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  if tat - tolerance > now then
    return {string.format('%.0f', tat - tolerance - now), i}
  end
  local ttl = math.max(1, math.ceil((tat + every - now) / 1000))
  redis.call('SET', key, string.format('%.0f', tat + every), 'PX', string.format('%.0f', ttl))
end
return {'0', 0}
"#;

/// How long a request waits for Redis before it is limited locally instead.
const REDIS_WAIT: Duration = Duration::from_millis(500);

impl Limits {
    /// In-process limits, or shared ones when `PORTAL_REDIS_URL` is set.
    /// An unreachable Redis doesn't stop the start: limits are per instance
    /// until it answers.
    pub async fn new(
        config: &Config,
        clock: Arc<dyn Clock>,
        key: [u8; 32],
    ) -> anyhow::Result<Self> {
        let rules: Vec<_> = Limit::ALL.iter().map(|l| l.rule(config)).collect();
        let governor_clock = LimiterClock(clock.clone());
        // In process, alone: the whole limit. Standing in for Redis: this
        // instance's share, so the instances together allow what Redis would.
        let share = if config.redis_url.is_some() {
            config.instances.max(1)
        } else {
            1
        };
        let local = rules
            .iter()
            .map(|&(burst, every)| (burst.div_ceil(share), every * share))
            .map(|(burst, every)| {
                let quota = Quota::with_period(every)
                    .expect("non-zero period")
                    .allow_burst(NonZeroU32::new(burst).expect("non-zero burst"));
                RateLimiter::dashmap_with_clock(quota, governor_clock.clone())
            })
            .collect();
        let shared = match &config.redis_url {
            None => {
                tracing::info!(
                    "rate limits are per instance (set PORTAL_REDIS_URL to share them between instances)"
                );
                None
            }
            Some(url) => Some(
                Shared::connect(url, &config.redis_prefix, key, clock.is_machine_clock()).await?,
            ),
        };
        // A second's worth at once, refilled through the second.
        let per_second = match config.sign_ins_per_second {
            0 => 20 * u32::try_from(crypto::hashing_slots(config.hashing_concurrency)).unwrap_or(1),
            n => n,
        };
        let strangers_sign_ins = RateLimiter::direct_with_clock(
            Quota::per_second(NonZeroU32::new(per_second).expect("non-zero")),
            governor_clock.clone(),
        );
        Ok(Self {
            clock,
            strangers_sign_ins,
            rules,
            local,
            shared,
        })
    }

    /// Takes one unit of each limit for its key, or answers 429 with how long
    /// to wait.
    /// A sign-in from a browser the account doesn't know, within this
    /// instance's budget for them (all addresses together: the per-address
    /// limits can't see a flood from many), else 503 with `Retry-After`
    /// before its password is checked. The account's known browsers aren't counted: its
    /// owner signs in through a flood.
    pub fn strangers_sign_in(&self) -> ApiResult<()> {
        self.strangers_sign_ins
            .check()
            .map_err(|_| ApiError::busy())
    }

    pub async fn check(&self, checks: &[(Limit, &str)]) -> ApiResult<()> {
        self.wait(checks).await.map_err(ApiError::rate_limited)
    }

    /// Takes one unit of each limit for its key, or says how many seconds to
    /// wait.
    pub async fn wait(&self, checks: &[(Limit, &str)]) -> Result<(), u64> {
        let outcome = match &self.shared {
            Some(shared) if !shared.resting() => match shared.wait(self, checks).await {
                Ok(outcome) => outcome,
                Err(()) => self.wait_locally(checks),
            },
            _ => self.wait_locally(checks),
        };
        outcome.map_err(|(limit, micros)| {
            metrics::counter!("portal_rate_limited_total", "limit" => limit.name()).increment(1);
            seconds(micros)
        })
    }

    /// `Err`: the limit that refused, and the microseconds to wait.
    fn wait_locally(&self, checks: &[(Limit, &str)]) -> Result<(), (Limit, u64)> {
        for &(limit, key) in checks {
            let limiter = &self.local[limit as usize];
            limiter.check_key(&key.to_owned()).map_err(|not_until| {
                let wait = not_until.wait_time_from(limiter.clock().now());
                (limit, wait.as_micros() as u64)
            })?;
        }
        Ok(())
    }

    /// Whether the limits are shared, and if so whether Redis answers.
    pub async fn status(&self) -> LimitsStatus {
        match &self.shared {
            None => LimitsStatus::PerInstance,
            Some(shared) => {
                let mut redis = shared.redis.clone();
                let ping = redis::cmd("PING");
                match tokio::time::timeout(REDIS_WAIT, ping.query_async::<String>(&mut redis)).await
                {
                    Ok(Ok(_)) => LimitsStatus::Shared,
                    _ => LimitsStatus::Unreachable,
                }
            }
        }
    }

    /// Forgets in-process keys that are back to a full burst, so memory
    /// stays bounded. (Redis keys expire by themselves.)
    pub fn prune(&self) {
        for limiter in &self.local {
            limiter.retain_recent();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitsStatus {
    PerInstance,
    Shared,
    Unreachable,
}

impl Shared {
    async fn connect(
        url: &str,
        prefix: &str,
        key: [u8; 32],
        redis_time: bool,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context(
            "PORTAL_REDIS_URL is not a Redis URL; write it as redis://HOST:PORT or redis://HOST:PORT/DB",
        )?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(REDIS_WAIT))
            .set_number_of_retries(2);
        let redis = ConnectionManager::new_lazy_with_config(client, config)?;
        let shared = Self {
            redis,
            prefix: prefix.to_owned(),
            key,
            redis_time,
            script: redis::Script::new(GCRA),
            failing: AtomicBool::new(false),
            resting_until: AtomicU64::new(0),
            started: Instant::now(),
        };
        let mut redis = shared.redis.clone();
        let ping = redis::cmd("PING");
        match tokio::time::timeout(REDIS_WAIT * 2, ping.query_async::<String>(&mut redis)).await {
            Ok(Ok(_)) => tracing::info!("rate limits are shared by every instance through Redis"),
            _ => {
                shared.failing.store(true, Ordering::Relaxed);
                tracing::warn!("Redis does not answer: rate limits are per instance until it does");
            }
        }
        Ok(shared)
    }

    /// As [`Limits::wait_locally`]; `Err` when Redis didn't answer in time.
    async fn wait(
        &self,
        limits: &Limits,
        checks: &[(Limit, &str)],
    ) -> Result<Result<(), (Limit, u64)>, ()> {
        let mut call = self.script.prepare_invoke();
        if self.redis_time {
            call.arg("");
        } else {
            call.arg(limits.clock.now_nanos().max(0) / 1_000);
        }
        for &(limit, key) in checks {
            let (burst, every) = limits.rules[limit as usize];
            // The tolerance from the exact interval: at a million a second
            // the interval rounds to 0 µs, and the burst must not with it.
            let tolerance = every * (burst - 1);
            call.key(self.key(limit, key))
                .arg(every.as_micros() as u64)
                .arg(tolerance.as_micros() as u64);
        }
        let mut redis = self.redis.clone();
        let answer = call.invoke_async::<(u64, usize)>(&mut redis);
        match tokio::time::timeout(REDIS_WAIT, answer).await {
            Ok(Ok((wait, refused))) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis answers again: rate limits are shared");
                }
                Ok(match checks.get(refused.wrapping_sub(1)) {
                    Some(&(limit, _)) if wait > 0 => Err((limit, wait)),
                    _ => Ok(()),
                })
            }
            Ok(Err(error)) => self.failed(&error),
            Err(_) => self.failed(&"no answer in time"),
        }
    }

    /// Whether Redis failed too recently to be asked again.
    fn resting(&self) -> bool {
        self.millis() < self.resting_until.load(Ordering::Relaxed)
    }

    fn millis(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Notes a failed call (logged when Redis stops answering, not each
    /// time), and leaves Redis alone for a while.
    fn failed<T>(&self, error: &dyn std::fmt::Display) -> Result<T, ()> {
        self.resting_until
            .store(self.millis() + REST.as_millis() as u64, Ordering::Relaxed);
        metrics::counter!("portal_rate_limit_store_errors_total").increment(1);
        if !self.failing.swap(true, Ordering::Relaxed) {
            tracing::warn!(%error, "Redis failed: rate limits are per instance until it answers");
        }
        Err(())
    }

    /// HMAC'd with the server's key: Redis holds no email addresses or
    /// client ids, and nothing to check a guess against.
    fn key(&self, limit: Limit, key: &str) -> String {
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.key).expect("32 bytes");
        mac.update(key.as_bytes());
        let digest = mac.finalize().into_bytes();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}:rl:{}:{hex}", self.prefix, limit.name())
    }
}

/// Whole seconds to wait, at least one, as `Retry-After` says it.
fn seconds(micros: u64) -> u64 {
    micros.div_ceil(1_000_000).max(1)
}
