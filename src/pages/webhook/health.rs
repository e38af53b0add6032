//! How an endpoint and a delivery are doing, said honestly in a word and a
//! colour: an endpoint whose latest delivery failed is "Failing" even while
//! it is enabled, and a delivery that failed and waits for its retry is
//! "Retrying", not "Pending".

use leptos::prelude::*;
use portal_contract::webhooks::{
    DeliveryOut, DeliveryStatus, DisabledReason, EndpointOut, EndpointStats,
};

use crate::format;

/// The colour of a state, as a badge class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Success,
    Warning,
    Danger,
    Neutral,
}

impl Tone {
    pub fn badge(self) -> &'static str {
        match self {
            Tone::Success => "badge badge-dot badge-success",
            Tone::Warning => "badge badge-dot badge-warning",
            Tone::Danger => "badge badge-dot badge-danger",
            Tone::Neutral => "badge badge-dot badge-neutral",
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Tone::Success => "tone-success",
            Tone::Warning => "tone-warning",
            Tone::Danger => "tone-danger",
            Tone::Neutral => "muted",
        }
    }
}

/// An endpoint's state at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointHealth {
    /// Turned off, by a member or by us; gets no new events.
    Disabled(Option<DisabledReason>),
    /// Its latest delivery failed (and may be waiting for a retry).
    Failing { retrying: bool },
    /// Some attempts of the past day failed, but the latest delivery succeeded.
    Degraded,
    /// Every attempt of the past day succeeded.
    Healthy,
    /// Enabled, and nothing was sent in the past day.
    Idle,
}

impl EndpointHealth {
    pub fn of(webhook: &EndpointOut) -> Self {
        let stats = &webhook.stats;
        if !webhook.enabled {
            return Self::Disabled(webhook.disabled_reason);
        }
        match stats.last_status {
            Some(DeliveryStatus::Failed) => Self::Failing { retrying: false },
            Some(DeliveryStatus::Pending) if stats.failed_attempts > 0 => {
                Self::Failing { retrying: true }
            }
            _ if stats.attempts() == 0 => Self::Idle,
            _ if stats.failed_attempts > 0 => Self::Degraded,
            _ => Self::Healthy,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Disabled(_) => "Disabled",
            Self::Failing { .. } => "Failing",
            Self::Degraded => "Degraded",
            Self::Healthy => "Healthy",
            Self::Idle => "Enabled",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            Self::Disabled(Some(DisabledReason::ByUser)) | Self::Idle => Tone::Neutral,
            Self::Disabled(_) | Self::Failing { .. } => Tone::Danger,
            Self::Degraded => Tone::Warning,
            Self::Healthy => Tone::Success,
        }
    }

    /// Why, in a sentence.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::Disabled(reason) => reason.map_or("Disabled.", DisabledReason::explanation),
            Self::Failing { retrying: true } => "Its latest delivery failed and waits for a retry.",
            Self::Failing { retrying: false } => "Its latest delivery failed.",
            Self::Degraded => "Some attempts failed in the past 24 hours.",
            Self::Healthy => "Every attempt in the past 24 hours succeeded.",
            Self::Idle => "Nothing was sent in the past 24 hours.",
        }
    }
}

/// The colour of a success rate: all green only when every attempt succeeded.
pub fn rate_tone(percent: u32) -> Tone {
    match percent {
        100 => Tone::Success,
        90..=99 => Tone::Warning,
        _ => Tone::Danger,
    }
}

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its first attempt.
    Sending,
    /// Attempted, failed, and waiting for the next attempt (when known).
    Retrying {
        next: Option<i64>,
    },
    Succeeded,
    /// Out of retries, or its endpoint was disabled.
    Failed,
}

impl DeliveryState {
    pub fn of(delivery: &DeliveryOut) -> Self {
        match delivery.status {
            DeliveryStatus::Succeeded => Self::Succeeded,
            DeliveryStatus::Failed => Self::Failed,
            DeliveryStatus::Pending if delivery.attempts > 0 => Self::Retrying {
                next: delivery.next_attempt_at,
            },
            DeliveryStatus::Pending => Self::Sending,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Sending => "Sending",
            Self::Retrying { .. } => "Retrying",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            Self::Sending => Tone::Neutral,
            Self::Retrying { .. } => Tone::Warning,
            Self::Succeeded => Tone::Success,
            Self::Failed => Tone::Danger,
        }
    }

    /// When the next attempt comes, for a delivery that waits for one.
    pub fn next_attempt(self, now: i64) -> Option<String> {
        match self {
            Self::Retrying { next: Some(at) } => {
                Some(format!("Next attempt {}", format::relative(now, at)))
            }
            _ => None,
        }
    }

    /// Redelivery is offered once a delivery is settled: one still waiting
    /// for an attempt gets it anyway.
    pub fn may_redeliver(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// Where the endpoint's latest delivery stands, in the words of
/// `DeliveryState`: a pending one after failed attempts is retrying.
pub fn last_delivery(stats: &EndpointStats) -> Option<DeliveryState> {
    stats.last_status.map(|status| match status {
        DeliveryStatus::Succeeded => DeliveryState::Succeeded,
        DeliveryStatus::Failed => DeliveryState::Failed,
        DeliveryStatus::Pending if stats.failed_attempts > 0 => {
            DeliveryState::Retrying { next: None }
        }
        DeliveryStatus::Pending => DeliveryState::Sending,
    })
}

/// A state as a badge: a word in its colour.
pub fn badge(label: &'static str, tone: Tone) -> impl IntoView {
    view! { <span class=tone.badge()>{label}</span> }
}

/// The past day's success rate ("97% succeeded") in its colour, and how
/// many attempts it counts; `None` without attempts.
pub fn success_rate(stats: &EndpointStats) -> Option<(String, Tone, String)> {
    let percent = stats.success_percent()?;
    Some((
        format!("{} succeeded", format::percent(percent)),
        rate_tone(percent),
        format!(
            "{} of {}",
            stats.succeeded_attempts,
            format::count(stats.attempts(), "attempt", "attempts")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_contract::ids::{DeliveryId, EndpointId, EventId, ProjectId};

    fn endpoint(enabled: bool, stats: EndpointStats) -> EndpointOut {
        EndpointOut {
            id: EndpointId("wh_1".into()),
            project_id: ProjectId("prj_1".into()),
            url: "https://example.com/hooks".into(),
            description: String::new(),
            event_types: vec![],
            enabled,
            disabled_reason: (!enabled).then_some(DisabledReason::Failing),
            previous_secret_until: None,
            created_at: 0,
            stats,
        }
    }

    fn stats(ok: u32, failed: u32, last: Option<DeliveryStatus>) -> EndpointStats {
        EndpointStats {
            succeeded_attempts: ok,
            failed_attempts: failed,
            last_delivery_at: last.map(|_| 1),
            last_status: last,
        }
    }

    #[test]
    fn an_enabled_endpoint_whose_deliveries_fail_is_failing() {
        use DeliveryStatus::*;
        let of = |s| EndpointHealth::of(&endpoint(true, s));
        assert_eq!(
            of(stats(0, 2, Some(Pending))),
            EndpointHealth::Failing { retrying: true }
        );
        assert_eq!(
            of(stats(3, 1, Some(Failed))),
            EndpointHealth::Failing { retrying: false }
        );
        assert_eq!(of(stats(3, 1, Some(Succeeded))), EndpointHealth::Degraded);
        assert_eq!(of(stats(3, 0, Some(Succeeded))), EndpointHealth::Healthy);
        // A first delivery on its way after a quiet day.
        assert_eq!(of(stats(0, 0, Some(Pending))), EndpointHealth::Idle);
        assert_eq!(of(stats(0, 0, None)), EndpointHealth::Idle);
        assert_eq!(of(stats(0, 2, Some(Pending))).tone(), Tone::Danger);
        assert_eq!(of(stats(0, 2, Some(Pending))).label(), "Failing");
    }

    #[test]
    fn a_disabled_endpoint_says_why() {
        let h = EndpointHealth::of(&endpoint(
            false,
            stats(5, 0, Some(DeliveryStatus::Succeeded)),
        ));
        assert_eq!(h, EndpointHealth::Disabled(Some(DisabledReason::Failing)));
        assert_eq!(h.label(), "Disabled");
        assert_eq!(h.tone(), Tone::Danger);
        assert_eq!(
            h.explanation(),
            "Disabled because its deliveries kept failing."
        );
        let by_user = EndpointHealth::Disabled(Some(DisabledReason::ByUser));
        assert_eq!(by_user.tone(), Tone::Neutral);
    }

    #[test]
    fn success_rates_are_green_only_when_all_succeeded() {
        assert_eq!(rate_tone(100), Tone::Success);
        assert_eq!(rate_tone(99), Tone::Warning);
        assert_eq!(rate_tone(0), Tone::Danger);
        let (rate, tone, attempts) = success_rate(&stats(1, 0, None)).unwrap();
        assert_eq!(rate, "100% succeeded");
        assert_eq!(tone, Tone::Success);
        assert_eq!(attempts, "1 of 1 attempt");
        assert_eq!(success_rate(&stats(0, 0, None)), None);
    }

    #[test]
    fn the_latest_delivery_after_failures_is_retrying() {
        use DeliveryStatus::*;
        let label = |s: EndpointStats| last_delivery(&s).map(DeliveryState::label);
        assert_eq!(label(stats(0, 1, Some(Pending))), Some("Retrying"));
        assert_eq!(label(stats(2, 0, Some(Pending))), Some("Sending"));
        assert_eq!(label(stats(2, 1, Some(Succeeded))), Some("Succeeded"));
        assert_eq!(label(stats(0, 0, None)), None);
    }

    fn delivery(status: DeliveryStatus, attempts: u32, next: Option<i64>) -> DeliveryOut {
        DeliveryOut {
            id: DeliveryId("dlv_1".into()),
            event_id: EventId("msg_1".into()),
            event_type: "webhook.test".into(),
            status,
            attempts,
            last_http_status: None,
            last_latency_ms: None,
            next_attempt_at: next,
            created_at: 0,
        }
    }

    #[test]
    fn a_failed_attempt_waiting_for_its_retry_is_retrying() {
        use DeliveryStatus::*;
        let retrying = DeliveryState::of(&delivery(Pending, 1, Some(1_000 + 300)));
        assert_eq!(retrying, DeliveryState::Retrying { next: Some(1_300) });
        assert_eq!(retrying.label(), "Retrying");
        assert_eq!(retrying.tone(), Tone::Warning);
        assert_eq!(
            retrying.next_attempt(1_000).as_deref(),
            Some("Next attempt in 5 minutes")
        );
        assert!(!retrying.may_redeliver());
        let sending = DeliveryState::of(&delivery(Pending, 0, Some(1_000)));
        assert_eq!(sending.label(), "Sending");
        assert!(!sending.may_redeliver());
        assert_eq!(sending.next_attempt(1_000), None);
        assert!(DeliveryState::of(&delivery(Failed, 7, None)).may_redeliver());
        assert!(DeliveryState::of(&delivery(Succeeded, 1, None)).may_redeliver());
    }
}
