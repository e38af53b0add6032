//! Webhook endpoints, their signing secrets, test events, and the delivery
//! log with redelivery.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_contract::ids::WebhookId;
use portal_contract::projects::Environment;
use portal_contract::webhooks::{
    DeliveryDetail, DeliveryOut, DeliveryPage, DeliveryQuery, EventTypeList, EventTypeOut,
    PORTAL_EVENT_TYPES, SecretRevealIn, SecretRotateIn, WebhookIn, WebhookList, WebhookOut,
    WebhookPatch, WebhookSecretOut, WebhookStats, WebhookTestIn, event_type,
};
use portal_contract::{ErrorBody, ErrorCode, Permission};
use reqwest::Url;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::crypto;
use crate::db::{self, projects::Project, webhooks::Webhook};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::state::AppState;
use crate::step_up::verify_pin;
use crate::webhooks::events::{self, Audience};
use crate::webhooks::{signing, ssrf};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(event_types))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(reveal_secret))
        .routes(routes!(rotate_secret))
        .routes(routes!(send_test))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(redeliver))
}

async fn own_project(state: &AppState, current: &CurrentUser, id: &str) -> ApiResult<Project> {
    db::projects::get(&state.db, &current.org.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such project in your organisation."))
}

async fn own_webhook(state: &AppState, current: &CurrentUser, id: &str) -> ApiResult<Webhook> {
    db::webhooks::get(&state.db, &current.org.id, id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("There is no such webhook endpoint in your organisation.")
        })
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
    if project.environment == Environment::Production.as_str() && parsed.scheme() != "https" {
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

async fn out(state: &AppState, webhook: &Webhook) -> ApiResult<WebhookOut> {
    let now = state.now();
    let stats = db::webhooks::stats(&state.db, &webhook.project_id, now - 86_400)
        .await?
        .into_iter()
        .find(|(id, _)| *id == webhook.id)
        .map(|(_, s)| s)
        .unwrap_or_default();
    Ok(webhook.to_out(stats, now))
}

fn joined(types: &[String]) -> String {
    let mut types = types.to_vec();
    types.sort();
    types.dedup();
    types.join(" ")
}

/// The event types the portal sends.
#[utoipa::path(get, path = "/api/event-types", tag = "webhooks",
    responses((status = 200, body = EventTypeList), (status = 401, body = ErrorBody)))]
async fn event_types(current: CurrentUser) -> ApiResult<Json<EventTypeList>> {
    current.require(Permission::View)?;
    Ok(Json(EventTypeList {
        items: PORTAL_EVENT_TYPES
            .iter()
            .map(|(name, description)| EventTypeOut {
                name: (*name).into(),
                description: (*description).into(),
            })
            .collect(),
    }))
}

/// A project's endpoints, with their deliveries of the past 24 hours.
#[utoipa::path(get, path = "/api/projects/{id}/webhooks", tag = "webhooks",
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 200, body = WebhookList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_webhooks(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookList>> {
    current.require(Permission::View)?;
    let project = own_project(&state, &current, &id).await?;
    let now = state.now();
    let webhooks = db::webhooks::list_for_project(&state.db, &project.id).await?;
    let mut stats = db::webhooks::stats(&state.db, &project.id, now - 86_400).await?;
    Ok(Json(WebhookList {
        items: webhooks
            .iter()
            .map(|w| {
                let s = stats
                    .iter_mut()
                    .find(|(id, _)| *id == w.id)
                    .map(|(_, s)| std::mem::take(s))
                    .unwrap_or_default();
                w.to_out(s, now)
            })
            .collect(),
    }))
}

/// Add an endpoint. The answer carries its signing secret.
#[utoipa::path(post, path = "/api/projects/{id}/webhooks", tag = "webhooks", request_body = WebhookIn,
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 201, body = WebhookSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<WebhookIn>,
) -> ApiResult<(StatusCode, Json<WebhookSecretOut>)> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let project = own_project(&state, &current, &id).await?;
    input.validate().map_err(ApiError::validation)?;
    let url = check_target(&state, &project, &input.url).await?;
    let webhook_id = crypto::new_id(WebhookId::PREFIX);
    let secret = signing::new_secret();
    let webhook = Webhook {
        secret: state.vault.seal(&webhook_id, &secret),
        id: webhook_id,
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
    db::webhooks::insert(&state.db, &webhook).await?;
    tracing::info!(webhook = %webhook.id, project = %project.id, user = %current.user.id, "webhook endpoint added");
    Ok((
        StatusCode::CREATED,
        Json(WebhookSecretOut {
            webhook: webhook.to_out(WebhookStats::default(), state.now()),
            secret,
        }),
    ))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 200, body = WebhookOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookOut>> {
    current.require(Permission::View)?;
    let webhook = own_webhook(&state, &current, &id).await?;
    Ok(Json(out(&state, &webhook).await?))
}

/// Edit an endpoint, or enable or disable it.
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks", request_body = WebhookPatch,
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 200, body = WebhookOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<WebhookPatch>,
) -> ApiResult<Json<WebhookOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let mut webhook = own_webhook(&state, &current, &id).await?;
    input.validate().map_err(ApiError::validation)?;
    if let Some(url) = &input.url {
        let project = own_project(&state, &current, &webhook.project_id).await?;
        webhook.url = check_target(&state, &project, url).await?;
    }
    if let Some(d) = &input.description {
        webhook.description = d.trim().to_owned();
    }
    if let Some(t) = &input.event_types {
        webhook.event_types = joined(t);
    }
    let mut tx = state.db.begin().await?;
    match input.enabled {
        Some(true) if !webhook.enabled => {
            webhook.enabled = true;
            webhook.disabled_reason = None;
            webhook.failing_since = None;
        }
        Some(false) if webhook.enabled => {
            db::webhooks::disable(&mut tx, &webhook.id, "by_user").await?;
            webhook.enabled = false;
            webhook.disabled_reason = Some("by_user".into());
        }
        _ => {}
    }
    db::webhooks::update(&mut *tx, &webhook).await?;
    tx.commit().await?;
    Ok(Json(out(&state, &webhook).await?))
}

/// Delete an endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let webhook = own_webhook(&state, &current, &id).await?;
    db::webhooks::delete(&state.db, &webhook.id).await?;
    tracing::info!(webhook = %webhook.id, user = %current.user.id, "webhook endpoint deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Show the signing secret again: needs the PIN.
#[utoipa::path(post, path = "/api/webhooks/{id}/secret", tag = "webhooks", request_body = SecretRevealIn,
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 200, body = WebhookSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn reveal_secret(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<SecretRevealIn>,
) -> ApiResult<Json<WebhookSecretOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let webhook = own_webhook(&state, &current, &id).await?;
    input.validate().map_err(ApiError::validation)?;
    verify_pin(&state, &current.user, &input.pin).await?;
    let secret = state.vault.open(&webhook.id, &webhook.secret)?;
    tracing::info!(webhook = %webhook.id, user = %current.user.id, "webhook secret revealed");
    Ok(Json(WebhookSecretOut {
        webhook: out(&state, &webhook).await?,
        secret,
    }))
}

/// Rotate the signing secret; the old one signs too until the overlap ends.
#[utoipa::path(post, path = "/api/webhooks/{id}/secret/rotate", tag = "webhooks", request_body = SecretRotateIn,
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 200, body = WebhookSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn rotate_secret(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<SecretRotateIn>,
) -> ApiResult<Json<WebhookSecretOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let mut webhook = own_webhook(&state, &current, &id).await?;
    input.validate().map_err(ApiError::validation)?;
    verify_pin(&state, &current.user, &input.pin).await?;
    let now = state.now();
    let secret = signing::new_secret();
    let sealed = state.vault.seal(&webhook.id, &secret);
    let overlap = input.overlap.seconds();
    let (previous, until) = if overlap > 0 {
        (Some(webhook.secret.clone()), Some(now + overlap))
    } else {
        (None, None)
    };
    db::webhooks::rotate_secret(&state.db, &webhook.id, &sealed, previous.as_deref(), until)
        .await?;
    tracing::info!(webhook = %webhook.id, user = %current.user.id, overlap = input.overlap.as_str(), "webhook secret rotated");
    webhook.secret = sealed;
    webhook.previous_secret = previous;
    webhook.previous_secret_until = until;
    Ok(Json(WebhookSecretOut {
        webhook: out(&state, &webhook).await?,
        secret,
    }))
}

/// Send a test event of a chosen type, with a realistic sample payload, to this endpoint.
#[utoipa::path(post, path = "/api/webhooks/{id}/test", tag = "webhooks", request_body = WebhookTestIn,
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 201, body = DeliveryOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The endpoint is disabled"), (status = 422, body = ErrorBody)))]
async fn send_test(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<WebhookTestIn>,
) -> ApiResult<(StatusCode, Json<DeliveryOut>)> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let webhook = own_webhook(&state, &current, &id).await?;
    event_type(&input.event_type).map_err(|m| ApiError::field("event_type", m))?;
    if !webhook.enabled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "This endpoint is disabled. Enable it to send a test event.",
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let published = events::publish(
        &mut tx,
        &current.org.id,
        Audience::Endpoint {
            project: &webhook.project_id,
            webhook: &webhook.id,
        },
        &input.event_type,
        &events::sample(&input.event_type, &webhook.project_id),
        now,
    )
    .await?;
    let delivery = db::webhooks::delivery_of_event(&mut tx, &published.id, &webhook.id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("test delivery not written")))?;
    tx.commit().await?;
    state.deliverer.wake();
    Ok((StatusCode::CREATED, Json(delivery.to_out())))
}

/// An endpoint's deliveries, newest first; filter by status and event type.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id (wh_…)"), DeliveryQuery),
    responses((status = 200, body = DeliveryPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<DeliveryQuery>,
) -> ApiResult<Json<DeliveryPage>> {
    current.require(Permission::View)?;
    let webhook = own_webhook(&state, &current, &id).await?;
    let (rows, total) = db::webhooks::delivery_page(&state.db, &webhook.id, &query).await?;
    let event_types = db::webhooks::delivery_event_types(&state.db, &webhook.id).await?;
    Ok(Json(DeliveryPage {
        items: rows.iter().map(|r| r.to_out()).collect(),
        total: total as u32,
        page: query.page(),
        page_size: DeliveryQuery::PAGE_SIZE,
        event_types,
    }))
}

/// One delivery: the signed body and every attempt's request and response.
#[utoipa::path(get, path = "/api/deliveries/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The delivery's id (dlv_…)")),
    responses((status = 200, body = DeliveryDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_delivery(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DeliveryDetail>> {
    current.require(Permission::View)?;
    let (row, body, url) = db::webhooks::delivery(&state.db, &current.org.id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such delivery in your organisation."))?;
    let attempts = db::webhooks::attempts(&state.db, &row.id).await?;
    Ok(Json(DeliveryDetail {
        webhook_id: WebhookId(row.webhook_id.clone()),
        delivery: row.to_out(),
        url,
        request_body: body,
        attempts,
    }))
}

/// Send a delivery again now, with the same `webhook-id`.
#[utoipa::path(post, path = "/api/deliveries/{id}/redeliver", tag = "webhooks",
    params(("id" = String, Path, description = "The delivery's id (dlv_…)")),
    responses((status = 202, body = DeliveryOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Being sent right now, or the endpoint is disabled")))]
async fn redeliver(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<DeliveryOut>)> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let (row, _, _) = db::webhooks::delivery(&state.db, &current.org.id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such delivery in your organisation."))?;
    let webhook = own_webhook(&state, &current, &row.webhook_id).await?;
    let conflict = |m: &str| ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, m);
    if !webhook.enabled {
        return Err(conflict(
            "This endpoint is disabled. Enable it, then redeliver.",
        ));
    }
    if !db::webhooks::redeliver(&state.db, &row.id, state.now()).await? {
        return Err(conflict("This delivery is being sent right now."));
    }
    state.deliverer.wake();
    let (row, _, _) = db::webhooks::delivery(&state.db, &current.org.id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such delivery in your organisation."))?;
    Ok((StatusCode::ACCEPTED, Json(row.to_out())))
}
