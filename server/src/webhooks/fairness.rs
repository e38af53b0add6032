//! How the delivery worker shares its slots: no organisation holds more than
//! half at once, nor any one endpoint; an endpoint that answers slowly, or
//! hasn't answered for a second, backs off to two; so one tenant whose
//! endpoints hang can't keep the others' events waiting. A claim skips the
//! deliveries of endpoints that are full (`Fairness::full`), so the others'
//! come next even when the full ones' are older.
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
/// may have: a quick endpoint holds its slots for milliseconds, and a lower
/// cap costs a busy one throughput (16 cut the benchmark's deliveries to one
/// endpoint by a third).
pub const ENDPOINT_IN_FLIGHT: usize = 32;
/// ... to one that answers slowly, or has not answered for `SLOW`: it backs
/// off until it answers quickly again.
pub const SLOW_ENDPOINT_IN_FLIGHT: usize = 2;
/// Attempts in flight for one organisation, at most: half the worker, so
/// the others always have the other half.
pub const ORGANISATION_IN_FLIGHT: usize = CONCURRENCY / 2;
/// An endpoint whose attempts take this long on average is slow.
const SLOW: Duration = Duration::from_secs(1);
/// Endpoints remembered while idle, at most (then the idle ones are forgotten).
const REMEMBERED: usize = 4096;

#[derive(Debug)]
struct Load {
    in_flight: usize,
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
            ENDPOINT_IN_FLIGHT
        }
    }
}

/// The worker's attempts in flight, by endpoint and by organisation.
#[derive(Debug, Default)]
pub struct Fairness {
    endpoints: HashMap<EndpointId, Load>,
    organisations: HashMap<OrganisationId, usize>,
}

impl Fairness {
    /// Takes a slot for an attempt to `endpoint` of `organisation` when both
    /// are under their caps; false when one is full (the delivery waits).
    pub fn admit(
        &mut self,
        endpoint: &EndpointId,
        organisation: &OrganisationId,
        now: Instant,
    ) -> bool {
        let load = self.endpoints.entry(endpoint.clone()).or_insert(Load {
            in_flight: 0,
            average_ms: None,
            heard: now,
        });
        let org = self.organisations.entry(organisation.clone()).or_default();
        if load.in_flight >= load.cap(now) || *org >= ORGANISATION_IN_FLIGHT {
            return false;
        }
        if load.in_flight == 0 {
            load.heard = now;
        }
        load.in_flight += 1;
        *org += 1;
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
    }

    /// The endpoints a claim should skip: full ones, and those of `known`
    /// (endpoint → organisation) whose organisation is full.
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
        if self
            .organisations
            .values()
            .any(|n| *n >= ORGANISATION_IN_FLIGHT)
        {
            full.extend(
                known
                    .filter(|(_, org)| {
                        self.organisations
                            .get(*org)
                            .is_some_and(|n| *n >= ORGANISATION_IN_FLIGHT)
                    })
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

    #[test]
    fn an_endpoint_holds_at_most_its_cap() {
        let (wh, org) = ids(1);
        let now = Instant::now();
        let mut f = Fairness::default();
        for _ in 0..ENDPOINT_IN_FLIGHT {
            assert!(f.admit(&wh[0], &org, now));
        }
        assert!(!f.admit(&wh[0], &org, now));
        assert_eq!(f.full(std::iter::empty(), now), wh);
        f.finish(&wh[0], &org, QUICK, now);
        assert!(f.full(std::iter::empty(), now).is_empty());
        assert!(f.admit(&wh[0], &org, now));
    }

    #[test]
    fn an_organisation_holds_at_most_half_the_worker() {
        let (wh, org) = ids(3);
        let other = OrganisationId("org_b".into());
        let now = Instant::now();
        let mut f = Fairness::default();
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
    }

    #[test]
    fn a_slow_endpoint_backs_off_until_it_is_quick_again() {
        let (wh, org) = ids(1);
        let now = Instant::now();
        let mut f = Fairness::default();
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
