//! Webhooks with a real HTTP receiver: Standard Webhooks signatures (checked
//! here with an independent HMAC), rotation with both signatures during the
//! overlap, retries on the schedule with a controllable clock, 410 and
//! auto-disable, SSRF refusals, the secret sealed at rest, events from the
//! portal and from /v1/events (and its limit per credential), the role table
//! and tenancy.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portal_contract::webhooks::PortalEvent;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PIN, SendJson, TestApp, browser, error_body, oauth_error, spawn_with};
use crate::receiver::Receiver;

async fn app() -> TestApp {
    let app = spawn_with(|c| {
        c.webhook_allow_private = true;
        c.token_requests_per_second = 1000;
        // Retry tests move the clock through 17 hours of backoff.
        c.session_max_hours = 48;
        c.session_idle_minutes = 48 * 60;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    app
}

/// Adds an endpoint to `project`; returns its id and signing secret.
async fn endpoint(app: &TestApp, project: &str, url: &str, types: &[&str]) -> (String, String) {
    let r = app
        .post(
            &format!("/api/projects/{project}/webhooks"),
            &json!({ "url": url, "description": "Orders service", "event_types": types }),
        )
        .await;
    assert_eq!(r.status(), 201, "create endpoint");
    let body: Value = r.json().await.unwrap();
    (
        body["webhook"]["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn send_test(app: &TestApp, webhook: &str, event_type: &str) -> Value {
    let r = app
        .post(
            &format!("/api/webhooks/{webhook}/test"),
            &json!({ "event_type": event_type }),
        )
        .await;
    assert_eq!(r.status(), 201, "test event");
    r.json().await.unwrap()
}

async fn delivery(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/deliveries/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// Polls a delivery until `done` says so (the worker runs in the background).
async fn until(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let d = delivery(app, id).await;
        if done(&d) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("delivery {id} never got there: {}", delivery(app, id).await);
}

#[tokio::test]
async fn an_endpoint_gets_a_signed_test_event_and_the_log_shows_it() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let (id, secret) = endpoint(&app, &project, &format!("{}/hook", receiver.url), &[]).await;
    assert!(secret.starts_with("whsec_"));
    assert_eq!(STANDARD.decode(&secret[6..]).unwrap().len(), 32);

    let sent = send_test(&app, &id, "credential.created").await;
    assert!(
        sent["status"] == "pending" || sent["status"] == "succeeded",
        "{sent}"
    );
    let got = receiver.wait_for(1).await;
    let r = &got[0];
    assert_eq!(r.path, "/hook");
    assert!(r.signed_by(&secret), "{:?}", r.headers);
    assert_eq!(r.header("webhook-id"), sent["event_id"].as_str().unwrap());
    assert_eq!(r.header("content-type"), "application/json");
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["type"], "credential.created");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["data"]["credential"]["project_id"], project);

    let detail = until(&app, sent["id"].as_str().unwrap(), |d| {
        d["delivery"]["status"] == "succeeded"
    })
    .await;
    assert_eq!(detail["delivery"]["attempts"], 1);
    assert_eq!(detail["delivery"]["last_http_status"], 200);
    assert_eq!(detail["request_body"], r.body.as_str());
    let attempt = &detail["attempts"][0];
    assert_eq!(attempt["response_status"], 200);
    assert_eq!(attempt["response_excerpt"], "thanks");
    let names: Vec<&str> = attempt["request_headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .collect();
    assert!(names.contains(&"webhook-signature") && names.contains(&"webhook-timestamp"));

    let log: Value = app
        .get(&format!("/api/webhooks/{id}/deliveries"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["total"], 1);
    assert_eq!(log["items"][0]["event_type"], "credential.created");
    assert_eq!(log["event_types"], json!(["credential.created"]));
    let list: Value = app
        .get(&format!("/api/projects/{project}/webhooks"))
        .await
        .json()
        .await
        .unwrap();
    let stats = &list["items"][0]["stats"];
    assert_eq!(stats["succeeded_attempts"], 1);
    assert_eq!(stats["failed_attempts"], 0);
    assert_eq!(stats["last_status"], "succeeded");
    assert!(
        !list.to_string().contains(&secret[6..]),
        "lists never carry the secret"
    );
    let projects: Value = app.get("/api/projects").await.json().await.unwrap();
    assert_eq!(projects["items"][0]["webhook_count"], 1);
}

#[tokio::test]
async fn during_a_rotation_both_secrets_sign_then_only_the_new_one() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let (id, old) = endpoint(&app, &project, &receiver.url, &[]).await;

    let wrong = app
        .post(
            &format!("/api/webhooks/{id}/secret/rotate"),
            &json!({ "overlap": "1h", "pin": "000000" }),
        )
        .await;
    error_body(wrong, 403, "invalid_pin").await;
    let rotated: Value = app
        .post(
            &format!("/api/webhooks/{id}/secret/rotate"),
            &json!({ "overlap": "1h", "pin": PIN }),
        )
        .await
        .json()
        .await
        .unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["webhook"]["previous_secret_until"].is_i64());

    send_test(&app, &id, "webhook.test").await;
    let r = receiver.wait_for(1).await.remove(0);
    assert_eq!(r.header("webhook-signature").split(' ').count(), 2);
    assert!(r.signed_by(&old) && r.signed_by(&new));

    app.clock.advance(3600);
    send_test(&app, &id, "webhook.test").await;
    let r = receiver.wait_for(2).await.remove(1);
    assert_eq!(r.header("webhook-signature").split(' ').count(), 1);
    assert!(r.signed_by(&new) && !r.signed_by(&old));

    // The secret can be shown again, with the PIN.
    let shown: Value = app
        .post(
            &format!("/api/webhooks/{id}/secret"),
            &json!({ "pin": PIN }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["secret"], new.as_str());
    let no_pin = app
        .post(&format!("/api/webhooks/{id}/secret"), &json!({ "pin": "" }))
        .await;
    error_body(no_pin, 422, "validation_failed").await;
}

#[tokio::test]
async fn failures_are_retried_on_the_schedule_with_the_same_webhook_id() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let (id, _) = endpoint(&app, &project, &receiver.url, &[]).await;
    receiver.respond_with(&[500, 503]);

    let sent = send_test(&app, &id, "webhook.test").await;
    let dlv = sent["id"].as_str().unwrap();
    let first = until(&app, dlv, |d| d["delivery"]["attempts"] == 1).await;
    assert_eq!(first["delivery"]["status"], "pending");
    assert_eq!(first["delivery"]["last_http_status"], 500);
    let started = first["attempts"][0]["started_at"].as_i64().unwrap();
    assert_eq!(first["delivery"]["next_attempt_at"], started + 5);

    app.clock.advance(5);
    let second = until(&app, dlv, |d| d["delivery"]["attempts"] == 2).await;
    assert_eq!(second["delivery"]["last_http_status"], 503);
    let at = second["attempts"][1]["started_at"].as_i64().unwrap();
    assert_eq!(
        second["delivery"]["next_attempt_at"],
        at + 300,
        "then about 5 minutes"
    );

    app.clock.advance(300);
    let third = until(&app, dlv, |d| d["delivery"]["status"] == "succeeded").await;
    assert_eq!(third["delivery"]["attempts"], 3);
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r.header("webhook-id") == sent["event_id"].as_str().unwrap())
    );

    // The list's past 24 hours count attempts: two failed, one succeeded.
    let list: Value = app
        .get(&format!("/api/projects/{project}/webhooks"))
        .await
        .json()
        .await
        .unwrap();
    let stats = &list["items"][0]["stats"];
    assert_eq!(stats["succeeded_attempts"], 1);
    assert_eq!(stats["failed_attempts"], 2);

    // Filters of the log.
    let failed: Value = app
        .get(&format!("/api/webhooks/{id}/deliveries?status=failed"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["total"], 0);
    let ok: Value = app
        .get(&format!(
            "/api/webhooks/{id}/deliveries?status=succeeded&event_type=webhook.test"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["total"], 1);

    // Redeliver: once more, with the same webhook-id.
    let again = app
        .post(&format!("/api/deliveries/{dlv}/redeliver"), &json!({}))
        .await;
    assert_eq!(again.status(), 202);
    let got = receiver.wait_for(4).await;
    assert_eq!(
        got[3].header("webhook-id"),
        sent["event_id"].as_str().unwrap()
    );
    until(&app, dlv, |d| {
        d["delivery"]["attempts"] == 4 && d["delivery"]["status"] == "succeeded"
    })
    .await;
}

/// The retry schedule as the README and the design document promise it,
/// written out here rather than read from the code under test.
const SCHEDULE: [i64; 6] = [5, 300, 1800, 7200, 18_000, 36_000];

/// Waits until none of an endpoint's deliveries is waiting to be sent.
async fn settled(app: &TestApp, webhook: &str) {
    for _ in 0..200 {
        let log: Value = app
            .get(&format!("/api/webhooks/{webhook}/deliveries"))
            .await
            .json()
            .await
            .unwrap();
        if log["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] != "pending")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries of {webhook} still pending");
}

/// The total of an endpoint's delivery log.
async fn logged(app: &TestApp, webhook: &str) -> u64 {
    let log: Value = app
        .get(&format!("/api/webhooks/{webhook}/deliveries"))
        .await
        .json()
        .await
        .unwrap();
    log["total"].as_u64().unwrap()
}

/// Publishes `project.updated` to every endpoint of `project` that wants it.
async fn touch_project(app: &TestApp, project: &str, description: &str) {
    let r = app
        .send(
            &app.client,
            Method::PATCH,
            &format!("/api/projects/{project}"),
            &json!({ "description": description }),
        )
        .await;
    assert_eq!(r.status(), 200);
}

/// Asserts that a disabled endpoint gets nothing new: an event for its
/// project writes no delivery for it and the receiver hears nothing.
async fn gets_nothing_new(app: &TestApp, project: &str, webhook: &str, receiver: &Receiver) {
    let (logged_before, heard_before) = (logged(app, webhook).await, receiver.received().len());
    touch_project(app, project, "Changed while disabled").await;
    app.worker_caught_up().await;
    assert_eq!(
        logged(app, webhook).await,
        logged_before,
        "no delivery written"
    );
    assert_eq!(receiver.received().len(), heard_before, "nothing sent");
}

#[tokio::test]
async fn gone_disables_at_once_and_endless_failure_disables_after_the_last_retry() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let (gone, _) = endpoint(&app, &project, &format!("{}/gone", receiver.url), &[]).await;
    receiver.respond_with(&[410]);
    let sent = send_test(&app, &gone, "webhook.test").await;
    until(&app, sent["id"].as_str().unwrap(), |d| {
        d["delivery"]["status"] == "failed"
    })
    .await;
    let w: Value = app
        .get(&format!("/api/webhooks/{gone}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(w["enabled"], false);
    assert_eq!(w["disabled_reason"], "gone");
    let refused = app
        .post(
            &format!("/api/webhooks/{gone}/test"),
            &json!({ "event_type": "webhook.test" }),
        )
        .await;
    error_body(refused, 409, "conflict").await;
    gets_nothing_new(&app, &project, &gone, &receiver).await;

    let (failing, _) = endpoint(&app, &project, &format!("{}/down", receiver.url), &[]).await;
    receiver.always(Some(500));
    let sent = send_test(&app, &failing, "webhook.test").await;
    let dlv = sent["id"].as_str().unwrap();
    // Each wait of the documented schedule exactly (5 s, 5 min, 30 min, 2 h,
    // 5 h, 10 h): a second early brings no attempt.
    for (done, wait) in SCHEDULE.into_iter().enumerate() {
        let attempts = done as u64 + 1;
        let d = until(&app, dlv, |d| d["delivery"]["attempts"] == attempts).await;
        let started = d["attempts"][done]["started_at"].as_i64().unwrap();
        assert_eq!(
            d["delivery"]["next_attempt_at"],
            started + wait,
            "attempt {attempts} is retried {wait} s later"
        );
        app.clock.advance(wait - 1);
        app.worker_caught_up().await;
        assert_eq!(
            delivery(&app, dlv).await["delivery"]["attempts"],
            attempts,
            "no attempt {} s after attempt {attempts}",
            wait - 1
        );
        app.clock.advance(1);
    }
    let last = until(&app, dlv, |d| d["delivery"]["status"] == "failed").await;
    assert_eq!(last["delivery"]["attempts"], 7);
    assert_eq!(last["delivery"]["next_attempt_at"], Value::Null);
    let w: Value = app
        .get(&format!("/api/webhooks/{failing}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(w["enabled"], false);
    assert_eq!(w["disabled_reason"], "failing");
    let mails = app.mails_to("ada@acme.test").await;
    assert!(
        mails
            .iter()
            .any(|m| m.subject == "A webhook endpoint was disabled")
    );
    let overview: Value = app.get("/api/overview").await.json().await.unwrap();
    assert_eq!(
        overview["failing_endpoints"][0]["webhook_id"],
        failing.as_str()
    );
    gets_nothing_new(&app, &project, &failing, &receiver).await;

    // Enabled again by a member: gets events again.
    receiver.always(None);
    let enabled: Value = app
        .send(
            &app.client,
            Method::PATCH,
            &format!("/api/webhooks/{failing}"),
            &json!({ "enabled": true }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["disabled_reason"], Value::Null);
    let sent = send_test(&app, &failing, "webhook.test").await;
    until(&app, sent["id"].as_str().unwrap(), |d| {
        d["delivery"]["status"] == "succeeded"
    })
    .await;
}

#[tokio::test]
async fn an_endpoint_disabled_by_hand_gets_nothing_new_and_its_retries_end() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let (id, _) = endpoint(&app, &project, &receiver.url, &[]).await;
    receiver.respond_with(&[500]);
    let sent = send_test(&app, &id, "webhook.test").await;
    let dlv = sent["id"].as_str().unwrap();
    let waiting = until(&app, dlv, |d| d["delivery"]["attempts"] == 1).await;
    assert_eq!(waiting["delivery"]["status"], "pending", "a retry waits");

    let disabled = app
        .send(
            &app.client,
            Method::PATCH,
            &format!("/api/webhooks/{id}"),
            &json!({ "enabled": false }),
        )
        .await;
    assert_eq!(disabled.status(), 200);
    let disabled: Value = disabled.json().await.unwrap();
    assert_eq!(disabled["disabled_reason"], "by_user");
    // The waiting retry ends, and comes due never.
    let ended = delivery(&app, dlv).await;
    assert_eq!(ended["delivery"]["status"], "failed");
    assert_eq!(ended["delivery"]["next_attempt_at"], Value::Null);
    app.clock.advance(SCHEDULE[0]);
    gets_nothing_new(&app, &project, &id, &receiver).await;
    assert_eq!(delivery(&app, dlv).await["delivery"]["attempts"], 1);
    assert_eq!(receiver.received().len(), 1);
    // Nor can a redelivery or a test event reach it.
    let redeliver = app
        .post(&format!("/api/deliveries/{dlv}/redeliver"), &json!({}))
        .await;
    error_body(redeliver, 409, "conflict").await;
    let test = app
        .post(
            &format!("/api/webhooks/{id}/test"),
            &json!({ "event_type": "webhook.test" }),
        )
        .await;
    error_body(test, 409, "conflict").await;
    app.worker_caught_up().await;
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn private_targets_are_refused_when_saved_and_when_delivered() {
    let app = spawn_with(|_| {}).await;
    app.confirmed_user("ada@acme.test").await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let port = receiver.url.rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::1]/hook".to_owned(),
        "http://10.1.2.3/hook".to_owned(),
    ] {
        let r = app
            .post(
                &format!("/api/projects/{project}/webhooks"),
                &json!({ "url": url }),
            )
            .await;
        let body = error_body(r, 422, "validation_failed").await;
        assert!(
            body["fields"]["url"].as_str().unwrap().contains("private"),
            "{url}: {body}"
        );
    }
    let creds = app
        .post(
            &format!("/api/projects/{project}/webhooks"),
            &json!({ "url": "https://user:pw@example.com/" }),
        )
        .await;
    error_body(creds, 422, "validation_failed").await;
    let live = app.project("Live", "production").await;
    let http = app
        .post(
            &format!("/api/projects/{live}/webhooks"),
            &json!({ "url": "http://example.com/hook" }),
        )
        .await;
    let body = error_body(http, 422, "validation_failed").await;
    assert_eq!(
        body["fields"]["url"],
        "Production endpoints must use https://."
    );

    // A name that resolved publicly when saved and points inward now: the
    // delivery checks the resolved address and sends nothing.
    let ok = app
        .post(
            &format!("/api/projects/{project}/webhooks"),
            &json!({ "url": "https://example.com/hook" }),
        )
        .await;
    assert_eq!(ok.status(), 201);
    let id = ok.json::<Value>().await.unwrap()["webhook"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query("UPDATE webhooks SET url = $1 WHERE id = $2")
        .bind(format!("http://localhost:{port}/hook"))
        .bind(&id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let sent = send_test(&app, &id, "webhook.test").await;
    let d = until(&app, sent["id"].as_str().unwrap(), |d| {
        d["delivery"]["attempts"] == 1
    })
    .await;
    assert!(
        d["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("private"),
        "{d}"
    );
    assert_eq!(d["attempts"][0]["response_status"], Value::Null);
    // A literal private address is refused at delivery time too.
    sqlx::query("UPDATE webhooks SET url = $1 WHERE id = $2")
        .bind(format!("http://127.0.0.1:{port}/hook"))
        .bind(&id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let sent = send_test(&app, &id, "webhook.test").await;
    let d = until(&app, sent["id"].as_str().unwrap(), |d| {
        d["delivery"]["attempts"] == 1
    })
    .await;
    assert!(
        d["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("private"),
        "{d}"
    );
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_15_seconds_fails_the_attempt() {
    let app = app().await;
    let receiver = Receiver::start().await;
    receiver.delay(Duration::from_secs(20));
    let project = app.project("Checkout", "sandbox").await;
    let (id, _) = endpoint(&app, &project, &receiver.url, &[]).await;
    let sent = send_test(&app, &id, "webhook.test").await;
    let dlv = sent["id"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(25);
    let d = loop {
        let d = delivery(&app, dlv).await;
        if d["delivery"]["attempts"] == 1 {
            break d;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no attempt recorded: {d}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let attempt = &d["attempts"][0];
    assert_eq!(attempt["error"], "No answer within 15 seconds.");
    assert_eq!(attempt["response_status"], Value::Null);
    let latency = attempt["latency_ms"].as_u64().unwrap();
    assert!((15_000..17_000).contains(&latency), "{latency} ms");
    assert_eq!(d["delivery"]["status"], "pending", "retried later");
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let (id, _) = endpoint(&app, &project, &format!("{}/redirect", receiver.url), &[]).await;
    let sent = send_test(&app, &id, "webhook.test").await;
    let d = until(&app, sent["id"].as_str().unwrap(), |d| {
        d["delivery"]["attempts"] == 1
    })
    .await;
    assert_eq!(d["delivery"]["last_http_status"], 302);
    assert_eq!(
        d["delivery"]["status"], "pending",
        "a 3xx is a failure, retried"
    );
    assert!(
        receiver.received().is_empty(),
        "the redirect target got nothing"
    );
}

#[tokio::test]
async fn signing_secrets_are_sealed_at_rest() {
    let app = app().await;
    let project = app.project("Checkout", "sandbox").await;
    let (id, secret) = endpoint(&app, &project, "http://127.0.0.1:9/hook", &[]).await;
    let rotated: Value = app
        .post(
            &format!("/api/webhooks/{id}/secret/rotate"),
            &json!({ "overlap": "24h", "pin": PIN }),
        )
        .await
        .json()
        .await
        .unwrap();
    let new = rotated["secret"].as_str().unwrap();
    let stored = app.db.stored_bytes(app._dir.path()).await;
    assert!(
        stored.windows(id.len()).any(|w| w == id.as_bytes()),
        "the scan reads the database"
    );
    for s in [secret.as_str(), new] {
        let key = &s[6..];
        assert!(
            !stored.windows(key.len()).any(|w| w == key.as_bytes()),
            "a secret in plain text"
        );
        let raw = STANDARD.decode(key).unwrap();
        assert!(
            !stored.windows(raw.len()).any(|w| w == raw.as_slice()),
            "a secret's bytes"
        );
    }
}

#[tokio::test]
async fn partners_publish_events_with_the_write_scope_to_subscribed_endpoints() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let (paid, secret) = endpoint(
        &app,
        &project,
        &format!("{}/paid", receiver.url),
        &["invoice.paid"],
    )
    .await;
    endpoint(
        &app,
        &project,
        &format!("{}/other", receiver.url),
        &["invoice.voided"],
    )
    .await;
    let writer = app.credential(&project, &["read", "write"]).await;
    let reader = app.credential(&project, &["read"]).await;
    let write_token = app
        .access_token(&writer.client_id, &writer.client_secret)
        .await;
    let read_token = app
        .access_token(&reader.client_id, &reader.client_secret)
        .await;
    let publish = |token: &str, body: Value| {
        reqwest::Client::new()
            .post(app.at("/v1/events"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };

    let denied = publish(&read_token, json!({ "type": "invoice.paid", "data": {} }))
        .await
        .unwrap();
    assert!(
        denied.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    oauth_error(denied, 403, "insufficient_scope").await;
    let bad_type = publish(&write_token, json!({ "type": "Invoice Paid", "data": {} }))
        .await
        .unwrap();
    oauth_error(bad_type, 400, "invalid_request").await;
    let not_object = publish(&write_token, json!({ "type": "invoice.paid", "data": [1] }))
        .await
        .unwrap();
    oauth_error(not_object, 400, "invalid_request").await;
    // Over the data limit, and over the limit of any body: one answer, and
    // nothing written.
    for size in [40_000, 70_000] {
        let huge = publish(
            &write_token,
            json!({ "type": "invoice.paid", "data": { "x": "y".repeat(size) } }),
        )
        .await
        .unwrap();
        let body = oauth_error(huge, 413, "payload_too_large").await;
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("32 KB"),
            "{body}"
        );
    }
    assert_eq!(
        app.count("events WHERE type = 'invoice.paid'").await,
        0,
        "refused events are not written"
    );

    let ok = publish(
        &write_token,
        json!({ "type": "invoice.paid", "data": { "invoice": "in_1" } }),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 202);
    let event: Value = ok.json().await.unwrap();
    assert_eq!(event["deliveries"], 1);
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].path, "/paid");
    assert_eq!(got[0].header("webhook-id"), event["id"].as_str().unwrap());
    assert!(got[0].signed_by(&secret));
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["data"]["invoice"], "in_1");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "the other endpoint doesn't want invoice.paid"
    );

    // Test events reach the endpoint whatever types it wants: the user asked.
    assert_eq!(
        send_test(&app, &paid, "member.joined").await["event_type"],
        "member.joined"
    );
    send_test(&app, &paid, "credential.created").await;
    // The log offers the partner's own types to filter by, whatever the filter.
    let log = |query: &str| {
        let path = format!("/api/webhooks/{paid}/deliveries?{query}");
        let app = &app;
        async move { app.get(&path).await.json::<Value>().await.unwrap() }
    };
    let only_paid = log("event_type=invoice.paid").await;
    assert_eq!(only_paid["total"], 1);
    assert_eq!(only_paid["items"][0]["event_id"], event["id"]);
    assert_eq!(
        only_paid["event_types"],
        json!(["credential.created", "invoice.paid", "member.joined"])
    );
    assert_eq!(log("").await["total"], 3);
    assert_eq!(log("event_type=order.created").await["total"], 0);
}

#[tokio::test]
async fn each_credential_publishes_events_at_its_own_rate() {
    let app = spawn_with(|c| {
        c.token_requests_per_second = 1000;
        c.events_per_second = 2;
        c.webhook_allow_private = true;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    // An endpoint that wants them, so accepted events are kept.
    let receiver = Receiver::start().await;
    endpoint(&app, &project, &receiver.url, &["invoice.paid"]).await;
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let c = app.credential(&project, &["write"]).await;
        tokens.push(app.access_token(&c.client_id, &c.client_secret).await);
    }
    let publish = |token: &str| {
        reqwest::Client::new()
            .post(app.at("/v1/events"))
            .bearer_auth(token)
            .json(&json!({ "type": "invoice.paid", "data": {} }))
            .send()
    };

    // A burst of two, then the third is refused with how long to wait.
    for _ in 0..2 {
        assert_eq!(publish(&tokens[0]).await.unwrap().status(), 202);
    }
    let refused = publish(&tokens[0]).await.unwrap();
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    let body = oauth_error(refused, 429, "rate_limited").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("Too many events."),
        "{body}"
    );
    // Another credential of the same project has its own allowance.
    assert_eq!(publish(&tokens[1]).await.unwrap().status(), 202);
    // The refused event was not written.
    assert_eq!(app.count("events WHERE type = 'invoice.paid'").await, 3);
    // After the wait the first credential may publish again.
    app.clock.advance(wait as i64);
    assert_eq!(publish(&tokens[0]).await.unwrap().status(), 202);
}

#[tokio::test]
async fn portal_changes_send_their_events() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    endpoint(&app, &project, &receiver.url, &[]).await;
    let credential = app.credential(&project, &["read"]).await;
    app.send(
        &app.client,
        Method::POST,
        &format!("/api/credentials/{}/roll", credential.client_id),
        &json!({ "overlap": "now", "pin": PIN }),
    )
    .await;
    app.send(
        &app.client,
        Method::DELETE,
        &format!("/api/credentials/{}", credential.client_id),
        &json!({ "pin": PIN }),
    )
    .await;
    app.send(
        &app.client,
        Method::PATCH,
        &format!("/api/projects/{project}"),
        &json!({ "name": "Checkout v2" }),
    )
    .await;
    let member = app.member("grace@acme.test", "developer").await;
    app.send(
        &app.client,
        Method::PATCH,
        &format!("/api/users/{}", member.id),
        &json!({ "status": "deactivated", "pin": PIN }),
    )
    .await;
    let got = receiver.wait_for(6).await;
    let mut types: Vec<String> = got
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    types.sort();
    let mut expected: Vec<&str> = [
        PortalEvent::CredentialCreated,
        PortalEvent::CredentialRevoked,
        PortalEvent::CredentialRolled,
        PortalEvent::MemberJoined,
        PortalEvent::MemberRemoved,
        PortalEvent::ProjectUpdated,
    ]
    .map(PortalEvent::name)
    .to_vec();
    expected.sort();
    assert_eq!(types, expected);
    assert!(
        !got.iter()
            .any(|r| r.body.contains(&credential.client_secret[8..])),
        "events never carry secrets"
    );
}

/// A project of `tenant`'s with one endpoint at a receiver that answers at
/// once: the endpoint's id, and the receiver.
async fn quick_endpoint(app: &TestApp, tenant: &reqwest::Client) -> (String, Receiver) {
    let project: Value = tenant
        .post(app.at("/api/projects"))
        .json(&json!({ "name": "Shop", "environment": "sandbox" }))
        .send_json()
        .await;
    let receiver = Receiver::start().await;
    let created: Value = tenant
        .post(app.at(&format!(
            "/api/projects/{}/webhooks",
            project["id"].as_str().unwrap()
        )))
        .json(&json!({ "url": receiver.url, "description": "", "event_types": [] }))
        .send_json()
        .await;
    let webhook = created["webhook"]["id"].as_str().unwrap().to_owned();
    (webhook, receiver)
}

/// `tenant` sends its endpoint `webhook` a test event.
async fn send_test_event(app: &TestApp, tenant: &reqwest::Client, webhook: &str) {
    let test = tenant
        .post(app.at(&format!("/api/webhooks/{webhook}/test")))
        .json(&json!({ "event_type": "credential.created" }))
        .send()
        .await
        .unwrap();
    assert_eq!(test.status(), 201);
}

/// Tenant A's three endpoints never answer (until the test ends) while A
/// publishes 100 events to each, more than a claim looks at; tenant B's
/// endpoint answers at once. B's events must not wait for A's: A's endpoints,
/// never having answered, stay at the two attempts an endpoint starts with,
/// and B's deliveries are claimed although A's are older.
#[tokio::test]
async fn a_tenant_whose_endpoints_hang_does_not_hold_up_the_others() {
    use portal_server::webhooks::fairness::SLOW_ENDPOINT_IN_FLIGHT;
    let app = spawn_with(|c| {
        c.webhook_allow_private = true;
        c.token_requests_per_second = 1000;
        c.events_per_second = 100_000;
        c.organisation_events_per_second = 100_000;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let mut tarpits = Vec::new();
    for _ in 0..3 {
        let tarpit = Receiver::start().await;
        tarpit.hold();
        endpoint(&app, &project, &tarpit.url, &[]).await;
        tarpits.push(tarpit);
    }
    let writer = app.credential(&project, &["read", "write"]).await;
    let token = app
        .access_token(&writer.client_id, &writer.client_secret)
        .await;
    let partner = reqwest::Client::new();
    for n in 0..100 {
        let published = partner
            .post(app.at("/v1/events"))
            .bearer_auth(&token)
            .json(&json!({ "type": "invoice.paid", "data": { "n": n } }))
            .send()
            .await
            .unwrap();
        assert_eq!(published.status(), 202);
    }
    let in_flight = || tarpits.iter().map(Receiver::in_flight).collect::<Vec<_>>();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while in_flight().iter().sum::<usize>() < 3 * SLOW_ENDPOINT_IN_FLIGHT {
        assert!(
            std::time::Instant::now() < deadline,
            "A's attempts: {:?}",
            in_flight()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let eve = app.other_organisation().await;
    let (webhook, receiver) = quick_endpoint(&app, &eve).await;
    let mut waited = Vec::new();
    for n in 0..20 {
        let sent = std::time::Instant::now();
        send_test_event(&app, &eve, &webhook).await;
        while receiver.received().len() < n + 1 {
            assert!(
                sent.elapsed() < Duration::from_secs(20),
                "B's event {n} never came"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        waited.push(sent.elapsed());
    }
    waited.sort();
    let (p50, p99) = (waited[waited.len() / 2], waited[waited.len() - 1]);
    eprintln!(
        "tenant B while tenant A's endpoints hang: p50 {:.1} ms, p99 {:.1} ms over {} events",
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        waited.len()
    );
    assert!(p99 < Duration::from_secs(3), "B waited {p99:?}");
    // A's endpoints still hold what they started with, no more.
    assert_eq!(in_flight(), [SLOW_ENDPOINT_IN_FLIGHT; 3]);
    for tarpit in &tarpits {
        tarpit.release();
    }
}

/// Two tenants whose endpoints all hang (20 each, every one with
/// deliveries due) can't fill the worker between them: once both have work
/// due, each gets its fair part, and slots stay free for a third tenant,
/// whose events go out at once.
#[tokio::test]
async fn two_tenants_whose_endpoints_hang_leave_room_for_a_third() {
    let app = spawn_with(|c| {
        c.webhook_allow_private = true;
        c.endpoints_per_project = 50;
        c.events_per_second = 100_000;
        c.organisation_events_per_second = 100_000;
    })
    .await;
    app.confirmed_user("ada@acme.test").await;
    let tenants = [
        app.client.clone(),
        app.organisation_of("carol@hangs.test").await,
    ];
    let mut tarpits = Vec::new();
    for tenant in &tenants {
        let tarpit = Receiver::start().await;
        tarpit.hold();
        let project: Value = tenant
            .post(app.at("/api/projects"))
            .json(&json!({ "name": "Hangs", "environment": "sandbox" }))
            .send_json()
            .await;
        let project = project["id"].as_str().unwrap();
        for i in 0..20 {
            let created = tenant
                .post(app.at(&format!("/api/projects/{project}/webhooks")))
                .json(&json!({ "url": format!("{}/e{i}", tarpit.url), "description": "", "event_types": [] }))
                .send()
                .await
                .unwrap();
            assert_eq!(created.status(), 201);
        }
        // Two events, each to every endpoint.
        let credential: Value = tenant
            .post(app.at(&format!("/api/projects/{project}/credentials")))
            .json(&json!({ "description": "Events", "scopes": ["read", "write"], "pin": PIN }))
            .send_json()
            .await;
        let token = app
            .access_token(
                credential["client_id"].as_str().unwrap(),
                credential["client_secret"].as_str().unwrap(),
            )
            .await;
        for n in 0..2 {
            let published = reqwest::Client::new()
                .post(app.at("/v1/events"))
                .bearer_auth(&token)
                .json(&json!({ "type": "invoice.paid", "data": { "n": n } }))
                .send()
                .await
                .unwrap();
            assert_eq!(published.status(), 202);
        }
        tarpits.push(tarpit);
    }
    // Both hold what they may: together more than half the worker.
    let held = || tarpits.iter().map(Receiver::in_flight).collect::<Vec<_>>();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while held().iter().sum::<usize>() < 40 {
        assert!(std::time::Instant::now() < deadline, "held: {:?}", held());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let third = app.organisation_of("bob@quick.test").await;
    let (webhook, receiver) = quick_endpoint(&app, &third).await;
    for n in 0..5 {
        let sent = std::time::Instant::now();
        send_test_event(&app, &third, &webhook).await;
        while receiver.received().len() < n + 1 {
            assert!(
                sent.elapsed() < Duration::from_secs(3),
                "the third tenant's event {n} waited while the others held {:?}",
                held()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let held = held();
    assert!(
        held.iter().sum::<usize>() < portal_server::webhooks::deliver::CONCURRENCY,
        "{held:?}"
    );
    for tarpit in &tarpits {
        tarpit.release();
    }
}

#[tokio::test]
async fn deleting_a_project_announces_each_credential_it_revokes_to_the_other_projects() {
    let app = app().await;
    let elsewhere = Receiver::start().await;
    let inside = Receiver::start().await;
    let checkout = app.project("Checkout", "sandbox").await;
    let billing = app.project("Billing", "sandbox").await;
    endpoint(&app, &billing, &elsewhere.url, &["credential.revoked"]).await;
    endpoint(&app, &checkout, &inside.url, &[]).await;
    let first = app.credential(&checkout, &["read"]).await;
    let second = app.credential(&checkout, &["read"]).await;
    let gone = app.credential(&checkout, &["read"]).await;
    app.send(
        &app.client,
        Method::DELETE,
        &format!("/api/credentials/{}", gone.client_id),
        &json!({ "pin": PIN }),
    )
    .await;
    app.worker_caught_up().await;
    // The project's own endpoint heard three creations and one revocation.
    assert_eq!(inside.wait_for(4).await.len(), 4);
    assert!(
        elsewhere.received().is_empty(),
        "revoking one is the project's news"
    );

    let deleted = app
        .client
        .delete(app.at(&format!("/api/projects/{checkout}")))
        .json(&json!({ "pin": PIN }))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    app.worker_caught_up().await;
    let got = elsewhere.wait_for(2).await;
    let mut revoked: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            (
                body["type"].as_str().unwrap().to_owned(),
                body["data"]["credential"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    revoked.sort();
    let mut expected =
        [&first, &second].map(|c| ("credential.revoked".to_owned(), c.client_id.clone()));
    expected.sort();
    assert_eq!(
        revoked, expected,
        "one each for the working credentials, no more"
    );
    assert_eq!(
        inside.received().len(),
        4,
        "the project's endpoints went with it"
    );
}

#[tokio::test]
async fn every_webhook_endpoint_enforces_the_role_table_and_tenancy() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let (id, _) = endpoint(&app, &project, &receiver.url, &[]).await;
    let sent = send_test(&app, &id, "webhook.test").await;
    let dlv = sent["id"].as_str().unwrap().to_owned();
    receiver.wait_for(1).await;
    let viewer = app.member("viewer@acme.test", "viewer").await;
    let developer = app.member("dev@acme.test", "developer").await;
    let eve = app.other_organisation().await;
    let signed_out = browser(&app.url);

    let reads = [
        format!("/api/projects/{project}/webhooks"),
        format!("/api/webhooks/{id}"),
        format!("/api/webhooks/{id}/deliveries"),
        format!("/api/deliveries/{dlv}"),
    ];
    let writes = [
        (
            Method::POST,
            format!("/api/projects/{project}/webhooks"),
            json!({ "url": receiver.url }),
        ),
        (
            Method::PATCH,
            format!("/api/webhooks/{id}"),
            json!({ "description": "x" }),
        ),
        (
            Method::POST,
            format!("/api/webhooks/{id}/secret"),
            json!({ "pin": PIN }),
        ),
        (
            Method::POST,
            format!("/api/webhooks/{id}/secret/rotate"),
            json!({ "overlap": "1h", "pin": PIN }),
        ),
        (
            Method::POST,
            format!("/api/webhooks/{id}/test"),
            json!({ "event_type": "webhook.test" }),
        ),
        (
            Method::POST,
            format!("/api/deliveries/{dlv}/redeliver"),
            json!({}),
        ),
    ];
    for path in &reads {
        for (who, client) in [("viewer", &viewer.client), ("developer", &developer.client)] {
            let r = client.get(app.at(path)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{who} {path}");
        }
        error_body(
            eve.get(app.at(path)).send().await.unwrap(),
            404,
            "not_found",
        )
        .await;
        error_body(
            signed_out.get(app.at(path)).send().await.unwrap(),
            401,
            "unauthenticated",
        )
        .await;
    }
    let watched = [
        format!("/api/projects/{project}/webhooks"),
        format!("/api/webhooks/{id}"),
        format!("/api/webhooks/{id}/deliveries"),
        format!("/api/deliveries/{dlv}"),
    ];
    for (method, path, body) in &writes {
        settled(&app, &id).await;
        let before = app.snapshot(&watched).await;
        let r = app.send(&viewer.client, method.clone(), path, body).await;
        error_body(r, 403, "forbidden").await;
        let r = app.send(&eve, method.clone(), path, body).await;
        error_body(r, 404, "not_found").await;
        assert_eq!(
            app.snapshot(&watched).await,
            before,
            "{method} {path} refused: nothing changed"
        );
        let r = app
            .send(&developer.client, method.clone(), path, body)
            .await;
        assert!(
            r.status().is_success(),
            "developer {method} {path}: {}",
            r.status()
        );
    }
    settled(&app, &id).await;
    let before = app.snapshot(&watched).await;
    let r = app
        .send(
            &viewer.client,
            Method::DELETE,
            &format!("/api/webhooks/{id}"),
            &json!(null),
        )
        .await;
    error_body(r, 403, "forbidden").await;
    let r = app
        .send(
            &eve,
            Method::DELETE,
            &format!("/api/webhooks/{id}"),
            &json!(null),
        )
        .await;
    error_body(r, 404, "not_found").await;
    assert_eq!(app.snapshot(&watched).await, before, "nothing deleted");
    let r = app
        .send(
            &developer.client,
            Method::DELETE,
            &format!("/api/webhooks/{id}"),
            &json!(null),
        )
        .await;
    assert_eq!(r.status(), 204);
    error_body(
        app.get(&format!("/api/webhooks/{id}")).await,
        404,
        "not_found",
    )
    .await;
    let types: Value = viewer
        .client
        .get(app.at("/api/event-types"))
        .send_json()
        .await;
    let names: Vec<&str> = types["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, PortalEvent::ALL.map(PortalEvent::name));
    assert!(
        types["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["description"].as_str().is_some_and(|d| d.ends_with('.'))),
        "every type is described: {types}"
    );
}
