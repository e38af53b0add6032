//! A real HTTP receiver for webhook tests: records every request, answers
//! with the statuses it is told to (then 200), redirects on `/redirect`, and
//! can hold its answers back (a delay, or until released).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::any;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers[name].to_str().unwrap().to_owned()
    }

    /// Whether one of the request's `v1,` signatures is `secret`'s, by an
    /// HMAC computed here from the specification, not with the server's code.
    pub fn signed_by(&self, secret: &str) -> bool {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(
            format!(
                "{}.{}.{}",
                self.header("webhook-id"),
                self.header("webhook-timestamp"),
                self.body
            )
            .as_bytes(),
        );
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        self.header("webhook-signature")
            .split(' ')
            .any(|s| s == expected)
    }
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    statuses: Mutex<VecDeque<u16>>,
    always: Mutex<Option<u16>>,
    delay: Mutex<Duration>,
    /// While true, requests wait for `release` before they are answered.
    held: tokio::sync::watch::Sender<bool>,
    /// Requests received and not answered yet.
    in_flight: std::sync::atomic::AtomicUsize,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

impl Receiver {
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let app = Router::new()
            .route(
                "/redirect",
                any(|| async { (StatusCode::FOUND, [(header::LOCATION, "/hook")]) }),
            )
            .fallback(record)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, inner }
    }

    /// Answers the next requests with these statuses, then 200.
    pub fn respond_with(&self, statuses: &[u16]) {
        self.inner.statuses.lock().unwrap().extend(statuses);
    }

    /// Answers every request with `status` from now on (`None`: 200 again).
    pub fn always(&self, status: Option<u16>) {
        *self.inner.always.lock().unwrap() = status;
    }

    /// Takes this long to answer each request.
    pub fn delay(&self, delay: Duration) {
        *self.inner.delay.lock().unwrap() = delay;
    }

    /// Holds every answer until `release`.
    pub fn hold(&self) {
        self.inner.held.send_replace(true);
    }

    /// Answers the held requests, and the next ones at once.
    pub fn release(&self) {
        self.inner.held.send_replace(false);
    }

    /// Requests that arrived and have not been answered.
    pub fn in_flight(&self) -> usize {
        self.inner
            .in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests have arrived (at most 10 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} requests, got {}", self.received().len());
    }
}

async fn record(
    State(inner): State<Arc<Inner>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    inner.received.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    // Counted until answered, or until the sender hangs up.
    struct InFlight(Arc<Inner>);
    impl Drop for InFlight {
        fn drop(&mut self) {
            self.0
                .in_flight
                .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    inner
        .in_flight
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _in_flight = InFlight(inner.clone());
    let delay = *inner.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let _ = inner.held.subscribe().wait_for(|held| !held).await;
    let next = inner.statuses.lock().unwrap().pop_front();
    let status = next.or(*inner.always.lock().unwrap()).unwrap_or(200);
    (StatusCode::from_u16(status).unwrap(), "thanks")
}
