//! Credentials: the secret shown once, hash-only storage, roll with overlap,
//! revoke, expiry, the org-approval gate, the PIN, the role table and tenancy.

use std::time::Duration;

use portal_server::crypto::is_client_secret;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, PIN, browser, error_body, oauth_error, spawn_app, spawn_with};

#[tokio::test]
async fn a_new_credential_shows_its_secret_once_and_lists_only_a_hint() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let created = app
        .create_credential(
            &app.client,
            &project,
            &json!({ "description": " Checkout backend ", "scopes": ["write", "read", "read"],
                     "expires_in_days": 90, "pin": PIN }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    let secret = body["client_secret"].as_str().unwrap();
    let client_id = body["client_id"].as_str().unwrap();
    assert!(
        secret.starts_with("sk_test_") && is_client_secret(secret),
        "{secret}"
    );
    assert!(client_id.starts_with("cred_"));
    let credential = &body["credential"];
    assert_eq!(credential["id"], client_id);
    assert_eq!(credential["description"], "Checkout backend");
    assert_eq!(credential["scopes"], json!(["read", "write"]));
    assert_eq!(credential["status"], "active");
    assert_eq!(credential["created_by"]["name"], "Ada Lovelace");
    let ninety_days = credential["created_at"].as_i64().unwrap() + 90 * 86_400;
    assert_eq!(credential["expires_at"], ninety_days);
    assert_eq!(credential["secrets"][0]["hint"], &secret[..12]);

    let list = app
        .get(&format!("/api/projects/{project}/credentials"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains(secret) && !list.contains(&secret[12..]));
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0], *credential);

    let projects: Value = app.get("/api/projects").await.json().await.unwrap();
    assert_eq!(projects["items"][0]["credential_count"], 1);

    // A production project's secrets say so.
    let live = app.project("Live", "production").await;
    let live = app.credential(&live, &["read"]).await;
    assert!(live.client_secret.starts_with("sk_live_"));
    assert!(is_client_secret(&live.client_secret));
}

#[tokio::test]
async fn creating_needs_valid_fields_and_the_right_pin() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let invalid = app
        .create_credential(
            &app.client,
            &project,
            &json!({ "description": "", "scopes": [], "expires_in_days": 45, "pin": "" }),
        )
        .await;
    let body = error_body(invalid, 422, "validation_failed").await;
    for field in ["description", "scopes", "expires_in_days", "pin"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    let unknown_scope = app
        .create_credential(
            &app.client,
            &project,
            &json!({ "description": "x", "scopes": ["admin"], "pin": PIN }),
        )
        .await;
    error_body(unknown_scope, 422, "invalid_body").await;

    let attempt = |pin: &'static str| {
        let (app, project) = (&app, &project);
        async move {
            app.create_credential(
                &app.client,
                project,
                &json!({ "description": "Backend", "scopes": ["read"], "pin": pin }),
            )
            .await
        }
    };
    let wrong = error_body(attempt("000000").await, 403, "invalid_pin").await;
    assert!(wrong["fields"]["pin"].as_str().unwrap().contains("4 more"));
    for _ in 0..3 {
        error_body(attempt("000000").await, 403, "invalid_pin").await;
    }
    let locked = attempt("000000").await;
    assert!(locked.headers().contains_key("retry-after"));
    error_body(locked, 429, "pin_locked").await;
    // Locked means locked: the right PIN waits too, and nothing was created.
    error_body(attempt(PIN).await, 429, "pin_locked").await;
    let list: Value = app
        .get(&format!("/api/projects/{project}/credentials"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
    app.clock.advance(15 * 60);
    assert_eq!(attempt(PIN).await.status(), 201);
}

#[tokio::test]
async fn an_organisation_waiting_for_approval_cannot_create_credentials() {
    let app = spawn_with(|c| c.auto_approve = false).await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let refused = app
        .create_credential(
            &app.client,
            &project,
            &json!({ "description": "Backend", "scopes": ["read"], "pin": PIN }),
        )
        .await;
    error_body(refused, 403, "org_not_approved").await;
    // The gate comes before the PIN: no try was used up.
    let user = portal_server::store::users::by_email(&app.state.store, "ada@acme.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.pin_failed_attempts, 0);
}

#[tokio::test]
async fn a_rolled_secret_keeps_working_until_its_overlap_ends() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let first = app.credential(&project, &["read"]).await;
    let before_roll = app
        .access_token(&first.client_id, &first.client_secret)
        .await;
    let roll = |overlap: &'static str| {
        let (app, id) = (&app, first.client_id.clone());
        async move {
            app.send(
                &app.client,
                Method::POST,
                &format!("/api/credentials/{id}/roll"),
                &json!({ "overlap": overlap, "pin": PIN }),
            )
            .await
        }
    };
    let rolled = roll("1h").await;
    assert_eq!(rolled.status(), 200);
    let rolled: Value = rolled.json().await.unwrap();
    let second = rolled["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(rolled["client_id"], first.client_id);
    assert_ne!(second, first.client_secret);
    assert!(is_client_secret(&second));
    let secrets = rolled["credential"]["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2, "both secrets are listed");
    assert_eq!(secrets[0]["hint"], &second[..12]);
    assert_eq!(secrets[0]["expires_at"], Value::Null);
    let old_until = secrets[1]["expires_at"].as_i64().unwrap();
    assert_eq!(old_until, secrets[0]["created_at"].as_i64().unwrap() + 3600);

    app.access_token(&first.client_id, &first.client_secret)
        .await;
    app.access_token(&first.client_id, &second).await;
    // During the overlap, tokens of the old secret keep working.
    assert_eq!(app.whoami(&before_roll).await.status(), 200);
    app.clock.advance(3600);
    oauth_error(
        app.token(&first.client_id, &first.client_secret).await,
        401,
        "invalid_client",
    )
    .await;
    app.access_token(&first.client_id, &second).await;
    let list: Value = app
        .get(&format!("/api/projects/{project}/credentials"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["secrets"].as_array().unwrap().len(), 1);

    // "now": the old secret stops at once, and so do its tokens.
    let of_second = app.access_token(&first.client_id, &second).await;
    assert_eq!(app.whoami(&of_second).await.status(), 200);
    let third: Value = roll("now").await.json().await.unwrap();
    let ended = oauth_error(app.whoami(&of_second).await, 401, "invalid_token").await;
    assert_eq!(
        ended["error_description"],
        "The secret this access token was issued for was rolled or has expired. \
         Get a new token with the credential's current secret."
    );
    oauth_error(
        app.token(&first.client_id, &second).await,
        401,
        "invalid_client",
    )
    .await;
    let of_third = app
        .access_token(&first.client_id, third["client_secret"].as_str().unwrap())
        .await;
    assert_eq!(app.whoami(&of_third).await.status(), 200);
    assert_eq!(third["credential"]["secrets"].as_array().unwrap().len(), 1);

    let unknown_overlap = roll("2h").await;
    error_body(unknown_overlap, 422, "invalid_body").await;
}

#[tokio::test]
async fn a_revoked_credential_gets_no_tokens_and_its_tokens_stop_working() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let credential = app.credential(&project, &["read"]).await;
    let token = app
        .access_token(&credential.client_id, &credential.client_secret)
        .await;
    assert_eq!(app.whoami(&token).await.status(), 200);

    let path = format!("/api/credentials/{}", credential.client_id);
    let wrong_pin = app
        .send(
            &app.client,
            Method::DELETE,
            &path,
            &json!({ "pin": "000000" }),
        )
        .await;
    error_body(wrong_pin, 403, "invalid_pin").await;
    assert_eq!(app.whoami(&token).await.status(), 200, "still works");

    let revoked = app
        .send(&app.client, Method::DELETE, &path, &json!({ "pin": PIN }))
        .await;
    assert_eq!(revoked.status(), 200);
    let revoked: Value = revoked.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["revoked_at"].is_i64());
    assert_eq!(revoked["secrets"], json!([]));

    // At once, not after a cache expires.
    let refused = oauth_error(app.whoami(&token).await, 401, "invalid_token").await;
    assert!(
        refused["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    oauth_error(
        app.token(&credential.client_id, &credential.client_secret)
            .await,
        401,
        "invalid_client",
    )
    .await;
    let again = app
        .send(&app.client, Method::DELETE, &path, &json!({ "pin": PIN }))
        .await;
    error_body(again, 409, "conflict").await;
    let roll = app
        .send(
            &app.client,
            Method::POST,
            &format!("{path}/roll"),
            &json!({ "overlap": "now", "pin": PIN }),
        )
        .await;
    error_body(roll, 409, "conflict").await;
    let projects: Value = app.get("/api/projects").await.json().await.unwrap();
    assert_eq!(projects["items"][0]["credential_count"], 0);
}

#[tokio::test]
async fn credentials_expire_when_chosen_and_deleting_the_project_ends_them() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let expiring: Value = app
        .create_credential(
            &app.client,
            &project,
            &json!({ "description": "Short", "scopes": ["read"], "expires_in_days": 30, "pin": PIN }),
        )
        .await
        .json()
        .await
        .unwrap();
    let (id, secret) = (
        expiring["client_id"].as_str().unwrap(),
        expiring["client_secret"].as_str().unwrap(),
    );
    app.clock.advance(24 * 86_400);
    // Weeks later: the session has ended, so sign in again.
    let session = app
        .post(
            "/api/session",
            &json!({ "email": "ada@acme.test", "password": PASSWORD }),
        )
        .await;
    assert_eq!(session.status(), 200);
    let list: Value = app
        .get(&format!("/api/projects/{project}/credentials"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["status"], "expiring");
    let token = app.access_token(id, secret).await;
    app.clock.advance(6 * 86_400);
    oauth_error(app.token(id, secret).await, 401, "invalid_client").await;
    let refused = oauth_error(app.whoami(&token).await, 401, "invalid_token").await;
    assert!(
        refused["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    app.post(
        "/api/session",
        &json!({ "email": "ada@acme.test", "password": PASSWORD }),
    )
    .await;
    let other = app.credential(&project, &["read"]).await;
    let token = app
        .access_token(&other.client_id, &other.client_secret)
        .await;
    let deleted = app
        .client
        .delete(app.at(&format!("/api/projects/{project}")))
        .json(&json!({ "pin": PIN }))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    oauth_error(app.whoami(&token).await, 401, "invalid_token").await;
    oauth_error(
        app.token(&other.client_id, &other.client_secret).await,
        401,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn every_credential_endpoint_enforces_the_role_table_and_tenancy() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let developer = app.member("dev@acme.test", "developer").await;
    let admin = app.member("admin@acme.test", "admin").await;
    let viewer = app.member("viewer@acme.test", "viewer").await;
    let eve = app.other_organisation().await;
    let signed_out = browser(&app.url);
    let project = app.project("Checkout", "sandbox").await;
    let status = |r: reqwest::Response| r.status().as_u16();

    for (who, client, may) in [
        ("superadmin", &app.client, true),
        ("admin", &admin.client, true),
        ("developer", &developer.client, true),
        ("viewer", &viewer.client, false),
    ] {
        let target = app.credential(&project, &["read"]).await;
        let listed = [format!("/api/projects/{project}/credentials")];
        let before = app.snapshot(&listed).await;
        let list = client
            .get(app.at(&format!("/api/projects/{project}/credentials")))
            .send()
            .await
            .unwrap();
        assert_eq!(status(list), 200, "{who} list");
        assert_eq!(
            status(client.get(app.at("/api/overview")).send().await.unwrap()),
            200,
            "{who} overview"
        );
        let create = app
            .create_credential(
                client,
                &project,
                &json!({ "description": who, "scopes": ["read"], "pin": PIN }),
            )
            .await;
        assert_eq!(status(create), if may { 201 } else { 403 }, "{who} create");
        let roll = app
            .send(
                client,
                Method::POST,
                &format!("/api/credentials/{}/roll", target.client_id),
                &json!({ "overlap": "1h", "pin": PIN }),
            )
            .await;
        assert_eq!(status(roll), if may { 200 } else { 403 }, "{who} roll");
        let revoke = app
            .send(
                client,
                Method::DELETE,
                &format!("/api/credentials/{}", target.client_id),
                &json!({ "pin": PIN }),
            )
            .await;
        assert_eq!(status(revoke), if may { 200 } else { 403 }, "{who} revoke");
        if !may {
            assert_eq!(app.snapshot(&listed).await, before, "{who} changed nothing");
            app.access_token(&target.client_id, &target.client_secret)
                .await;
        }
    }

    // Another organisation's ids read as absent, whatever is asked.
    let target = app.credential(&project, &["read"]).await;
    let foreign = [
        (
            Method::GET,
            format!("/api/projects/{project}/credentials"),
            json!(null),
        ),
        (
            Method::POST,
            format!("/api/projects/{project}/credentials"),
            json!({ "description": "x", "scopes": ["read"], "pin": PIN }),
        ),
        (
            Method::POST,
            format!("/api/credentials/{}/roll", target.client_id),
            json!({ "overlap": "now", "pin": PIN }),
        ),
        (
            Method::DELETE,
            format!("/api/credentials/{}", target.client_id),
            json!({ "pin": PIN }),
        ),
    ];
    let listed = [format!("/api/projects/{project}/credentials")];
    let before = app.snapshot(&listed).await;
    for (method, path, body) in &foreign {
        let r = app.send(&eve, method.clone(), path, body).await;
        error_body(r, 404, "not_found").await;
        let r = app.send(&signed_out, method.clone(), path, body).await;
        error_body(r, 401, "unauthenticated").await;
    }
    assert_eq!(app.snapshot(&listed).await, before);
    error_body(
        signed_out
            .get(app.at("/api/overview"))
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    // Eve's attempts changed nothing.
    app.access_token(&target.client_id, &target.client_secret)
        .await;
}

#[tokio::test]
async fn the_overview_ticks_from_real_use() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let empty: Value = app.get("/api/overview").await.json().await.unwrap();
    assert_eq!(
        empty,
        json!({ "projects": 0, "credentials": 0, "first_token_at": null,
                "first_call_at": null, "example": null, "failing_endpoints": [] })
    );
    let project = app.project("Checkout", "sandbox").await;
    let credential = app.credential(&project, &["read"]).await;
    let overview: Value = app.get("/api/overview").await.json().await.unwrap();
    assert_eq!(overview["projects"], 1);
    assert_eq!(overview["credentials"], 1);
    assert_eq!(overview["example"]["client_id"], credential.client_id);
    assert_eq!(overview["example"]["project_id"], project);
    assert_eq!(overview["first_token_at"], Value::Null);

    let token = app
        .access_token(&credential.client_id, &credential.client_secret)
        .await;
    let ticked = poll(&app, |o| o["first_token_at"].is_i64()).await;
    assert_eq!(ticked["first_call_at"], Value::Null);
    assert_eq!(app.whoami(&token).await.status(), 200);
    poll(&app, |o| o["first_call_at"].is_i64()).await;
    let list: Value = app
        .get(&format!("/api/projects/{project}/credentials"))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"][0]["last_used_at"].is_i64());

    // Revoked, the only credential ticks nothing: the checklist counts what
    // works now.
    let revoked = app
        .send(
            &app.client,
            reqwest::Method::DELETE,
            &format!("/api/credentials/{}", credential.client_id),
            &json!({ "pin": PIN }),
        )
        .await;
    assert!(revoked.status().is_success(), "{}", revoked.status());
    let after: Value = app.get("/api/overview").await.json().await.unwrap();
    assert_eq!(
        (
            &after["credentials"],
            &after["first_token_at"],
            &after["first_call_at"]
        ),
        (&json!(0), &Value::Null, &Value::Null)
    );
    assert_eq!(after["example"], Value::Null);
    // A new one starts the last two steps again.
    let next = app.credential(&project, &["read"]).await;
    let token = app.access_token(&next.client_id, &next.client_secret).await;
    assert_eq!(app.whoami(&token).await.status(), 200);
    poll(&app, |o| o["first_call_at"].is_i64()).await;
}

/// Last use is written in the background about once a second.
async fn poll(app: &crate::helpers::TestApp, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..50 {
        let overview: Value = app.get("/api/overview").await.json().await.unwrap();
        if done(&overview) {
            return overview;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the overview never ticked");
}
