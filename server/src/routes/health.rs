//! `GET /api/health`: liveness with a database round trip.

use axum::extract::State;
use portal_contract::accounts::HealthOut;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Is the server up and its database reachable?
#[utoipa::path(get, path = "/api/health", tag = "meta",
    responses((status = 200, body = HealthOut), (status = 500, body = portal_contract::ErrorBody)))]
async fn health(State(state): State<AppState>) -> ApiResult<Json<HealthOut>> {
    state.store.health().ping().await?;
    Ok(Json(HealthOut {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
