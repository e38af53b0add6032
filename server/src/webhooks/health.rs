//! An endpoint's health: what each attempt means for its endpoint. A
//! success clears the endpoint's failure time; a failure to retry sets it,
//! unless it was set already; `410 Gone` disables the endpoint; a delivery
//! out of retries disables it as failing when nothing got through since that
//! delivery was first attempted, and its admins are told. A disabled
//! endpoint's waiting deliveries end. Applied in the transaction that records
//! the attempts (`store::queue::Queue::record`), so an endpoint's state never
//! lags its log.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use portal_contract::ids::EndpointId;
use portal_contract::webhooks::{DeliveryStatus, DisabledReason, RETRY_SCHEDULE};

use crate::store::queue::{Batch, Effect, EndpointHealth, Recorded};
use crate::store::{Conn, Exec, StoreResult, delivery_log, endpoints};

/// What an attempt that answered `status` (`None`: no answer) means, when
/// its delivery had `attempts` before it: where the delivery stands, when it
/// is next due, and the effect on the endpoint.
pub fn outcome(
    status: Option<u16>,
    attempts: i64,
    now: i64,
) -> (DeliveryStatus, Option<i64>, Effect) {
    let succeeded = status.is_some_and(|s| (200..300).contains(&s));
    let retry_in = usize::try_from(attempts)
        .ok()
        .and_then(|a| RETRY_SCHEDULE.get(a).copied());
    match (succeeded, status == Some(410), retry_in) {
        (true, _, _) => (DeliveryStatus::Succeeded, None, Effect::Succeeded),
        (false, true, _) => (DeliveryStatus::Failed, None, Effect::Gone),
        (false, false, Some(wait)) => (DeliveryStatus::Pending, Some(now + wait), Effect::Retrying),
        (false, false, None) => (DeliveryStatus::Failed, None, Effect::Exhausted),
    }
}

/// Sorts a batch: endpoints that only succeeded have their failure time
/// cleared with the batch; the others get their attempts' effects one by
/// one, in order (`Health::apply`).
pub fn batch(attempts: &[Recorded]) -> Batch<'_> {
    let troubled_endpoints: HashSet<&EndpointId> = attempts
        .iter()
        .filter(|r| r.effect != Effect::Succeeded)
        .map(|r| &r.webhook_id)
        .collect();
    let mut cleared: Vec<&EndpointId> = attempts
        .iter()
        .map(|r| &r.webhook_id)
        .filter(|id| !troubled_endpoints.contains(id))
        .collect();
    cleared.sort_unstable();
    cleared.dedup();
    let troubled = attempts
        .iter()
        .filter(|r| troubled_endpoints.contains(&r.webhook_id))
        .collect();
    Batch {
        attempts,
        cleared,
        troubled,
    }
}

/// The endpoint was disabled: its waiting deliveries end (those a worker
/// sends now are recorded by their worker).
pub async fn disabled(db: impl Exec<'_>, id: &EndpointId) -> StoreResult<()> {
    delivery_log::end_waiting(db, id).await
}

/// Disables an enabled endpoint for `reason`, ending its waiting
/// deliveries; false when it was not enabled.
async fn disable(
    conn: &mut Conn<'_>,
    id: &EndpointId,
    reason: DisabledReason,
) -> StoreResult<bool> {
    let changed = endpoints::disable(&mut *conn, id, reason).await?;
    disabled(&mut *conn, id).await?;
    Ok(changed)
}

/// The rules above, for the delivery queue.
pub struct Health;

#[async_trait]
impl EndpointHealth for Health {
    async fn apply(
        &self,
        conn: &mut Conn<'_>,
        troubled: &[&Recorded],
    ) -> StoreResult<Vec<EndpointId>> {
        let mut disabled = Vec::new();
        // Per endpoint, whether its failure time was last cleared (true) or
        // set (false) here: the same again changes nothing.
        let mut cleared: HashMap<&EndpointId, bool> = HashMap::new();
        for r in troubled {
            let id = &r.webhook_id;
            match r.effect {
                Effect::Succeeded => {
                    if cleared.insert(id, true) != Some(true) {
                        endpoints::set_failing_since(&mut *conn, &[id], None).await?;
                    }
                }
                Effect::Retrying => {
                    if cleared.insert(id, false) != Some(false) {
                        let since = Some(r.attempt.started_at);
                        endpoints::set_failing_since(&mut *conn, &[id], since).await?;
                    }
                }
                Effect::Gone => {
                    disable(conn, id, DisabledReason::Gone).await?;
                    tracing::info!(webhook = %id, "endpoint answered 410 Gone: disabled");
                }
                Effect::Exhausted => {
                    // Failing since before this delivery was first tried:
                    // nothing got through meanwhile.
                    let since = endpoints::failing_since(&mut *conn, id).await?;
                    let first = delivery_log::first_attempted(&mut *conn, &r.attempt.delivery_id)
                        .await?
                        .unwrap_or(r.attempt.started_at);
                    if since.is_some_and(|since| since <= first)
                        && disable(conn, id, DisabledReason::Failing).await?
                    {
                        disabled.push(id.clone());
                    }
                }
            }
        }
        Ok(disabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_means_what_the_schedule_says() {
        let now = 1_000;
        assert_eq!(
            outcome(Some(204), 0, now),
            (DeliveryStatus::Succeeded, None, Effect::Succeeded)
        );
        assert_eq!(
            outcome(Some(410), 0, now),
            (DeliveryStatus::Failed, None, Effect::Gone)
        );
        assert_eq!(
            outcome(Some(302), 0, now),
            (
                DeliveryStatus::Pending,
                Some(now + RETRY_SCHEDULE[0]),
                Effect::Retrying
            )
        );
        assert_eq!(
            outcome(None, 5, now),
            (
                DeliveryStatus::Pending,
                Some(now + RETRY_SCHEDULE[5]),
                Effect::Retrying
            )
        );
        assert_eq!(
            outcome(Some(500), RETRY_SCHEDULE.len() as i64, now),
            (DeliveryStatus::Failed, None, Effect::Exhausted)
        );
    }
}
