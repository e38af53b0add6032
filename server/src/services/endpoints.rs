//! Webhook endpoints, their signing secrets, test events, and the delivery
//! log with redelivery.

use portal_contract::ErrorCode;
use portal_contract::ids::{DeliveryId, EndpointId, ProjectId};
use portal_contract::projects::Environment;
use portal_contract::webhooks::{
    DeliveryDetail, DeliveryOut, DeliveryPage, DeliveryQuery, DeliveryStatus, DisabledReason,
    EndpointIn, EndpointList, EndpointOut, EndpointPatch, EndpointSecretOut, EndpointStats,
    EndpointTestIn, EventTypeList, EventTypeOut, PortalEvent, SecretRevealIn, SecretRotateIn,
    event_type,
};
use reqwest::Url;

use super::credentials;
use super::events::sample;
use super::finders::find;
use super::quotas::{self, Holder};
use super::work::Work;
use crate::auth::CurrentUser;
use crate::crypto;
use crate::error::{ApiError, ApiResult, Failure};
use crate::limits::Limit;
use crate::mail::Mail;
use crate::state::AppState;
use crate::step_up::verify_pin;
use crate::store::delivery_log::{self, Delivery, DeliveryDetail as Detail};
use crate::store::endpoints::{self, Endpoint};
use crate::store::events::Audience;
use crate::store::projects::Project;
use crate::store::{organisations, users};
use crate::webhooks::deliver::OnDisabled;
use crate::webhooks::events::new_event;
use crate::webhooks::{health, signing, ssrf};

pub fn endpoint_out(w: &Endpoint, stats: EndpointStats, now: i64) -> EndpointOut {
    EndpointOut {
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

/// An endpoint with its deliveries of the past 24 hours.
async fn with_stats(state: &AppState, webhook: &Endpoint) -> ApiResult<EndpointOut> {
    let now = state.now();
    let stats = endpoints::stats(&state.store, &webhook.project_id, now - 86_400)
        .await?
        .into_iter()
        .find(|(id, _)| *id == webhook.id)
        .map(|(_, s)| s)
        .unwrap_or_default();
    Ok(endpoint_out(webhook, stats, now))
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
) -> ApiResult<EndpointList> {
    let project: Project = find(state, current, project).await?;
    let now = state.now();
    let endpoints = endpoints::list_for_project(&state.store, &project.id).await?;
    let mut stats = endpoints::stats(&state.store, &project.id, now - 86_400).await?;
    Ok(EndpointList {
        items: endpoints
            .iter()
            .map(|w| {
                let s = stats
                    .iter_mut()
                    .find(|(id, _)| *id == w.id)
                    .map(|(_, s)| std::mem::take(s))
                    .unwrap_or_default();
                endpoint_out(w, s, now)
            })
            .collect(),
    })
}

/// A new endpoint; the answer carries its signing secret.
pub async fn create(
    state: &AppState,
    current: &CurrentUser,
    project: &ProjectId,
    input: EndpointIn,
) -> ApiResult<EndpointSecretOut> {
    let project: Project = find(state, current, project).await?;
    input.validate().map_err(ApiError::validation)?;
    // Deliveries are POSTs to any address: not before someone approved
    // the organisation.
    credentials::require_approved(current)?;
    let url = check_target(state, &project, &input.url).await?;
    let id = EndpointId(crypto::new_id(EndpointId::PREFIX));
    let secret = signing::new_secret();
    let webhook = Endpoint {
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
        revision: 0,
    };
    // Counted under the organisation's lock: two requests can't both take
    // the last place.
    let mut work = Work::begin(state).await?;
    organisations::lock(work.tx(), &current.org.id).await?;
    let in_project = endpoints::list_for_project(work.tx(), &project.id)
        .await?
        .len();
    let free_one = "Delete one you no longer use first.";
    quotas::within(
        Holder::Project,
        in_project as i64,
        state.config.endpoints_per_project,
        "webhook endpoints",
        free_one,
    )?;
    quotas::within(
        Holder::Organisation,
        endpoints::count(work.tx(), &current.org.id).await?,
        state.config.endpoints_per_organisation,
        "webhook endpoints in all its projects",
        free_one,
    )?;
    endpoints::insert(work.tx(), &webhook).await?;
    work.commit().await?;
    tracing::info!(webhook = %webhook.id, project = %project.id, user = %current.user.id, "webhook endpoint added");
    Ok(EndpointSecretOut {
        webhook: endpoint_out(&webhook, EndpointStats::default(), state.now()),
        secret,
    })
}

pub async fn get(
    state: &AppState,
    current: &CurrentUser,
    id: &EndpointId,
) -> ApiResult<EndpointOut> {
    let webhook: Endpoint = find(state, current, id).await?;
    with_stats(state, &webhook).await
}

/// Edits an endpoint, or enables or disables it.
pub async fn update(
    state: &AppState,
    current: &CurrentUser,
    id: &EndpointId,
    input: EndpointPatch,
) -> ApiResult<EndpointOut> {
    let mut webhook: Endpoint = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    if let Some(url) = &input.url {
        let project: Project = find(state, current, &webhook.project_id).await?;
        webhook.url = check_target(state, &project, url).await?;
    }
    if let Some(d) = &input.description {
        webhook.description = d.trim().to_owned();
    }
    if let Some(t) = &input.event_types {
        webhook.event_types = joined(t);
    }
    let mut disabling = false;
    match input.enabled {
        Some(true) if !webhook.enabled => {
            webhook.enabled = true;
            webhook.disabled_reason = None;
            webhook.failing_since = None;
        }
        Some(false) if webhook.enabled => {
            webhook.enabled = false;
            webhook.disabled_reason = Some(DisabledReason::ByUser);
            disabling = true;
        }
        _ => {}
    }
    let mut work = Work::begin(state).await?;
    endpoints::update(work.tx(), &webhook).await?;
    if disabling {
        health::disabled(work.tx(), &webhook.id).await?;
    }
    work.commit().await?;
    with_stats(state, &webhook).await
}

/// With its delivery log.
pub async fn delete(state: &AppState, current: &CurrentUser, id: &EndpointId) -> ApiResult<()> {
    let webhook: Endpoint = find(state, current, id).await?;
    endpoints::delete(&state.store, &webhook.id).await?;
    tracing::info!(webhook = %webhook.id, user = %current.user.id, "webhook endpoint deleted");
    Ok(())
}

/// The signing secret again, behind the PIN.
pub async fn reveal_secret(
    state: &AppState,
    current: &CurrentUser,
    id: &EndpointId,
    input: SecretRevealIn,
) -> ApiResult<EndpointSecretOut> {
    let webhook: Endpoint = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    verify_pin(state, &current.user, &input.pin).await?;
    let secret = state.vault.open(&webhook.id.0, &webhook.secret)?;
    tracing::info!(webhook = %webhook.id, user = %current.user.id, "webhook secret revealed");
    Ok(EndpointSecretOut {
        webhook: with_stats(state, &webhook).await?,
        secret,
    })
}

/// A new signing secret; the old one signs too until the overlap ends.
pub async fn rotate_secret(
    state: &AppState,
    current: &CurrentUser,
    id: &EndpointId,
    input: SecretRotateIn,
) -> ApiResult<EndpointSecretOut> {
    let mut webhook: Endpoint = find(state, current, id).await?;
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
    endpoints::rotate_secret(
        &state.store,
        &webhook.id,
        &sealed,
        previous.as_deref(),
        until,
    )
    .await?;
    tracing::info!(webhook = %webhook.id, user = %current.user.id, overlap = input.overlap.as_str(), "webhook secret rotated");
    webhook.secret = sealed;
    webhook.previous_secret = previous;
    webhook.previous_secret_until = until;
    Ok(EndpointSecretOut {
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
    id: &EndpointId,
    input: EndpointTestIn,
) -> ApiResult<DeliveryOut> {
    let webhook: Endpoint = find(state, current, id).await?;
    event_type(&input.event_type).map_err(|m| ApiError::field("event_type", m))?;
    limit_sends(state, current).await?;
    if !webhook.enabled {
        return Err(ApiError::new(
            Failure::Conflict,
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
        &sample(&input.event_type, &webhook.project_id),
        state.now(),
    );
    let mut work = Work::begin(state).await?;
    work.publish(&event).await?;
    let delivery = delivery_log::for_event(work.tx(), &event.id, &webhook.id).await?;
    work.commit().await?;
    Ok(delivery_out(&delivery))
}

pub async fn deliveries(
    state: &AppState,
    current: &CurrentUser,
    id: &EndpointId,
    query: DeliveryQuery,
) -> ApiResult<DeliveryPage> {
    let webhook: Endpoint = find(state, current, id).await?;
    query.validate().map_err(ApiError::validation)?;
    let (rows, total) = delivery_log::page(&state.store, &webhook.id, &query).await?;
    let event_types = delivery_log::event_types(&state.store, &webhook.id).await?;
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
    let detail: Detail = find(state, current, id).await?;
    let attempts = delivery_log::attempts(&state.store, &detail.delivery.id).await?;
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
    let detail: Detail = find(state, current, id).await?;
    let webhook: Endpoint = find(state, current, &detail.delivery.webhook_id).await?;
    let conflict = |m: &str| ApiError::new(Failure::Conflict, ErrorCode::Conflict, m);
    limit_sends(state, current).await?;
    if !webhook.enabled {
        return Err(conflict(
            "This endpoint is disabled. Enable it, then redeliver.",
        ));
    }
    let mut work = Work::begin(state).await?;
    if !delivery_log::make_due(work.tx(), id, state.now()).await? {
        return Err(conflict("This delivery is being sent right now."));
    }
    work.made_due().await?;
    work.commit().await?;
    let detail: Detail = find(state, current, id).await?;
    Ok(delivery_out(&detail.delivery))
}

/// Mails an organisation's admins that the delivery worker disabled one of
/// its endpoints, whose deliveries kept failing.
pub struct TellAdmins(pub AppState);

#[async_trait::async_trait]
impl OnDisabled for TellAdmins {
    async fn endpoint_disabled(&self, webhook: &Endpoint) {
        let state = &self.0;
        let Ok(admins) = users::admin_emails(&state.store, &webhook.organisation_id).await else {
            return;
        };
        let link = format!(
            "{}/projects/{}/webhooks/{}",
            state.config.public_url.trim_end_matches('/'),
            webhook.project_id,
            webhook.id
        );
        for to in admins {
            let mail = Mail {
                to,
                subject: "A webhook endpoint was disabled".into(),
                body: format!(
                    "Deliveries to {} kept failing until they ran out of retries, so the endpoint \
                     is disabled and gets no new events.\n\n\
                     See the delivery log, fix the receiver, then enable the endpoint again and \
                     redeliver what it missed:\n{link}\n",
                    webhook.url
                ),
            };
            if let Err(e) = state
                .mailer
                .send(&state.store, state.clock.as_ref(), mail)
                .await
            {
                tracing::warn!(error = %e, "could not mail about a disabled endpoint");
            }
        }
    }
}
