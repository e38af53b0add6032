//! What `POST /v1/events` accepts and where it goes: the portal's own types
//! are the portal's; a subscription matches a type exactly; an event no
//! endpoint wants is not kept; endpoints whose ids look alike each get
//! theirs.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::real_server::Server;
use crate::receiver::Receiver;

async fn app() -> TestApp {
    let app = spawn_with(|c| c.webhook_allow_private = true).await;
    app.confirmed_user("ada@acme.test").await;
    app
}

/// An endpoint of `project` at the receiver wanting `types`; its id.
async fn endpoint(app: &TestApp, project: &str, receiver: &Receiver, types: &[&str]) -> String {
    let created = app
        .post(
            &format!("/api/projects/{project}/webhooks"),
            &json!({ "url": format!("{}/hook", receiver.url), "event_types": types }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    body["webhook"]["id"].as_str().unwrap().to_owned()
}

/// A write token of a new credential of `project`.
async fn writer(app: &TestApp, project: &str) -> String {
    let credential = app.credential(project, &["write"]).await;
    app.access_token(&credential.client_id, &credential.client_secret)
        .await
}

async fn publish(app: &TestApp, token: &str, event_type: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.at("/v1/events"))
        .bearer_auth(token)
        .json(&json!({ "type": event_type, "data": { "order": 1 } }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn partners_cannot_publish_the_portals_own_event_types() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let token = writer(&app, &project).await;
    endpoint(&app, &project, &receiver, &[]).await;
    let events = app.count("events").await;
    for forged in ["credential.revoked", "member.removed", "webhook.test"] {
        let refused =
            oauth_error(publish(&app, &token, forged).await, 400, "invalid_request").await;
        assert_eq!(
            refused["error_description"],
            format!(
                "{forged} is one of the portal's own event types, which only the portal sends. \
                 Publish a type of your own, like order.created."
            )
        );
    }
    assert_eq!(app.count("events").await, events, "nothing written");
    app.worker_caught_up().await;
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn a_subscription_matches_its_types_exactly() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    endpoint(&app, &project, &receiver, &["order.created"]).await;
    let token = writer(&app, &project).await;
    // `_` is a wildcard in SQL's LIKE; here it is only a character.
    for other in [
        "order.c_eated",
        "order.create",
        "order.created_late",
        "x.order.created",
    ] {
        let published: Value = publish(&app, &token, other).await.json().await.unwrap();
        assert_eq!(published["deliveries"], 0, "{other}");
    }
    let published: Value = publish(&app, &token, "order.created")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["deliveries"], 1);
    let got = receiver.wait_for(1).await;
    assert_eq!(
        got[0].header("webhook-id"),
        published["id"].as_str().unwrap()
    );
    app.worker_caught_up().await;
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn an_event_no_endpoint_wants_is_not_kept() {
    let app = app().await;
    let project = app.project("Checkout", "sandbox").await;
    let token = writer(&app, &project).await;
    let events = app.count("events").await;
    let answer = publish(&app, &token, "order.created").await;
    assert_eq!(answer.status(), 202);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["deliveries"], 0);
    assert_eq!(answer["stored"], false);
    assert_eq!(
        answer["message"],
        "No enabled endpoint of this project wants order.created, so the event was not kept."
    );
    assert_eq!(app.count("events").await, events);

    // With an endpoint that wants it, it is kept, and says nothing more.
    let receiver = Receiver::start().await;
    endpoint(&app, &project, &receiver, &[]).await;
    let kept: Value = publish(&app, &token, "order.created")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept["stored"], true);
    assert!(kept.get("message").is_none(), "{kept}");
    assert_eq!(app.count("events").await, events + 1);
}

#[tokio::test]
async fn endpoints_whose_ids_share_a_beginning_each_get_their_delivery() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    // Before the endpoints, so they get no credential.created.
    let token = writer(&app, &project).await;
    let first = endpoint(&app, &project, &receiver, &[]).await;
    let second = endpoint(&app, &project, &receiver, &[]).await;
    // Give the second an id that begins as the first's does (one in 2^36 by
    // chance), resealing its secret, which is bound to its id.
    let twin = format!("{}{}", &first[..10], "zzzzzzzzzzzzz");
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT secret FROM webhooks WHERE id = $1")
        .bind(&second)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let secret = app.state.vault.open(&second, &sealed).unwrap();
    sqlx::query("UPDATE webhooks SET id = $1, secret = $2 WHERE id = $3")
        .bind(&twin)
        .bind(app.state.vault.seal(&twin, &secret))
        .bind(&second)
        .execute(&app.db.pool)
        .await
        .unwrap();

    let answer = publish(&app, &token, "order.created").await;
    assert_eq!(answer.status(), 202, "the event is written");
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["deliveries"], 2);
    let got = receiver.wait_for(2).await;
    assert!(got.iter().all(|r| r.header("webhook-id") == answer["id"]));
}

#[tokio::test]
async fn a_page_far_past_the_end_is_an_empty_page() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let webhook = endpoint(&app, &project, &receiver, &[]).await;
    let last = u32::MAX;
    for path in [
        format!("/api/webhooks/{webhook}/deliveries?page={last}"),
        format!("/api/users?page={last}"),
    ] {
        let page = app.get(&path).await;
        assert_eq!(page.status(), 200, "{path}");
        let page: Value = page.json().await.unwrap();
        assert_eq!(page["items"], json!([]), "{path}");
    }
}

#[tokio::test]
async fn deliveries_ignore_a_proxy_named_in_the_environment() {
    // A proxy would reach what the address guard refuses (it resolves the
    // name itself), so the worker never uses one: the "proxy" here is a
    // second receiver, which must hear nothing.
    let proxy = Receiver::start().await;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![
        ("PORTAL_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("NO_PROXY", ""),
        ("no_proxy", ""),
    ];
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        env.push((name, proxy.url.as_str()));
    }
    let server = Server::start(dir.path(), &env).await;
    let token = server.publisher(&format!("{}/hook", receiver.url)).await;
    let published = publish_order(&reqwest::Client::new(), &server.url, &token, 1)
        .await
        .expect("published");
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].header("webhook-id"), published);
    assert!(proxy.received().is_empty(), "went through the proxy");
}
