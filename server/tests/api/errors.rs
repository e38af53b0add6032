//! Bad input: every case answers a precise status and the JSON error body.

use serde_json::json;

use crate::helpers::{error_body, spawn_app};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.at("/api/session"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    error_body(response, 400, "malformed_json").await;
}

#[tokio::test]
async fn wrong_types_are_422_naming_the_field() {
    let app = spawn_app().await;
    let response = app
        .post("/api/session", &json!({ "email": 42, "password": "x" }))
        .await;
    let body = error_body(response, 422, "invalid_body").await;
    assert!(
        body["message"].as_str().unwrap().contains("email"),
        "{body}"
    );
    let missing = app
        .post("/api/session", &json!({ "email": "a@b.co" }))
        .await;
    error_body(missing, 422, "invalid_body").await;
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_422_and_changes_nothing() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let project: serde_json::Value = app
        .post(
            "/api/projects",
            &json!({ "name": "Checkout", "environment": "sandbox" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/projects/{}", project["id"].as_str().unwrap());
    // serde reads a struct from an array: `[]` was a patch that changed
    // nothing and answered 200, and `["x"]` renamed the project.
    for body in ["[]", "[\"Renamed\"]", "\"Renamed\"", "42", "null"] {
        let response = app
            .client
            .patch(app.at(&path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let error = error_body(response, 422, "invalid_body").await;
        assert_eq!(
            error["message"], "The request body must be a JSON object.",
            "{body}"
        );
    }
    let now: serde_json::Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(now["name"], "Checkout");
}

#[tokio::test]
async fn pages_out_of_range_are_refused() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    for (query, status, code) in [
        ("page=0", 422, "validation_failed"),
        ("per_page=7", 422, "validation_failed"),
        ("page=4294967296", 400, "invalid_body"),
        ("page=-1", 400, "invalid_body"),
    ] {
        let response = app.get(&format!("/api/users?{query}")).await;
        error_body(response, status, code).await;
    }
    let last = app.get("/api/users?page=4294967295").await;
    assert_eq!(
        last.status(),
        200,
        "the last page number answers an empty page"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.at("/api/session"))
        .header("content-type", "text/plain")
        .body("email=a@b.co")
        .send()
        .await
        .unwrap();
    error_body(response, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let app = spawn_app().await;
    let huge = "x".repeat(portal_server::app::BODY_LIMIT + 1);
    let response = app
        .post(
            "/api/session",
            &json!({ "email": "a@b.co", "password": huge }),
        )
        .await;
    error_body(response, 413, "payload_too_large").await;
}

#[tokio::test]
async fn unknown_endpoints_and_methods_answer_json() {
    let app = spawn_app().await;
    error_body(app.get("/api/nothing-here").await, 404, "not_found").await;
    error_body(app.get("/v1/nothing-here").await, 404, "not_found").await;
    let put = app.client.put(app.at("/api/session")).send().await.unwrap();
    error_body(put, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn state_changes_need_the_request_header_and_our_origin() {
    let app = spawn_app().await;
    let body = json!({ "email": "a@b.co", "password": "x" });
    let bare = reqwest::Client::new();
    let no_header = bare
        .post(app.at("/api/session"))
        .header("origin", &app.url)
        .json(&body)
        .send()
        .await
        .unwrap();
    error_body(no_header, 403, "csrf_check_failed").await;
    let foreign = bare
        .post(app.at("/api/session"))
        .header("origin", "https://evil.example")
        .header("x-portal-request", "1")
        .json(&body)
        .send()
        .await
        .unwrap();
    error_body(foreign, 403, "csrf_check_failed").await;
    let no_origin = bare
        .post(app.at("/api/session"))
        .header("x-portal-request", "1")
        .json(&body)
        .send()
        .await
        .unwrap();
    error_body(no_origin, 403, "csrf_check_failed").await;
    // A DNS-rebinding page: its own name resolves to the portal, so the
    // request's Host and Origin agree, and neither is the portal's.
    let rebound = bare
        .post(app.at("/api/session"))
        .header("host", "evil.example")
        .header("origin", "http://evil.example")
        .header("x-portal-request", "1")
        .json(&body)
        .send()
        .await
        .unwrap();
    let refused = error_body(rebound, 403, "csrf_check_failed").await;
    assert_eq!(
        refused["message"],
        format!(
            "This request did not come from the portal. Open the portal at {} and try again.",
            app.url
        )
    );
}

#[tokio::test]
async fn signed_out_requests_are_401() {
    let app = spawn_app().await;
    error_body(app.get("/api/session").await, 401, "unauthenticated").await;
    let patch = app
        .client
        .patch(app.at("/api/me"))
        .json(&json!({ "full_name": "Eve" }))
        .send()
        .await
        .unwrap();
    error_body(patch, 401, "unauthenticated").await;
    let forged = reqwest::Client::new()
        .get(app.at("/api/session"))
        .header("cookie", "portal_session=forged")
        .send()
        .await
        .unwrap();
    error_body(forged, 401, "unauthenticated").await;
}
