//! The app's files: SPA fallback, caching, compression, security headers,
//! and the OpenAPI document.

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_with};

#[tokio::test]
async fn deep_links_get_the_app_uncached_with_a_strict_csp() {
    let app = spawn_app().await;
    for path in ["/", "/settings", "/projects/prj_123/webhooks/wh_1"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let h = response.headers();
        assert_eq!(h["cache-control"], "no-cache");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(
            response.text().await.unwrap().contains(">boot()"),
            "{path}: the portal app"
        );
    }
}

#[tokio::test]
async fn a_page_preloads_the_wasm_modules_it_opens_with() {
    let app = spawn_app().await;
    let page = |path: &'static str| {
        let app = &app;
        async move { app.get(path).await.text().await.unwrap() }
    };
    assert!(page("/team").await.contains(
        "<link as=fetch crossorigin href=/app/split_team_page-1.wasm rel=preload>\
         <link as=fetch crossorigin href=/app/chunk_9-2.wasm rel=preload></head>"
    ));
    let webhook = page("/projects/prj_1/webhooks/wh_1").await;
    assert!(webhook.contains("href=/app/split_webhook_page-3.wasm rel=preload>"));
    assert!(!webhook.contains("split_team_page"));
    let invite = page("/invite?token=x").await;
    assert!(invite.contains(
        "<link as=fetch crossorigin href=/auth/split_invite_page-4.wasm rel=preload>\
         <link as=fetch crossorigin href=/auth/chunk_2-5.wasm rel=preload></head>"
    ));
    assert!(
        page("/signup")
            .await
            .contains("href=/auth/split_sign_up_page-6.wasm rel=preload>")
    );
    // A page in its app's own module and an unknown page preload nothing.
    for path in ["/projects", "/nowhere", "/signin"] {
        assert!(!page(path).await.contains("rel=preload"), "{path}");
    }
}

#[tokio::test]
async fn sign_in_pages_get_the_sign_in_app_and_the_csp_allows_both_loaders() {
    let app = spawn_app().await;
    for path in ["/signin", "/signup", "/signup/confirm", "/invite"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
        assert!(
            response.text().await.unwrap().contains("bootSignIn()"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_compressed() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.at("/app/portal-0123abcd.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(app.get("/app/portal-missing.js").await.status(), 404);
}

#[tokio::test]
async fn assets_go_out_as_their_precompressed_copies() {
    let app = spawn_app().await;
    let get = |encodings: &'static str| {
        app.client
            .get(app.at("/app/portal-0123abcd_bg.wasm"))
            .header("accept-encoding", encodings)
            .send()
    };
    for (accepted, encoding, body) in [
        ("gzip, deflate, br", Some("br"), "brotli 11 copy"),
        ("gzip", Some("gzip"), "gzip -9 copy"),
    ] {
        let response = get(accepted).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/wasm");
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            encoding
        );
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(response.text().await.unwrap(), body, "{accepted}");
    }
    let plain = get("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().len(), 450);
}

#[tokio::test]
async fn api_answers_are_never_cached_and_carry_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/api/health").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/health", "get"),
        ("/api/signup", "post"),
        ("/api/signup/confirm", "post"),
        ("/api/signup/resend", "post"),
        ("/api/session", "post"),
        ("/api/session", "get"),
        ("/api/session", "delete"),
        ("/api/me", "patch"),
        ("/api/me/password", "post"),
        ("/api/me/pin", "post"),
        ("/api/organisation", "patch"),
        ("/api/users", "get"),
        ("/api/users/{id}", "patch"),
        ("/api/invitations", "get"),
        ("/api/invitations", "post"),
        ("/api/invitations/{id}/resend", "post"),
        ("/api/invitations/{id}", "delete"),
        ("/api/invitations/lookup", "get"),
        ("/api/invitations/accept", "post"),
        ("/api/projects", "get"),
        ("/api/projects", "post"),
        ("/api/projects/{id}", "get"),
        ("/api/projects/{id}", "patch"),
        ("/api/projects/{id}", "delete"),
        ("/api/projects/{id}/credentials", "get"),
        ("/api/projects/{id}/credentials", "post"),
        ("/api/credentials/{id}/roll", "post"),
        ("/api/credentials/{id}", "delete"),
        ("/api/overview", "get"),
        ("/v1/auth/token", "post"),
        ("/v1/whoami", "get"),
        ("/.well-known/jwks.json", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
    }
    assert!(doc["components"]["schemas"]["SignUpIn"].is_object());
    complete(&doc);
    assert!(doc["components"]["schemas"]["CredentialSecretOut"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// What the document must say about every operation, so a client (or
/// schemathesis, which `make test` runs against it) meets no answer it
/// doesn't describe: each reference resolves; an operation with a body
/// answers 400, 413, 415 and 422, one with a query 400 and 422, a
/// state-changing `/api` one 403 (the request check); every error answer
/// has the error body; each link names an operation that exists.
fn complete(doc: &Value) {
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &reference[..reference.find('"').unwrap()];
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "unresolved {name}"
        );
    }
    let operations: Vec<(&String, &String, &Value)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .filter(|(method, _)| {
                    ["get", "post", "put", "patch", "delete"].contains(&method.as_str())
                })
                .map(move |(method, op)| (path, method, op))
        })
        .collect();
    let ids: Vec<&str> = operations
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().unwrap())
        .collect();
    let mut links = 0;
    for (path, method, op) in &operations {
        let answers = op["responses"].as_object().unwrap();
        let mut needed = Vec::new();
        if op["requestBody"].is_object() {
            needed.extend(["400", "413", "415", "422"]);
        }
        let has_query = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
        if has_query {
            needed.extend(["400", "422"]);
        }
        if *method != "get" && path.starts_with("/api/") {
            needed.push("403");
        }
        for status in needed {
            assert!(answers.contains_key(status), "{method} {path}: no {status}");
        }
        for (status, answer) in answers {
            if status.starts_with('4') && path.starts_with("/api/") {
                assert_eq!(
                    answer["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
            for (_, link) in answer["links"].as_object().into_iter().flatten() {
                let target = link["operationId"].as_str().unwrap();
                assert!(ids.contains(&target), "{method} {path}: link to {target}");
                links += 1;
            }
        }
    }
    assert!(
        links >= 20,
        "create → read → change → delete links: {links}"
    );
}

#[tokio::test]
async fn served_over_https_the_portal_asks_browsers_to_stay_on_https() {
    let plain = spawn_app().await;
    for path in ["/", "/api/health/live"] {
        let response = plain.get(path).await;
        assert!(
            response
                .headers()
                .get("strict-transport-security")
                .is_none(),
            "{path}"
        );
    }
    // Behind a proxy that terminates TLS: the public URL says https.
    let app = spawn_with(|c| c.public_url = "https://portal.example".into()).await;
    for path in [
        "/",
        "/signin",
        "/api/health/live",
        "/app/portal-0123abcd.js",
    ] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=63072000; includeSubDomains",
            "{path}"
        );
    }
}
