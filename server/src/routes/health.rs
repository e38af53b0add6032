//! Health checks: `/api/health/live` (the process answers), and
//! `/api/health/ready` (it can serve: the database answers; says whether the
//! rate limits are shared). `/api/health` is the short form of ready the
//! portal has always had.

use axum::extract::State;
use axum::http::StatusCode;
use portal_contract::accounts::{HealthOut, ReadyOut};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::Json;
use crate::limits::LimitsStatus;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(live))
        .routes(routes!(ready))
}

fn health_out() -> HealthOut {
    HealthOut {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Is the server up and its database reachable?
#[utoipa::path(get, path = "/api/health", tag = "meta",
    responses((status = 200, body = HealthOut), (status = 500, body = portal_contract::ErrorBody)))]
async fn health(State(state): State<AppState>) -> ApiResult<Json<HealthOut>> {
    state.store.ping().await?;
    Ok(Json(health_out()))
}

/// Does the process answer? Nothing else is asked, so a database outage
/// doesn't get every instance restarted.
#[utoipa::path(get, path = "/api/health/live", tag = "meta",
    responses((status = 200, body = HealthOut)))]
async fn live() -> Json<HealthOut> {
    Json(health_out())
}

/// Should this instance get traffic? 503 when the database doesn't answer.
/// An unreachable Redis is reported but doesn't take the instance out: its
/// limits fall back to per instance, which a proxy can't do better by
/// sending the request elsewhere.
#[utoipa::path(get, path = "/api/health/ready", tag = "meta",
    responses((status = 200, body = ReadyOut), (status = 503, body = ReadyOut)))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<ReadyOut>) {
    let database =
        tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await;
    let database_ok = matches!(database, Ok(Ok(())));
    let rate_limits = match state.limits.status().await {
        LimitsStatus::PerInstance => "per_instance",
        LimitsStatus::Shared => "shared",
        LimitsStatus::Unreachable => "redis_unreachable",
    };
    let status = if database_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(ReadyOut {
            status: if database_ok { "ready" } else { "not_ready" }.into(),
            database: if database_ok { "ok" } else { "unreachable" }.into(),
            rate_limits: rate_limits.into(),
        }),
    )
}
