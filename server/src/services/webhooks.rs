//! Webhook endpoints, their signing secrets, test events, and the delivery
//! log with redelivery.

use axum::http::StatusCode;
use portal_contract::ErrorCode;
use portal_contract::ids::{DeliveryId, ProjectId, WebhookId};
use portal_contract::projects::Environment;
use portal_contract::webhooks::{
    DeliveryDetail, DeliveryOut, DeliveryPage, DeliveryQuery, DeliveryStatus, DisabledReason,
    EventTypeList, EventTypeOut, PortalEvent, SecretRevealIn, SecretRotateIn, WebhookIn,
    WebhookList, WebhookOut, WebhookPatch, WebhookSecretOut, WebhookStats, WebhookTestIn,
    event_type,
};
use reqwest::Url;

use super::{credentials, projects};
use crate::auth::CurrentUser;
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::limits::Limit;
use crate::state::AppState;
use crate::step_up::verify_pin;
use crate::store::delivery_log::Delivery;
use crate::store::events::Audience;
use crate::store::projects::Project;
use crate::store::webhooks::Webhook;
use crate::webhooks::events::{new_event, sample};
use crate::webhooks::{signing, ssrf};

pub fn webhook_out(w: &Webhook, stats: WebhookStats, now: i64) -> WebhookOut {
    WebhookOut {
        id: w.id.clone(),
        project_id: w.project_id.clone(),
        url: w.url.clone(),
        description: w.description.clone(),
        event_types: w.event_types(),
        enabled: w.enabled,
        disabled_reason: w.disabled_reason,
        previous_secret_until: w.previous_secret_until.filter(|u| *u > now),
        created_at: w.created_at,
        stats,
    }
}

pub fn delivery_out(d: &Delivery) -> DeliveryOut {
    DeliveryOut {
        id: d.id.clone(),
        event_id: d.event_id.clone(),
        event_type: d.event_type.clone(),
        status: d.status,
        attempts: d.attempts as u32,
        last_http_status: d.last_http_status.map(|s| s as u16),
        last_latency_ms: d.last_latency_ms.map(|l| l as u32),
        next_attempt_at: d
            .next_attempt_at
            .filter(|_| d.status == DeliveryStatus::Pending),
        created_at: d.created_at,
    }
}

/// One of the caller's organisation's endpoints, or 404.
pub async fn find(state: &AppState, current: &CurrentUser, id: &WebhookId) -> ApiResult<Webhook> {
    state
        .store
        .webhooks()
        .get(&current.org.id, id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("There is no such webhook endpoint in your organisation.")
        })
}

/// An endpoint with its deliveries of the past 24 hours.
async fn with_stats(state: &AppState, webhook: &Webhook) -> ApiResult<WebhookOut> {
    let now = state.now();
    let stats = state
        .store
        .webhooks()
        .stats(&webhook.project_id, now - 86_400)
        .await?
        .into_iter()
        .find(|(id, _)| *id == webhook.id)
        .map(|(_, s)| s)
        .unwrap_or_default();
    Ok(webhook_out(webhook, stats, now))
}

/// Whether deliveries may go to `url`: https for production projects, and
/// never to a private address (literal or resolved) unless allowed.
async fn check_target(state: &AppState, project: &Project, url: &str) -> ApiResult<String> {
    let url = url.trim();
    let parsed = Url::parse(url).map_err(|_| {
        ApiError::field(
            "url",
            "Enter a full URL, like https://example.com/webhooks.",
        )
    })?;
    if project.environment == Environment::Production && parsed.scheme() != "https" {
        return Err(ApiError::field(
            "url",
            "Production endpoints must use https://.",
        ));
    }
    let allow = state.deliverer.allow_private();
    ssrf::check_literal(&parsed, allow).map_err(|m| ApiError::field("url", m))?;
    if let Some(url::Host::Domain(host)) = parsed.host() {
        ssrf::check_resolved(host, allow)
            .await
            .map_err(|m| ApiError::field("url", m))?;
    }
    Ok(url.to_owned())
}

fn joined(types: &[String]) -> String {
    let mut types = types.to_vec();
    types.sort();
    types.dedup();
    types.join(" ")
}

/// The event types the portal sends.
pub fn event_types() -> EventTypeList {
    EventTypeList {
        items: PortalEvent::ALL
            .iter()
            .map(|e| EventTypeOut {
                name: e.name().into(),
                description: e.description().into(),
            })
            .collect(),
    }
}

pub async fn list(
    state: &AppState,
    current: &CurrentUser,
    project: &ProjectId,
) -> ApiResult<WebhookList> {
    let project = projects::find(state, current, project).await?;
    let now = state.now();
    let webhooks = state.store.webhooks().list_for_project(&project.id).await?;
    let mut stats = state
        .store
        .webhooks()
        .stats(&project.id, now - 86_400)
        .await?;
    Ok(WebhookList {
        items: webhooks
            .iter()
            .map(|w| {
                let s = stats
                    .iter_mut()
                    .find(|(id, _)| *id == w.id)
                    .map(|(_, s)| std::mem::take(s))
                    .unwrap_or_default();
                webhook_out(w, s, now)
            })
            .collect(),
    })
}

/// A new endpoint; the answer carries its signing secret.
pub async fn create(
    state: &AppState,
    current: &CurrentUser,
    project: &ProjectId,
    input: WebhookIn,
) -> ApiResult<WebhookSecretOut> {
    let project = projects::find(state, current, project).await?;
    input.validate().map_err(ApiError::validation)?;
    // Deliveries are POSTs to any address: not before someone approved
    // the organisation.
    credentials::require_approved(current)?;
    let endpoints = state
        .store
        .webhooks()
        .list_for_project(&project.id)
        .await?
        .len();
    credentials::within_quota(
        endpoints,
        state.config.endpoints_per_project,
        "webhook endpoints",
        "Delete one you no longer use first.",
    )?;
    let url = check_target(state, &project, &input.url).await?;
    let id = WebhookId(crypto::new_id(WebhookId::PREFIX));
    let secret = signing::new_secret();
    let webhook = Webhook {
        secret: state.vault.seal(&id.0, &secret),
        id,
        organisation_id: current.org.id.clone(),
        project_id: project.id.clone(),
        url,
        description: input.description.trim().to_owned(),
        event_types: joined(&input.event_types),
        enabled: true,
        disabled_reason: None,
        previous_secret: None,
        previous_secret_until: None,
        failing_since: None,
        created_at: state.now(),
    };
    state.store.webhooks().insert(&webhook).await?;
    tracing::info!(webhook = %webhook.id, project = %project.id, user = %current.user.id, "webhook endpoint added");
    Ok(WebhookSecretOut {
        webhook: webhook_out(&webhook, WebhookStats::default(), state.now()),
        secret,
    })
}

pub async fn get(state: &AppState, current: &CurrentUser, id: &WebhookId) -> ApiResult<WebhookOut> {
    let webhook = find(state, current, id).await?;
    with_stats(state, &webhook).await
}

/// Edits an endpoint, or enables or disables it.
pub async fn update(
    state: &AppState,
    current: &CurrentUser,
    id: &WebhookId,
    input: WebhookPatch,
) -> ApiResult<WebhookOut> {
    let mut webhook = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    if let Some(url) = &input.url {
        let project = projects::find(state, current, &webhook.project_id).await?;
        webhook.url = check_target(state, &project, url).await?;
    }
    if let Some(d) = &input.description {
        webhook.description = d.trim().to_owned();
    }
    if let Some(t) = &input.event_types {
        webhook.event_types = joined(t);
    }
    let mut disable = None;
    match input.enabled {
        Some(true) if !webhook.enabled => {
            webhook.enabled = true;
            webhook.disabled_reason = None;
            webhook.failing_since = None;
        }
        Some(false) if webhook.enabled => {
            webhook.enabled = false;
            webhook.disabled_reason = Some(DisabledReason::ByUser);
            disable = Some(DisabledReason::ByUser);
        }
        _ => {}
    }
    state
        .store
        .webhooks()
        .update(&webhook, disable)
        .await?;
    with_stats(state, &webhook).await
}

/// With its delivery log.
pub async fn delete(state: &AppState, current: &CurrentUser, id: &WebhookId) -> ApiResult<()> {
    let webhook = find(state, current, id).await?;
    state.store.webhooks().delete(&webhook.id).await?;
    tracing::info!(webhook = %webhook.id, user = %current.user.id, "webhook endpoint deleted");
    Ok(())
}

/// The signing secret again, behind the PIN.
pub async fn reveal_secret(
    state: &AppState,
    current: &CurrentUser,
    id: &WebhookId,
    input: SecretRevealIn,
) -> ApiResult<WebhookSecretOut> {
    let webhook = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    verify_pin(state, &current.user, &input.pin).await?;
    let secret = state.vault.open(&webhook.id.0, &webhook.secret)?;
    tracing::info!(webhook = %webhook.id, user = %current.user.id, "webhook secret revealed");
    Ok(WebhookSecretOut {
        webhook: with_stats(state, &webhook).await?,
        secret,
    })
}

/// A new signing secret; the old one signs too until the overlap ends.
pub async fn rotate_secret(
    state: &AppState,
    current: &CurrentUser,
    id: &WebhookId,
    input: SecretRotateIn,
) -> ApiResult<WebhookSecretOut> {
    let mut webhook = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    verify_pin(state, &current.user, &input.pin).await?;
    let now = state.now();
    let secret = signing::new_secret();
    let sealed = state.vault.seal(&webhook.id.0, &secret);
    let overlap = input.overlap.seconds();
    let (previous, until) = if overlap > 0 {
        (Some(webhook.secret.clone()), Some(now + overlap))
    } else {
        (None, None)
    };
    state
        .store
        .webhooks()
        .rotate_secret(&webhook.id, &sealed, previous.as_deref(), until)
        .await?;
    tracing::info!(webhook = %webhook.id, user = %current.user.id, overlap = input.overlap.as_str(), "webhook secret rotated");
    webhook.secret = sealed;
    webhook.previous_secret = previous;
    webhook.previous_secret_until = until;
    Ok(WebhookSecretOut {
        webhook: with_stats(state, &webhook).await?,
        secret,
    })
}

/// A test event of a chosen type, with a realistic sample payload, to this
/// endpoint whatever types it subscribes to.
/// Test events and redeliveries send a POST wherever an endpoint points:
/// an organisation asks for only so many.
async fn limit_sends(state: &AppState, current: &CurrentUser) -> ApiResult<()> {
    state
        .limits
        .check(&[(Limit::WebhookSendsByOrganisation, current.org.id.as_str())])
        .await
}

pub async fn send_test(
    state: &AppState,
    current: &CurrentUser,
    id: &WebhookId,
    input: WebhookTestIn,
) -> ApiResult<DeliveryOut> {
    let webhook = find(state, current, id).await?;
    event_type(&input.event_type).map_err(|m| ApiError::field("event_type", m))?;
    limit_sends(state, current).await?;
    if !webhook.enabled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "This endpoint is disabled. Enable it to send a test event.",
        ));
    }
    let event = new_event(
        &current.org.id,
        Audience::Endpoint {
            project: webhook.project_id.clone(),
            webhook: webhook.id.clone(),
        },
        &input.event_type,
        &sample(&input.event_type, &webhook.project_id.0),
        state.now(),
    );
    let delivery = state.store.events().publish_test(&event).await?;
    state.deliverer.wake();
    Ok(delivery_out(&delivery))
}

pub async fn deliveries(
    state: &AppState,
    current: &CurrentUser,
    id: &WebhookId,
    query: DeliveryQuery,
) -> ApiResult<DeliveryPage> {
    let webhook = find(state, current, id).await?;
    query.validate().map_err(ApiError::validation)?;
    let log = state.store.delivery_log();
    let (rows, total) = log.page(&webhook.id, &query).await?;
    let event_types = log.event_types(&webhook.id).await?;
    Ok(DeliveryPage {
        items: rows.iter().map(delivery_out).collect(),
        total: total as u32,
        page: query.page(),
        page_size: DeliveryQuery::PAGE_SIZE,
        event_types,
    })
}

/// One delivery: the signed body and every attempt's request and response.
pub async fn delivery(
    state: &AppState,
    current: &CurrentUser,
    id: &DeliveryId,
) -> ApiResult<DeliveryDetail> {
    let log = state.store.delivery_log();
    let detail = log
        .get(&current.org.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such delivery in your organisation."))?;
    let attempts = log.attempts(&detail.delivery.id).await?;
    Ok(DeliveryDetail {
        webhook_id: detail.delivery.webhook_id.clone(),
        delivery: delivery_out(&detail.delivery),
        url: detail.url,
        request_body: detail.body,
        attempts,
    })
}

/// Sends a delivery again now, with the same `webhook-id`.
pub async fn redeliver(
    state: &AppState,
    current: &CurrentUser,
    id: &DeliveryId,
) -> ApiResult<DeliveryOut> {
    let log = state.store.delivery_log();
    let not_found = || ApiError::not_found("There is no such delivery in your organisation.");
    let detail = log.get(&current.org.id, id).await?.ok_or_else(not_found)?;
    let webhook = find(state, current, &detail.delivery.webhook_id).await?;
    let conflict = |m: &str| ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, m);
    limit_sends(state, current).await?;
    if !webhook.enabled {
        return Err(conflict(
            "This endpoint is disabled. Enable it, then redeliver.",
        ));
    }
    if !log.redeliver(id, state.now()).await? {
        return Err(conflict("This delivery is being sent right now."));
    }
    state.deliverer.wake();
    let detail = log.get(&current.org.id, id).await?.ok_or_else(not_found)?;
    Ok(delivery_out(&detail.delivery))
}
