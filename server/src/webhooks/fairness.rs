//! How the delivery worker shares its slots. Among the organisations with
//! work due, none holds more than its fair part: the worker's slots divided
//! among them and one more, so a newcomer always finds slots free, even
//! while two tenants' endpoints hang. An endpoint starts with two attempts
//! in flight and doubles them with each quick answer, up to its cap (slow
//! start: a new endpoint has to show it answers before it takes a share);
//! one that answers slowly, or hasn't answered for a second, is back to two.
//! A claim skips the deliveries of endpoints that are full
//! (`Fairness::full`), so the others' come next even when the full ones' are
//! older.
//!
//! Per worker: with several instances each keeps its own counts, so an
//! endpoint may have this many attempts in flight per instance. Exact shared
//! counts would cost a round trip per attempt, and the point is that no one
//! tenant takes a whole worker.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use portal_contract::ids::{EndpointId, OrganisationId};

/// Deliveries the worker sends at once: its slots.
pub const CONCURRENCY: usize = 64;

/// Attempts in flight to one endpoint, at most. As many as an organisation
/// alone may have: a quick endpoint holds its slots for milliseconds, and a
/// lower cap costs a busy one throughput (16 cut the benchmark's deliveries
/// to one endpoint by a third).
pub const ENDPOINT_IN_FLIGHT: usize = 32;
/// ... to a new endpoint, to one that answers slowly, or to one that has
/// not answered for `SLOW`: it grows from here as it answers quickly.
pub const SLOW_ENDPOINT_IN_FLIGHT: usize = 2;
/// An endpoint whose attempts take this long on average is slow.
const SLOW: Duration = Duration::from_secs(1);
/// An organisation refused a slot counts among those with work due this
/// long after.
const WAITED: Duration = Duration::from_secs(1);
/// Endpoints remembered while idle, at most (then the idle ones are forgotten).
const REMEMBERED: usize = 4096;

#[derive(Debug)]
struct Load {
    in_flight: usize,
    /// How many may be in flight now: grows with quick answers.
    window: usize,
    /// Moving average of its attempts' durations, in milliseconds.
    average_ms: Option<f64>,
    /// When an attempt last finished, or the first of those in flight began.
    heard: Instant,
}

impl Load {
    fn cap(&self, now: Instant) -> usize {
        let slow = self
            .average_ms
            .is_some_and(|ms| ms >= SLOW.as_millis() as f64);
        let silent = self.in_flight > 0 && now.duration_since(self.heard) >= SLOW;
        if slow || silent {
            SLOW_ENDPOINT_IN_FLIGHT
        } else {
            self.window
        }
    }
}

/// The worker's attempts in flight, by endpoint and by organisation.
#[derive(Debug, Default)]
pub struct Fairness {
    endpoints: HashMap<EndpointId, Load>,
    organisations: HashMap<OrganisationId, usize>,
    /// Organisations refused a slot, and when: they have work due.
    waiting: HashMap<OrganisationId, Instant>,
}

impl Fairness {
    /// An organisation's fair part of the worker now: the slots divided
    /// among the organisations with work due (in flight, or refused a slot
    /// lately) and one more, for whoever comes next.
    fn organisation_cap(&self, now: Instant) -> usize {
        let waiting = self
            .waiting
            .iter()
            .filter(|(org, at)| {
                now.duration_since(**at) < WAITED && !self.organisations.contains_key(*org)
            })
            .count();
        let due = self.organisations.len() + waiting;
        (CONCURRENCY / (due + 1)).max(1)
    }

    /// Takes a slot for an attempt to `endpoint` of `organisation` when both
    /// are under their caps; false when one is full (the delivery waits).
    pub fn admit(
        &mut self,
        endpoint: &EndpointId,
        organisation: &OrganisationId,
        now: Instant,
    ) -> bool {
        // Counted before the cap is worked out: asking is having work due.
        let holding = self.organisations.get(organisation).copied().unwrap_or(0);
        if holding == 0 {
            self.waiting.insert(organisation.clone(), now);
        }
        let org_cap = self.organisation_cap(now);
        let load = self.endpoints.entry(endpoint.clone()).or_insert(Load {
            in_flight: 0,
            window: SLOW_ENDPOINT_IN_FLIGHT,
            average_ms: None,
            heard: now,
        });
        if load.in_flight >= load.cap(now) || holding >= org_cap {
            self.waiting.insert(organisation.clone(), now);
            return false;
        }
        if load.in_flight == 0 {
            load.heard = now;
        }
        load.in_flight += 1;
        self.waiting.remove(organisation);
        *self.organisations.entry(organisation.clone()).or_default() += 1;
        true
    }

    /// Gives back the slot of an attempt that took `took`, ending `now`.
    pub fn finish(
        &mut self,
        endpoint: &EndpointId,
        organisation: &OrganisationId,
        took: Duration,
        now: Instant,
    ) {
        if let Some(load) = self.endpoints.get_mut(endpoint) {
            load.in_flight = load.in_flight.saturating_sub(1);
            load.heard = now;
            let ms = took.as_secs_f64() * 1000.0;
            // Recent attempts weigh most: a few quick answers end a back-off.
            load.average_ms = Some(load.average_ms.map_or(ms, |avg| 0.7 * avg + 0.3 * ms));
            load.window = if took >= SLOW {
                SLOW_ENDPOINT_IN_FLIGHT
            } else {
                (load.window * 2).min(ENDPOINT_IN_FLIGHT)
            };
        }
        if let Some(org) = self.organisations.get_mut(organisation) {
            *org = org.saturating_sub(1);
            if *org == 0 {
                self.organisations.remove(organisation);
            }
        }
        if self.endpoints.len() > REMEMBERED {
            self.endpoints.retain(|_, load| load.in_flight > 0);
        }
        if self.waiting.len() > REMEMBERED {
            self.waiting
                .retain(|_, at| now.duration_since(*at) < WAITED);
        }
    }

    /// The endpoints a claim should skip: full ones, and those of `known`
    /// (endpoint → organisation) whose organisation holds its fair part.
    pub fn full<'a>(
        &self,
        known: impl Iterator<Item = (&'a EndpointId, &'a OrganisationId)>,
        now: Instant,
    ) -> Vec<EndpointId> {
        let mut full: Vec<EndpointId> = self
            .endpoints
            .iter()
            .filter(|(_, load)| load.in_flight >= load.cap(now))
            .map(|(id, _)| id.clone())
            .collect();
        let org_cap = self.organisation_cap(now);
        if self.organisations.values().any(|n| *n >= org_cap) {
            full.extend(
                known
                    .filter(|(_, org)| self.organisations.get(*org).is_some_and(|n| *n >= org_cap))
                    .map(|(id, _)| id.clone()),
            );
        }
        full.sort_unstable();
        full.dedup();
        full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> (Vec<EndpointId>, OrganisationId) {
        let endpoints = (0..n).map(|i| EndpointId(format!("wh_{i}"))).collect();
        (endpoints, OrganisationId("org_a".into()))
    }

    const QUICK: Duration = Duration::from_millis(20);

    /// Quick answers from `endpoint` until its window is full size.
    fn warm(f: &mut Fairness, endpoint: &EndpointId, org: &OrganisationId, now: Instant) {
        for _ in 0..5 {
            assert!(f.admit(endpoint, org, now));
            f.finish(endpoint, org, QUICK, now);
        }
    }

    #[test]
    fn a_new_endpoint_starts_at_two_and_doubles_with_each_quick_answer() {
        let (wh, org) = ids(1);
        let now = Instant::now();
        let mut f = Fairness::default();
        let in_flight = |f: &mut Fairness| (0..64).filter(|_| f.admit(&wh[0], &org, now)).count();
        assert_eq!(in_flight(&mut f), 2);
        assert_eq!(f.full(std::iter::empty(), now), wh);
        let mut window = 2;
        while window < ENDPOINT_IN_FLIGHT {
            // A quick answer: one fewer in flight, and twice as many allowed.
            f.finish(&wh[0], &org, QUICK, now);
            let grown = (window * 2).min(ENDPOINT_IN_FLIGHT);
            assert_eq!(in_flight(&mut f), grown - (window - 1), "window {window}");
            window = grown;
        }
        assert!(!f.admit(&wh[0], &org, now), "{ENDPOINT_IN_FLIGHT} at most");
        // A slow answer: back to two.
        for _ in 0..ENDPOINT_IN_FLIGHT {
            f.finish(&wh[0], &org, SLOW, now);
        }
        assert_eq!(in_flight(&mut f), SLOW_ENDPOINT_IN_FLIGHT);
    }

    #[test]
    fn an_organisation_alone_holds_half_the_worker_and_its_fair_part_when_others_wait() {
        let (wh, org) = ids(3);
        let other = OrganisationId("org_b".into());
        let third = OrganisationId("org_c".into());
        let now = Instant::now();
        let mut f = Fairness::default();
        for endpoint in &wh {
            warm(&mut f, endpoint, &org, now);
        }
        // Alone: half the worker (the other half for whoever comes).
        let admitted = (0..CONCURRENCY)
            .filter(|i| f.admit(&wh[i % wh.len()], &org, now))
            .count();
        assert_eq!(admitted, CONCURRENCY / 2);
        // Its idle endpoint is skipped too; another organisation's isn't.
        let idle = EndpointId("wh_idle".into());
        let theirs = EndpointId("wh_theirs".into());
        let known = [(&idle, &org), (&theirs, &other)];
        let full = f.full(known.into_iter(), now);
        assert!(full.contains(&idle) && !full.contains(&theirs), "{full:?}");
        assert!(f.admit(&theirs, &other, now));
        // Two with work due: a third of the worker each, and a third free
        // for a newcomer, however many the first two ask for.
        let b: Vec<EndpointId> = (0..12).map(|i| EndpointId(format!("wh_b{i}"))).collect();
        let held_by_b = 1
            + (0..CONCURRENCY)
                .filter(|i| f.admit(&b[i % b.len()], &other, now))
                .count();
        assert_eq!(held_by_b, CONCURRENCY / 3);
        let newcomer = EndpointId("wh_c".into());
        assert!(f.admit(&newcomer, &third, now));
        // Now three are due: as the first's attempts end, its part shrinks
        // to a quarter, and it gets no slot back until it is under it.
        for _ in 0..=(CONCURRENCY / 2 - CONCURRENCY / 4) {
            assert!(!f.admit(&wh[0], &org, now));
            f.finish(&wh[0], &org, QUICK, now);
        }
        assert!(f.admit(&wh[0], &org, now));
    }

    #[test]
    fn a_slow_endpoint_backs_off_until_it_is_quick_again() {
        let (wh, org) = ids(1);
        let now = Instant::now();
        let mut f = Fairness::default();
        warm(&mut f, &wh[0], &org, now);
        assert!(f.admit(&wh[0], &org, now));
        f.finish(&wh[0], &org, Duration::from_secs(14), now);
        for _ in 0..SLOW_ENDPOINT_IN_FLIGHT {
            assert!(f.admit(&wh[0], &org, now));
        }
        assert!(
            !f.admit(&wh[0], &org, now),
            "slow: {SLOW_ENDPOINT_IN_FLIGHT} at most"
        );
        for _ in 0..12 {
            f.finish(&wh[0], &org, QUICK, now);
            assert!(f.admit(&wh[0], &org, now));
        }
        f.finish(&wh[0], &org, QUICK, now);
        f.finish(&wh[0], &org, QUICK, now);
        let admitted = (0..ENDPOINT_IN_FLIGHT + 1)
            .filter(|_| f.admit(&wh[0], &org, now))
            .count();
        assert_eq!(admitted, ENDPOINT_IN_FLIGHT, "quick again: the full cap");
    }

    #[test]
    fn an_endpoint_silent_for_a_second_backs_off_before_its_first_answer() {
        let (wh, org) = ids(1);
        let start = Instant::now();
        let mut f = Fairness::default();
        warm(&mut f, &wh[0], &org, start);
        for _ in 0..4 {
            assert!(f.admit(&wh[0], &org, start));
        }
        let later = start + SLOW;
        assert!(!f.admit(&wh[0], &org, later), "4 in flight, none answered");
        assert_eq!(f.full(std::iter::empty(), later), wh);
        // An answer ends the silence.
        f.finish(&wh[0], &org, QUICK, later);
        assert!(f.admit(&wh[0], &org, later));
    }
}
