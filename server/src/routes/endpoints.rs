//! Webhook endpoints, their signing secrets, test events, and the delivery
//! log with redelivery.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_contract::ids::{DeliveryId, EndpointId, ProjectId};
use portal_contract::webhooks::{
    DeliveryDetail, DeliveryOut, DeliveryPage, DeliveryQuery, EndpointIn, EndpointList,
    EndpointOut, EndpointPatch, EndpointSecretOut, EndpointTestIn, EventTypeList, SecretRevealIn,
    SecretRotateIn,
};
use portal_contract::{ErrorBody, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::services::endpoints;
use crate::state::AppState;

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

/// The event types the portal sends.
#[utoipa::path(get, path = "/api/event-types", tag = "webhooks",
    responses((status = 200, body = EventTypeList), (status = 401, body = ErrorBody)))]
async fn event_types(current: CurrentUser) -> ApiResult<Json<EventTypeList>> {
    current.require(Permission::View)?;
    Ok(Json(endpoints::event_types()))
}

/// A project's endpoints, with their deliveries of the past 24 hours.
#[utoipa::path(get, path = "/api/projects/{id}/webhooks", tag = "webhooks",
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 200, body = EndpointList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_webhooks(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<ProjectId>,
) -> ApiResult<Json<EndpointList>> {
    current.require(Permission::View)?;
    Ok(Json(endpoints::list(&state, &current, &id).await?))
}

/// Add an endpoint. The answer carries its signing secret.
#[utoipa::path(post, path = "/api/projects/{id}/webhooks", tag = "webhooks", request_body = EndpointIn,
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 201, body = EndpointSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<ProjectId>,
    Json(input): Json<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointSecretOut>)> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let created = endpoints::create(&state, &current, &id, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 200, body = EndpointOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<EndpointId>,
) -> ApiResult<Json<EndpointOut>> {
    current.require(Permission::View)?;
    Ok(Json(endpoints::get(&state, &current, &id).await?))
}

/// Edit an endpoint, or enable or disable it.
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks", request_body = EndpointPatch,
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 200, body = EndpointOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<EndpointId>,
    Json(input): Json<EndpointPatch>,
) -> ApiResult<Json<EndpointOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    Ok(Json(endpoints::update(&state, &current, &id, input).await?))
}

/// Delete an endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<EndpointId>,
) -> ApiResult<StatusCode> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    endpoints::delete(&state, &current, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Show the signing secret again: needs the PIN.
#[utoipa::path(post, path = "/api/webhooks/{id}/secret", tag = "webhooks", request_body = SecretRevealIn,
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 200, body = EndpointSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn reveal_secret(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<EndpointId>,
    Json(input): Json<SecretRevealIn>,
) -> ApiResult<Json<EndpointSecretOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    Ok(Json(
        endpoints::reveal_secret(&state, &current, &id, input).await?,
    ))
}

/// Rotate the signing secret; the old one signs too until the overlap ends.
#[utoipa::path(post, path = "/api/webhooks/{id}/secret/rotate", tag = "webhooks", request_body = SecretRotateIn,
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 200, body = EndpointSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn rotate_secret(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<EndpointId>,
    Json(input): Json<SecretRotateIn>,
) -> ApiResult<Json<EndpointSecretOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    Ok(Json(
        endpoints::rotate_secret(&state, &current, &id, input).await?,
    ))
}

/// Send a test event of a chosen type, with a realistic sample payload, to this endpoint.
#[utoipa::path(post, path = "/api/webhooks/{id}/test", tag = "webhooks", request_body = EndpointTestIn,
    params(("id" = String, Path, description = "The endpoint's id (wh_…)")),
    responses((status = 201, body = DeliveryOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The endpoint is disabled"), (status = 422, body = ErrorBody)))]
async fn send_test(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<EndpointId>,
    Json(input): Json<EndpointTestIn>,
) -> ApiResult<(StatusCode, Json<DeliveryOut>)> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let delivery = endpoints::send_test(&state, &current, &id, input).await?;
    Ok((StatusCode::CREATED, Json(delivery)))
}

/// An endpoint's deliveries, newest first; filter by status and event type.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id (wh_…)"), DeliveryQuery),
    responses((status = 200, body = DeliveryPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<EndpointId>,
    Query(query): Query<DeliveryQuery>,
) -> ApiResult<Json<DeliveryPage>> {
    current.require(Permission::View)?;
    Ok(Json(
        endpoints::deliveries(&state, &current, &id, query).await?,
    ))
}

/// One delivery: the signed body and every attempt's request and response.
#[utoipa::path(get, path = "/api/deliveries/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "The delivery's id (dlv_…)")),
    responses((status = 200, body = DeliveryDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_delivery(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<DeliveryId>,
) -> ApiResult<Json<DeliveryDetail>> {
    current.require(Permission::View)?;
    Ok(Json(endpoints::delivery(&state, &current, &id).await?))
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
    Path(id): Path<DeliveryId>,
) -> ApiResult<(StatusCode, Json<DeliveryOut>)> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let delivery = endpoints::redeliver(&state, &current, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}
