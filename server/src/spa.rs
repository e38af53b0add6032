//! Serves the two apps trunk builds, as the page table says
//! (`portal_contract::pages`): the sign-in app (`dist/auth/`) for its pages,
//! the portal app (`dist/app/`) for every other page, so deep links like
//! `/settings` load it. Hashed assets are cached for a
//! year; the HTML is never cached. A portal page's HTML preloads the wasm
//! modules of the page it opens, so they download alongside the app's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portal_contract::ErrorCode;
use portal_contract::pages::{App, PAGES, Page, app_at};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::{ApiError, Failure};
use crate::security::is_api_path;

#[derive(Clone)]
pub struct Spa {
    dist: PathBuf,
    /// `dist/app/index.html`: the portal app.
    portal: Option<String>,
    /// `dist/auth/index.html`: the sign-in app.
    sign_in: Option<String>,
    /// Both apps' `chunks.json` (written by `scripts/split-wasm.sh`): the
    /// wasm modules each page loads before it shows, by the page's chunk.
    chunks: HashMap<String, Vec<String>>,
}

impl Spa {
    /// Reads both apps' HTML once; without them the portal still serves the
    /// API and says how to build the apps.
    pub fn load(dist: &Path) -> Self {
        let read = |app: &str| std::fs::read_to_string(dist.join(app).join("index.html")).ok();
        let (portal, sign_in) = (read("app"), read("auth"));
        if portal.is_none() || sign_in.is_none() {
            tracing::warn!(dist = %dist.display(), "the apps are not built (run `make run`)");
        }
        let chunks: HashMap<String, Vec<String>> = ["app", "auth"]
            .into_iter()
            .filter_map(|app| std::fs::read(dist.join(app).join("chunks.json")).ok())
            .filter_map(|json| serde_json::from_slice::<HashMap<_, _>>(&json).ok())
            .flatten()
            .collect();
        let mut built: Vec<&str> = chunks.keys().map(String::as_str).collect();
        let mut table: Vec<&str> = PAGES.iter().filter_map(|p| p.chunk).collect();
        built.sort_unstable();
        table.sort_unstable();
        if portal.is_some() && sign_in.is_some() && built != table {
            tracing::warn!(
                ?built,
                ?table,
                "the apps' page chunks are not the page table's: \
                pages open without their modules preloaded (build the apps from this version)"
            );
        }
        Self {
            dist: dist.to_owned(),
            portal,
            sign_in,
            chunks,
        }
    }

    /// CSP sources for the inline loader scripts of both apps' HTML.
    pub fn inline_script_hashes(&self) -> Vec<String> {
        [&self.portal, &self.sign_in]
            .into_iter()
            .flatten()
            .flat_map(|html| inline_script_hashes(html))
            .collect()
    }

    /// The HTML of the app that shows `path`.
    fn page(&self, path: &str) -> Response {
        let chunk = Page::at(path).and_then(|page| page.info().chunk);
        let chunks = chunk.and_then(|chunk| self.chunks.get(chunk));
        let html = match (app_at(path), &self.sign_in, &self.portal) {
            (App::SignIn, Some(html), _) => Some(with_preloads(html, chunks)),
            (App::Portal, _, Some(html)) => {
                Some(with_preloads(&with_page_title(html, path), chunks))
            }
            _ => None,
        };
        let mut response = match html {
            Some(html) => Html(html).into_response(),
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

/// The portal's HTML with the page's title in the frame it paints before the
/// app has loaded (its one empty `<h1>`), so a signed-in page shows where it
/// is, and its largest paint, before the wasm has run.
fn with_page_title(html: &str, path: &str) -> String {
    match Page::at(path).and_then(|page| page.info().frame_title) {
        Some(title) => html.replacen("<h1></h1>", &format!("<h1>{title}</h1>"), 1),
        None => html.to_owned(),
    }
}

/// An app's HTML with a preload for each of the page's wasm modules.
/// Without them the browser would learn of the modules only once the app's
/// wasm had loaded and its router had asked for the page: one more round trip
/// before the page shows. `as=fetch crossorigin` matches the loader's
/// `fetch()`, so the download is used, not repeated.
fn with_preloads(html: &str, chunks: Option<&Vec<String>>) -> String {
    let Some(chunks) = chunks.filter(|c| !c.is_empty()) else {
        return html.to_owned();
    };
    let links: String = chunks
        .iter()
        .map(|href| format!("<link as=fetch crossorigin href={href} rel=preload>"))
        .collect();
    html.replacen("</head>", &format!("{links}</head>"), 1)
}

/// The router's fallback: unknown API paths get the JSON 404, files in
/// `dist/` are served, and everything else that looks like a page gets its app.
pub async fn fallback(State(spa): State<Spa>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if is_api_path(&path) {
        return ApiError::not_found("There is no such endpoint. See /api/openapi.json.")
            .into_response();
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return ApiError::new(
            Failure::MethodNotAllowed,
            ErrorCode::MethodNotAllowed,
            "This method is not allowed here.",
        )
        .into_response();
    }
    if path == "/" {
        return spa.page(&path);
    }
    // `make app` writes a brotli (quality 11) and a gzip (-9) copy of each
    // asset next to it: a quarter smaller than compressing on the fly, and
    // no CPU per request.
    let served = ServeDir::new(&spa.dist)
        .precompressed_br()
        .precompressed_gzip()
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
        _ => spa.page(&path),
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
    fn the_frame_shows_the_title_of_the_pages_it_knows() {
        let html = "<main><div class=page-header><h1></h1></div></main>";
        assert_eq!(
            with_page_title(html, "/projects"),
            "<main><div class=page-header><h1>Projects</h1></div></main>"
        );
        assert_eq!(
            with_page_title(html, "/"),
            "<main><div class=page-header><h1>Overview</h1></div></main>"
        );
        assert_eq!(with_page_title(html, "/projects/p_1"), html);
    }

    #[test]
    fn the_page_preloads_its_modules_in_the_head() {
        let html = "<head><title>P</title></head><body></body>";
        let chunks = vec!["/app/a-1.wasm".to_owned(), "/app/b-2.wasm".to_owned()];
        assert_eq!(
            with_preloads(html, Some(&chunks)),
            "<head><title>P</title><link as=fetch crossorigin href=/app/a-1.wasm rel=preload>\
             <link as=fetch crossorigin href=/app/b-2.wasm rel=preload></head><body></body>"
        );
        assert_eq!(with_preloads(html, None), html);
    }

    #[test]
    fn hashes_only_inline_scripts() {
        let html = r#"<script src="/a.js"></script><script type="module">go()</script>"#;
        let hashes = inline_script_hashes(html);
        let expected = STANDARD.encode(Sha256::digest(b"go()"));
        assert_eq!(hashes, vec![format!("'sha256-{expected}'")]);
    }
}
