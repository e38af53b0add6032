//! Prometheus metrics, recorded with the `metrics` crate and served at
//! `/metrics` on their own listener (`PORTAL_METRICS_ADDR`), so the public
//! address never shows them. Without that setting no recorder is installed
//! and every `metrics::` call is a no-op.
//!
//! What is measured: requests by route and status with latency histograms,
//! tokens issued, rate-limit refusals, delivery attempts by outcome, the
//! delivery queue (due deliveries, age of the oldest) and the database pool.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use metrics_util::MetricKindMask;

use crate::state::AppState;

/// Latency buckets in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How long a series may go without an update before it is dropped: far
/// longer than any scrape interval.
const IDLE: Duration = Duration::from_secs(15 * 60);

/// The process's recorder; one per process however many apps it builds
/// (tests build many).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("buckets are not empty")
            // A series not updated for this long is dropped (by the upkeep
            // below), so labels that stop occurring don't stay forever.
            .idle_timeout(MetricKindMask::ALL, Some(IDLE))
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed, which nothing else does.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "portal_http_requests_total",
        "API requests answered, by method, route and status."
    );
    describe_histogram!(
        "portal_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an API request, by method and route."
    );
    describe_counter!(
        "portal_tokens_issued_total",
        "Access tokens issued at POST /v1/auth/token."
    );
    describe_counter!(
        "portal_rate_limited_total",
        "Requests refused by a rate limit, by limit."
    );
    describe_counter!(
        "portal_rate_limit_store_errors_total",
        "Redis calls that failed; those requests were limited per instance."
    );
    describe_counter!(
        "portal_delivery_attempts_total",
        "Webhook delivery attempts, by outcome: succeeded, retrying, failed."
    );
    describe_histogram!(
        "portal_delivery_attempt_duration_seconds",
        metrics::Unit::Seconds,
        "Time from sending a delivery to the endpoint's answer."
    );
    describe_gauge!(
        "portal_delivery_queue_due",
        "Deliveries due now that no worker holds (all instances)."
    );
    describe_gauge!(
        "portal_delivery_queue_oldest_due_seconds",
        "How long the oldest due delivery has waited (all instances)."
    );
    describe_gauge!(
        "portal_database_connections",
        "This instance's database connections, by state: idle, in_use."
    );
    describe_gauge!(
        "portal_database_connections_max",
        "The most database connections this instance opens."
    );
}

/// Installs the recorder and serves `/metrics` on `addr` until the process
/// ends; also samples the queue and the pool now and then.
pub async fn serve(addr: SocketAddr, state: AppState) -> anyhow::Result<()> {
    let recorder = handle();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {addr}: {e}"))?;
    tracing::info!("metrics at http://{}/metrics", listener.local_addr()?);
    tokio::spawn(sample(state));
    let app = Router::new().route("/metrics", get(|| async { handle().render() }));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            recorder.run_upkeep();
        }
    });
    Ok(())
}

/// Counts an API request and how long it took, by the route it matched
/// (`/api/projects/{id}`, not the id: one series per route).
pub async fn track(route: MatchedPath, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = route.as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("portal_http_request_duration_seconds", "method" => method, "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("portal_http_requests_total", "method" => method, "route" => route, "status" => status)
        .increment(1);
    response
}

/// A request's method as a label: one of HTTP's own, else `other`. A client
/// may send any token as a method (`curl -X AAAA1`), and a label per token
/// would grow the metrics without bound.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// The queue and the pool, every few seconds.
async fn sample(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        every.tick().await;
        let pool = state.store.pool();
        metrics::gauge!("portal_database_connections", "state" => "idle").set(pool.idle as f64);
        metrics::gauge!("portal_database_connections", "state" => "in_use")
            .set((pool.size as usize).saturating_sub(pool.idle) as f64);
        metrics::gauge!("portal_database_connections_max").set(pool.max as f64);
        let now = state.now();
        match state.store.queue().depth(now).await {
            Ok(depth) => {
                metrics::gauge!("portal_delivery_queue_due").set(depth.due as f64);
                let age = depth.oldest_due_at.map_or(0, |at| (now - at).max(0));
                metrics::gauge!("portal_delivery_queue_oldest_due_seconds").set(age as f64);
            }
            Err(e) => tracing::warn!(error = %e, "could not measure the delivery queue"),
        }
    }
}
