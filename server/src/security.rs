//! Response security headers and the CSRF guard for state-changing requests.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portal_contract::{ErrorCode, REQUEST_HEADER, REQUEST_HEADER_VALUE};

use crate::error::{ApiError, Failure};
use crate::state::AppState;

/// The app's Content-Security-Policy. `inline_script_hashes` are the
/// `'sha256-…'` sources of the loader script trunk writes into index.html.
pub fn content_security_policy(inline_script_hashes: &[String]) -> String {
    let hashes: String = inline_script_hashes
        .iter()
        .map(|h| format!(" {h}"))
        .collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The headers every response gets that depend on the configuration.
#[derive(Clone)]
pub struct Headers {
    pub csp: HeaderValue,
    /// `Strict-Transport-Security`, when the portal is served over https:
    /// browsers then never try it over plain http (no downgrade, no cookie
    /// sent in clear). Not on http, where it would mean nothing.
    pub hsts: Option<HeaderValue>,
}

impl Headers {
    pub fn new(csp: HeaderValue, public_url: &str) -> Self {
        let https = public_url.starts_with("https://");
        Self {
            csp,
            hsts: https.then(|| HeaderValue::from_static("max-age=63072000; includeSubDomains")),
        }
    }
}

/// Adds the security headers to every response that doesn't set its own.
pub async fn headers(State(all): State<Headers>, request: Request, next: Next) -> Response {
    let Headers { csp, hsts } = all;
    let is_api = is_api_path(request.uri().path());
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let mut set = |name: header::HeaderName, value: HeaderValue| {
        h.entry(name).or_insert(value);
    };
    set(header::CONTENT_SECURITY_POLICY, csp);
    set(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    set(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    set(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    set(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    set(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if let Some(hsts) = hsts {
        set(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    if is_api {
        // API answers carry personal data: no cache may keep them.
        set(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Paths answered by the API rather than the app.
pub fn is_api_path(path: &str) -> bool {
    ["/api", "/v1", "/.well-known"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// State-changing `/api` requests need the portal's request header and an
/// `Origin` of the portal itself: a cross-site page can send neither.
pub async fn csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let public = state.config.public_origin();
    if same_origin(&public, request.headers()) {
        next.run(request).await
    } else {
        ApiError::new(
            Failure::Forbidden,
            ErrorCode::CsrfCheckFailed,
            format!(
                "This request did not come from the portal. Open the portal at {public} and try again."
            ),
        )
        .into_response()
    }
}

/// The portal's request header, and an `Origin` equal to the configured
/// public origin, nothing else: not the `Host` the request names, which a
/// DNS-rebinding page controls (its own name, resolving to the portal).
fn same_origin(public: &str, headers: &HeaderMap) -> bool {
    let has_marker = headers
        .get(REQUEST_HEADER)
        .is_some_and(|v| v == REQUEST_HEADER_VALUE);
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    has_marker && origin == Some(public)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_lists_the_loader_hashes() {
        let csp = content_security_policy(&["'sha256-abc'".into()]);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc';"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn api_paths() {
        assert!(is_api_path("/api/session"));
        assert!(is_api_path("/v1"));
        assert!(is_api_path("/.well-known/jwks.json"));
        assert!(!is_api_path("/apiary"));
        assert!(!is_api_path("/settings"));
    }
}
