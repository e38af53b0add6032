//! Serves the app built by trunk: hashed assets cached for a year, index.html
//! never cached, and any other page path answered with index.html so deep
//! links like `/settings` load the app.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portal_contract::ErrorCode;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::ApiError;
use crate::security::is_api_path;

#[derive(Clone)]
pub struct Spa {
    dist: PathBuf,
    index: Option<String>,
}

impl Spa {
    /// Reads `dist/index.html` once; without it the portal still serves the API
    /// and says how to build the app.
    pub fn load(dist: &Path) -> Self {
        let index = std::fs::read_to_string(dist.join("index.html")).ok();
        if index.is_none() {
            tracing::warn!(dist = %dist.display(), "no index.html: the app is not built (run `make run`)");
        }
        Self {
            dist: dist.to_owned(),
            index,
        }
    }

    /// CSP sources for the inline scripts of index.html.
    pub fn inline_script_hashes(&self) -> Vec<String> {
        self.index
            .as_deref()
            .map(inline_script_hashes)
            .unwrap_or_default()
    }

    fn index(&self) -> Response {
        let mut response = match &self.index {
            Some(html) => Html(html.clone()).into_response(),
            None => (
                StatusCode::SERVICE_UNAVAILABLE,
                Html("<!doctype html><title>Partner Portal</title><p>The app is not built. Run <code>make run</code>.</p>"),
            )
                .into_response(),
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

/// The router's fallback: unknown API paths get the JSON 404, files in
/// `dist/` are served, and everything else that looks like a page gets the app.
pub async fn fallback(State(spa): State<Spa>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if is_api_path(&path) {
        return ApiError::not_found("There is no such endpoint. See /api/openapi.json.")
            .into_response();
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "This method is not allowed here.",
        )
        .into_response();
    }
    if path == "/" || path == "/index.html" {
        return spa.index();
    }
    let served = ServeDir::new(&spa.dist)
        .append_index_html_on_directories(false)
        .oneshot(request)
        .await;
    match served {
        Ok(response) if response.status().is_success() => {
            let (mut parts, body) = response.into_parts();
            // trunk puts a content hash in every asset's name.
            parts.headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            Response::from_parts(parts, Body::new(body))
        }
        // A missing file (a name with an extension) is a 404; a page path is the app's.
        _ if path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.')) =>
        {
            (StatusCode::NOT_FOUND, "Not found").into_response()
        }
        _ => spa.index(),
    }
}

/// `'sha256-…'` of every `<script>` without `src` in `html`.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            hashes.push(format!("'sha256-{}'", STANDARD.encode(digest)));
        }
        rest = &body[close..];
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = r#"<script src="/a.js"></script><script type="module">go()</script>"#;
        let hashes = inline_script_hashes(html);
        let expected = STANDARD.encode(Sha256::digest(b"go()"));
        assert_eq!(hashes, vec![format!("'sha256-{expected}'")]);
    }
}
