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

/// Deletes a project (with the PIN).
async fn delete_project(app: &TestApp, project: &str) {
    let deleted = app
        .send(
            &app.client,
            Method::DELETE,
            &format!("/api/projects/{project}"),
            &json!({ "pin": PIN }),
        )
        .await;
    assert_eq!(deleted.status(), 204);
}

async fn usage(app: &TestApp) -> Value {
    let usage = app.get("/api/organisation/usage").await;
    assert_eq!(usage.status(), 200);
    usage.json().await.unwrap()
}

#[tokio::test]
async fn an_organisation_holds_only_so_many_projects() {
    let app = spawn_with(|c| c.projects_per_organisation = 2).await;
    app.confirmed_user("ada@acme.test").await;
    let first = app.project("Checkout", "sandbox").await;
    app.project("Billing", "sandbox").await;
    let refused = app
        .post(
            "/api/projects",
            &json!({ "name": "One too many", "environment": "sandbox" }),
        )
        .await;
    let refused = error_body(refused, 422, "quota_exceeded").await;
    assert_eq!(
        refused["message"],
        "An organisation can have 2 projects, and yours has them all. \
         Delete one you no longer use first."
    );
    assert_eq!(
        usage(&app).await["projects"],
        json!({ "used": 2, "limit": 2 })
    );
    // Another organisation has its own.
    let eve = app.other_organisation().await;
    let theirs = eve
        .post(app.at("/api/projects"))
        .json(&json!({ "name": "Shop", "environment": "sandbox" }))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 201);
    // A deleted one frees its place.
    delete_project(&app, &first).await;
    app.project("Payouts", "sandbox").await;
}

#[tokio::test]
async fn an_organisation_holds_only_so_many_endpoints_in_all_its_projects() {
    let app = spawn_with(|c| {
        c.endpoints_per_organisation = 2;
        c.webhook_allow_private = true;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    let receiver = Receiver::start().await;
    let checkout = app.project("Checkout", "sandbox").await;
    let billing = app.project("Billing", "sandbox").await;
    assert_eq!(endpoint(&app, &checkout, &receiver).await.status(), 201);
    assert_eq!(endpoint(&app, &billing, &receiver).await.status(), 201);
    let refused = error_body(
        endpoint(&app, &billing, &receiver).await,
        422,
        "quota_exceeded",
    )
    .await;
    assert_eq!(
        refused["message"],
        "An organisation can have 2 webhook endpoints in all its projects, and yours has \
         them all. Delete one you no longer use first."
    );
    assert_eq!(
        usage(&app).await["endpoints"],
        json!({ "used": 2, "limit": 2 })
    );
    // Deleting a project deletes its endpoints, and frees their places.
    delete_project(&app, &checkout).await;
    assert_eq!(endpoint(&app, &billing, &receiver).await.status(), 201);
}

#[tokio::test]
async fn an_organisation_keeps_only_so_many_bytes_of_events() {
    let app = spawn_with(|c| {
        c.event_storage_mb = 1;
        c.webhook_allow_private = true;
        c.events_per_second = 1000;
        c.organisation_events_per_second = 1000;
        c.token_requests_per_second = 100;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    assert_eq!(endpoint(&app, &project, &receiver).await.status(), 201);
    let writer = app.credential(&project, &["write"]).await;
    let token = app
        .access_token(&writer.client_id, &writer.client_secret)
        .await;
    // Events of some 30 KB: a megabyte holds about 34 of them.
    let data = json!({ "blob": "x".repeat(30_000) });
    let publish = || {
        reqwest::Client::new()
            .post(app.at("/v1/events"))
            .bearer_auth(&token)
            .json(&json!({ "type": "order.created", "data": data }))
            .send()
    };
    let mut kept = 0;
    let refused = loop {
        let answer = publish().await.unwrap();
        if answer.status() != 202 {
            break answer;
        }
        kept += 1;
        assert!(kept < 100, "never refused");
    };
    assert!(
        (30..=35).contains(&kept),
        "{kept} events kept in a megabyte"
    );
    let refused = oauth_error(refused, 422, "quota_exceeded").await;
    assert!(
        refused["error_description"]
            .as_str()
            .unwrap()
            .starts_with("Your organisation keeps at most 1 MB of events"),
        "{refused}"
    );
    let used = usage(&app).await["event_bytes"].clone();
    assert_eq!(used["limit"], 1024 * 1024);
    let used = used["used"].as_i64().unwrap();
    assert!(used > 1024 * 1024 - 31_000 && used <= 1024 * 1024, "{used}");
    // Deleting the project deletes its events, and frees their space.
    delete_project(&app, &project).await;
    let left = usage(&app).await["event_bytes"]["used"].as_i64().unwrap();
    assert!(left < 30_000, "{left} bytes still counted");
}
