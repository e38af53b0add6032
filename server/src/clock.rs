//! Time as the server sees it. Tests hold a [`TestClock`] still and move it
//! forward instead of sleeping through session, token, retry and rate-limit
//! waits; the rate limiters read the same clock (see `limits.rs`).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync + 'static {
    /// Nanoseconds since the Unix epoch.
    fn now_nanos(&self) -> i64;

    /// Unix seconds.
    fn now(&self) -> i64 {
        self.now_nanos().div_euclid(1_000_000_000)
    }

    /// The operating system's clock, which may be off by a little or a lot
    /// on one machine: what several instances must agree on (the shared
    /// rate limits) then reads another clock (Redis'). A test's clock is
    /// the only time there is, and everything reads it.
    fn is_machine_clock(&self) -> bool {
        false
    }
}

/// The operating system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_nanos(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or_default()
    }

    fn is_machine_clock(&self) -> bool {
        true
    }
}

/// A clock that stands still where it was made until a test moves it, so
/// that "5 seconds later" is exactly 5 seconds later however slowly the
/// machine runs.
pub struct TestClock {
    nanos: AtomicI64,
}

impl Default for TestClock {
    fn default() -> Self {
        // A whole second, so that moving by whole seconds lands on them.
        let start = SystemClock.now() * 1_000_000_000;
        Self {
            nanos: AtomicI64::new(start),
        }
    }
}

impl TestClock {
    pub fn advance(&self, seconds: i64) {
        self.advance_nanos(seconds * 1_000_000_000);
    }

    pub fn advance_nanos(&self, nanos: i64) {
        self.nanos.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_nanos(&self) -> i64 {
        self.nanos.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_moves_only_when_told() {
        let clock = TestClock::default();
        let start = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), start);
        clock.advance(5);
        assert_eq!(clock.now(), start + 5);
        clock.advance_nanos(999_999_999);
        assert_eq!(clock.now(), start + 5);
        clock.advance_nanos(1);
        assert_eq!(clock.now(), start + 6);
    }
}
