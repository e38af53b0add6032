//! Builds the whole HTTP application: API routes, the OpenAPI document, the
//! app's static files, and the layers every request passes through.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderValue;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use portal_contract::ErrorCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{ApiError, Failure};
use crate::limits::Limits;
use crate::mail::Mailer;
use crate::services::endpoints::TellAdmins;
use crate::spa::{self, Spa};
use crate::state::{AppState, Inner};
use crate::store::{Store, sessions};
use crate::tokens::{KeySet, TokenSigner};
use crate::usage::{self, Usage};
use crate::webhooks::deliver::{self, Deliverer, Worker};
use crate::webhooks::vault::Vault;
use crate::{crypto, openapi, routes, security, telemetry};

/// The largest JSON body the API reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Opens the database and builds the application and its state.
pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<(Router, AppState)> {
    let mailer = Mailer::from_config(
        config.smtp_url.as_deref(),
        &config.mail_from,
        config.print_mail,
    )?;
    build_with_mailer(config, clock, mailer).await
}

/// `build`, sending mail with `mailer`.
pub async fn build_with_mailer(
    config: Config,
    clock: Arc<dyn Clock>,
    mailer: Mailer,
) -> anyhow::Result<(Router, AppState)> {
    let store = Store::connect(&config.database_url, &config.database_options()).await?;
    let spa = Spa::load(&config.dist);
    let (signer, vault) = keys(&config)?;
    let deliverer = Deliverer::new(
        config.webhook_allow_private,
        Duration::from_secs(config.delivery_lease_seconds),
    )?;
    let hash_gate = crypto::HashGate::new(config.hashing_concurrency, config.hashing_queue);
    let state = AppState::new(Inner {
        store,
        mailer,
        limits: Limits::new(&config, clock.clone(), vault.limit_key()).await?,
        clock,
        signer,
        usage: Usage::default(),
        vault: Arc::new(vault),
        deliverer: Arc::new(deliverer),
        dummy_password_hash: crypto::hash_secret(
            &hash_gate,
            crypto::Caller::Known,
            crypto::random_token(),
        )
        .await?,
        hash_gate,
        config,
    });
    Ok((router(state.clone(), spa), state))
}

/// What several instances on one database must be told: the same keys.
const SHARED_KEYS: &str = "On PostgreSQL several instances share one database, so every instance \
must sign tokens and seal webhook secrets with the same keys, given by configuration: set \
PORTAL_TOKEN_KEYS_FILE and PORTAL_WEBHOOK_KEY_FILE to files every instance can read (make them \
with `portal-server keys init --dir DIR`; after `db copy`, point them at the data folder's \
token-signing.key and webhook-secrets.key).";

/// The token signing key set and the webhook sealing key: from the
/// configuration, or (one machine on SQLite) kept in the data folder.
fn keys(config: &Config) -> anyhow::Result<(TokenSigner, Vault)> {
    let shared = config.database_url.starts_with("postgres");
    let issuer = &config.public_url;
    let signer = match (&config.token_keys, &config.token_keys_file) {
        (Some(keys), _) => TokenSigner::from_keys(KeySet::parse(&keys.replace(',', "\n"))?, issuer),
        (None, Some(file)) => TokenSigner::from_file(file, issuer)?,
        (None, None) if shared => {
            anyhow::bail!("no token signing keys are configured. {SHARED_KEYS}")
        }
        (None, None) => TokenSigner::load_or_create(&config.data_dir, issuer)?,
    };
    let vault = match (&config.webhook_key, &config.webhook_key_file) {
        (Some(key), _) => Vault::from_base64(key)?,
        (None, Some(file)) => Vault::from_file(file)?,
        (None, None) if shared => {
            anyhow::bail!("no webhook sealing key is configured. {SHARED_KEYS}")
        }
        (None, None) => Vault::load_or_create(&config.data_dir)?,
    };
    Ok((signer, vault))
}

fn router(state: AppState, spa: Spa) -> Router {
    let (api, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(routes::health::router())
        .merge(routes::accounts::router())
        .merge(routes::settings::router())
        .merge(routes::team::router())
        .merge(routes::projects::router())
        .merge(routes::credentials::router())
        .merge(routes::partner::router())
        .merge(routes::endpoints::router())
        .split_for_parts();
    let document = Arc::new(openapi::complete(document));
    let csp = HeaderValue::try_from(security::content_security_policy(
        &spa.inline_script_hashes(),
    ))
    .expect("CSP is ASCII");
    let public_url = state.config.public_url.clone();

    let api = api
        .route(
            "/api/openapi.json",
            get(move || {
                let document = document.clone();
                async move { axum::Json(document.as_ref().clone()) }
            }),
        )
        .method_not_allowed_fallback(method_not_allowed);
    // Only when metrics are served: each request's labels cost allocations.
    let api = if state.config.metrics_addr.is_some() {
        api.route_layer(middleware::from_fn(telemetry::track))
    } else {
        api
    };
    api.layer(middleware::from_fn_with_state(state.clone(), security::csrf))
    .with_state(state)
    .fallback(spa::fallback)
    .with_state(spa)
    .layer(DefaultBodyLimit::max(BODY_LIMIT))
    .layer(CompressionLayer::new())
    .layer(middleware::from_fn_with_state(
        security::Headers::new(csp, &public_url),
        security::headers,
    ))
    .layer(CatchPanicLayer::custom(|_| {
        ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
    }))
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        // The path only: query strings can hold one-time tokens.
        tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
    }))
    .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        Failure::MethodNotAllowed,
        ErrorCode::MethodNotAllowed,
        "This method is not allowed on this endpoint.",
    )
}

#[derive(Clone)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::try_from(crypto::new_id("req_"))
            .ok()
            .map(RequestId::new)
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, finishing requests
/// in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    tokio::spawn(housekeeping(state.clone()));
    tokio::spawn(record_usage(state.clone()));
    tokio::spawn(reload_keys(state.clone()));
    if let Some(addr) = state.config.metrics_addr {
        telemetry::serve(addr, state.clone()).await?;
    }
    let worker = tokio::spawn(deliver::run(Worker {
        store: state.store.clone(),
        vault: state.vault.clone(),
        clock: state.clock.clone(),
        deliverer: state.deliverer.clone(),
        on_disabled: Arc::new(TellAdmins(state.clone())),
    }));
    let stopping = state.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        // The worker stops claiming while the requests in flight finish.
        stopping.deliverer.stop();
    })
    .await?;
    // It finishes its attempts or hands them back.
    let _ = worker.await;
    state.usage.flush(&state.store).await?;
    Ok(())
}

/// Writes credential use noted by requests.
async fn record_usage(state: AppState) {
    let mut every = tokio::time::interval(usage::FLUSH_EVERY);
    loop {
        every.tick().await;
        if let Err(e) = state.usage.flush(&state.store).await {
            tracing::warn!(error = %e, "could not record credential use");
        }
    }
}

/// Looks at the token key set file now and then: a rotation or a
/// retirement reaches every instance within seconds.
async fn reload_keys(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        state.signer.reload().await;
    }
}

/// Drops expired sessions, idle rate-limit keys and whatever is past its
/// retention, now and then.
async fn housekeeping(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        state.limits.prune();
        if let Err(e) = sessions::delete_expired(&state.store, state.now()).await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
        if let Err(e) = crate::services::retention::purge(&state).await {
            tracing::warn!(error = %e, "could not delete what is past its retention");
        }
    }
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
