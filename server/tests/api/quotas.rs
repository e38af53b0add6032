//! One organisation can't take what the others need: a project holds only
//! so many credentials and endpoints, an organisation publishes only so many
//! events a second, test events and redeliveries are limited, and an
//! organisation awaiting approval can't point deliveries anywhere.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::receiver::Receiver;

async fn endpoint(app: &TestApp, project: &str, receiver: &Receiver) -> reqwest::Response {
    app.post(
        &format!("/api/projects/{project}/webhooks"),
        &json!({ "url": format!("{}/hook", receiver.url) }),
    )
    .await
}

#[tokio::test]
async fn a_project_holds_only_so_many_working_credentials() {
    let app = spawn_with(|c| c.credentials_per_project = 2).await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let first = app.credential(&project, &["read"]).await;
    app.credential(&project, &["read"]).await;
    let body = json!({ "description": "One too many", "scopes": ["read"], "pin": PIN });
    let refused = app.create_credential(&app.client, &project, &body).await;
    let refused = error_body(refused, 422, "quota_exceeded").await;
    assert_eq!(
        refused["message"],
        "A project can have 2 working credentials, and this one has them all. \
         Revoke one you no longer use first."
    );
    // Another project has its own.
    let other = app.project("Billing", "sandbox").await;
    app.credential(&other, &["read"]).await;
    // A revoked one frees its place.
    let revoked = app
        .send(
            &app.client,
            Method::DELETE,
            &format!("/api/credentials/{}", first.client_id),
            &json!({ "pin": PIN }),
        )
        .await;
    assert!(revoked.status().is_success(), "{}", revoked.status());
    let created = app.create_credential(&app.client, &project, &body).await;
    assert_eq!(created.status(), 201);
}

#[tokio::test]
async fn a_project_holds_only_so_many_endpoints() {
    let app = spawn_with(|c| {
        c.endpoints_per_project = 1;
        c.webhook_allow_private = true;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let first = endpoint(&app, &project, &receiver).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let refused = error_body(
        endpoint(&app, &project, &receiver).await,
        422,
        "quota_exceeded",
    )
    .await;
    assert_eq!(
        refused["message"],
        "A project can have 1 webhook endpoints, and this one has them all. \
         Delete one you no longer use first."
    );
    let deleted = app
        .send(
            &app.client,
            Method::DELETE,
            &format!("/api/webhooks/{}", first["webhook"]["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(endpoint(&app, &project, &receiver).await.status(), 201);
}

#[tokio::test]
async fn an_organisation_publishes_only_so_many_events_a_second() {
    let app = spawn_with(|c| {
        c.organisation_events_per_second = 3;
        c.events_per_second = 100;
        c.token_requests_per_second = 100;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    let mut tokens = Vec::new();
    for name in ["Checkout", "Billing"] {
        let project = app.project(name, "sandbox").await;
        let c = app.credential(&project, &["write"]).await;
        tokens.push(app.access_token(&c.client_id, &c.client_secret).await);
    }
    let publish = |token: &str| {
        reqwest::Client::new()
            .post(app.at("/v1/events"))
            .bearer_auth(token)
            .json(&json!({ "type": "order.created", "data": {} }))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(publish(&tokens[0]).await.unwrap().status(), 202);
    }
    // The other project's credential shares the organisation's allowance.
    let refused = publish(&tokens[1]).await.unwrap();
    assert_eq!(refused.headers()["retry-after"], "1");
    oauth_error(refused, 429, "rate_limited").await;
    app.clock.advance(1);
    assert_eq!(publish(&tokens[1]).await.unwrap().status(), 202);
}

#[tokio::test]
async fn test_events_and_redeliveries_are_limited_per_organisation() {
    let app = spawn_with(|c| c.webhook_allow_private = true).await;
    app.confirmed_user("ada@acme.test").await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let created: Value = endpoint(&app, &project, &receiver)
        .await
        .json()
        .await
        .unwrap();
    let webhook = created["webhook"]["id"].as_str().unwrap().to_owned();
    let test_path = format!("/api/webhooks/{webhook}/test");
    let test_body = json!({ "event_type": "credential.created" });
    let test_event = || app.post(&test_path, &test_body);
    let mut delivery = String::new();
    for _ in 0..30 {
        let sent = test_event().await;
        assert_eq!(sent.status(), 201);
        let sent: Value = sent.json().await.unwrap();
        delivery = sent["id"].as_str().unwrap().to_owned();
    }
    // Thirty a minute: the next waits two seconds.
    rate_limited(test_event().await, 2).await;
    let redelivered = app
        .post(&format!("/api/deliveries/{delivery}/redeliver"), &json!({}))
        .await;
    rate_limited(redelivered, 2).await;
    app.clock.advance(2);
    assert_eq!(test_event().await.status(), 201);
}

#[tokio::test]
async fn an_organisation_awaiting_approval_adds_no_endpoint() {
    let app = spawn_with(|c| {
        c.auto_approve = false;
        c.webhook_allow_private = true;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let refused = error_body(
        endpoint(&app, &project, &receiver).await,
        403,
        "org_not_approved",
    )
    .await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("webhook endpoints")
    );
    assert_eq!(app.count("webhooks").await, 0);
}
