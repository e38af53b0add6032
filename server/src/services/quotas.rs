//! What one partner may hold, so no organisation takes what the others need:
//! credentials and endpoints per project, projects and endpoints per
//! organisation, and the bytes of events it keeps. The rules and their
//! sentences live here; the use cases count under the row lock the rule
//! needs (the project's, the organisation's), so two requests can't both
//! take the last place.

use portal_contract::ErrorCode;
use portal_contract::accounts::{OrganisationUsage, Usage};
use portal_contract::ids::OrganisationId;

use crate::error::{ApiError, ApiResult, Failure, OAuthFailure};
use crate::state::AppState;
use crate::store::{StoreResult, endpoints, organisations, projects};

/// Who holds a quota, for its sentence.
#[derive(Debug, Clone, Copy)]
pub enum Holder {
    Project,
    Organisation,
}

/// 422 `quota_exceeded` when `count` of `things` already fill `quota`.
pub fn within(
    holder: Holder,
    count: i64,
    quota: u32,
    things: &str,
    free_one: &str,
) -> ApiResult<()> {
    if count < i64::from(quota) {
        return Ok(());
    }
    let (who, whose) = match holder {
        Holder::Project => ("A project", "this one"),
        Holder::Organisation => ("An organisation", "yours"),
    };
    Err(ApiError::new(
        Failure::Invalid,
        ErrorCode::QuotaExceeded,
        format!("{who} can have {quota} {things}, and {whose} has them all. {free_one}"),
    ))
}

/// The bytes of events an organisation may keep.
fn event_storage(state: &AppState) -> i64 {
    i64::try_from(state.config.event_storage_mb.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX)
}

/// An event of `size` bytes fits in what the organisation may still keep;
/// else 422 `quota_exceeded` (nothing is written). Read without a lock: a
/// burst at the edge may go a few events over, never more than one event
/// per request in flight.
pub async fn may_keep_event(
    state: &AppState,
    org: &OrganisationId,
    size: i64,
) -> Result<(), OAuthFailure> {
    let used = organisations::stored_event_bytes(&state.store, org).await?;
    if used.saturating_add(size) <= event_storage(state) {
        return Ok(());
    }
    Err(OAuthFailure::new(
        Failure::Invalid,
        "quota_exceeded",
        format!(
            "Your organisation keeps at most {} MB of events, and they are all in use. \
             Events are deleted {} days after they were published, which frees their \
             space; until then, new events are refused.",
            state.config.event_storage_mb, state.config.retention_days
        ),
    ))
}

/// How much of each organisation-wide quota `org` uses (Settings shows it).
pub async fn usage(state: &AppState, org: &OrganisationId) -> StoreResult<OrganisationUsage> {
    let store = &state.store;
    Ok(OrganisationUsage {
        projects: Usage {
            used: projects::count(store, org).await?,
            limit: i64::from(state.config.projects_per_organisation),
        },
        endpoints: Usage {
            used: endpoints::count(store, org).await?,
            limit: i64::from(state.config.endpoints_per_organisation),
        },
        event_bytes: Usage {
            used: organisations::stored_event_bytes(store, org).await?,
            limit: event_storage(state),
        },
    })
}
