//! The signed-in user's settings: name, password, PIN, organisation.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, PIN, browser, error_body, spawn_app};

#[tokio::test]
async fn changing_the_name_shows_everywhere() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let response = app
        .client
        .patch(app.at("/api/me"))
        .json(&json!({ "full_name": "  Ada King  " }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["full_name"], "Ada King");
    let session: Value = app.get("/api/session").await.json().await.unwrap();
    assert_eq!(session["user"]["full_name"], "Ada King");

    let blank = app
        .client
        .patch(app.at("/api/me"))
        .json(&json!({ "full_name": "   " }))
        .send()
        .await
        .unwrap();
    let body = error_body(blank, 422, "validation_failed").await;
    assert_eq!(body["fields"]["full_name"], "Enter your full name.");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let other = browser(&app.url);
    let sign_in = json!({ "email": "ada@acme.test", "password": PASSWORD });
    let r = other
        .post(app.at("/api/session"))
        .json(&sign_in)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let wrong = app
        .post(
            "/api/me/password",
            &json!({ "current_password": "not my password", "new_password": "a brand new passphrase" }),
        )
        .await;
    let body = error_body(wrong, 422, "validation_failed").await;
    assert_eq!(
        body["fields"]["current_password"],
        "That's not your current password."
    );

    let right = app
        .post(
            "/api/me/password",
            &json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(right.status(), 204);
    // This session goes on; the other one ended.
    assert_eq!(app.get("/api/session").await.status(), 200);
    let r = other.get(app.at("/api/session")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // Only the new password signs in.
    let old = browser(&app.url)
        .post(app.at("/api/session"))
        .json(&sign_in)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
    let new = browser(&app.url)
        .post(app.at("/api/session"))
        .json(&json!({ "email": "ada@acme.test", "password": "a brand new passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);
}

#[tokio::test]
async fn changing_the_pin_needs_the_password_and_the_new_pin_is_the_one_asked() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let wrong = app
        .post(
            "/api/me/pin",
            &json!({ "password": "not my password", "new_pin": "731902" }),
        )
        .await;
    let body = error_body(wrong, 422, "validation_failed").await;
    assert_eq!(
        body["fields"]["password"],
        "That's not your current password."
    );
    let weak = app
        .post(
            "/api/me/pin",
            &json!({ "password": PASSWORD, "new_pin": "000000" }),
        )
        .await;
    let body = error_body(weak, 422, "validation_failed").await;
    assert_eq!(body["fields"]["new_pin"], "Don't use one digit repeated.");
    let short = app
        .post(
            "/api/me/pin",
            &json!({ "password": PASSWORD, "new_pin": "12" }),
        )
        .await;
    let body = error_body(short, 422, "validation_failed").await;
    assert_eq!(body["fields"]["new_pin"], "Use exactly 6 digits.");

    let ok = app
        .post(
            "/api/me/pin",
            &json!({ "password": PASSWORD, "new_pin": "731902" }),
        )
        .await;
    assert_eq!(ok.status(), 204);
    let stored: String = sqlx::query_scalar("SELECT pin_hash FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains("731902"));
    // The step-up asks for the new PIN from now on, and the old one is wrong.
    let project = app.project("Checkout", "sandbox").await;
    let create = |pin: &'static str| {
        let (app, project) = (&app, &project);
        async move {
            let body = json!({ "description": "Backend", "scopes": ["read"], "pin": pin });
            app.create_credential(&app.client, project, &body).await
        }
    };
    let old = create(PIN).await;
    let body = error_body(old, 403, "invalid_pin").await;
    assert_eq!(
        body["fields"]["pin"],
        "That PIN is wrong. 4 more wrong tries will lock it for 15 minutes."
    );
    assert_eq!(create("731902").await.status(), 201);
}

#[tokio::test]
async fn password_checks_are_rate_limited() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let body = json!({ "password": "not my password", "new_pin": "731902" });
    for _ in 0..5 {
        assert_eq!(app.post("/api/me/pin", &body).await.status(), 422);
    }
    error_body(app.post("/api/me/pin", &body).await, 429, "rate_limited").await;
}

#[tokio::test]
async fn superadmins_rename_the_organisation() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let response = app
        .client
        .patch(app.at("/api/organisation"))
        .json(&json!({ "name": "Acme Global" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let session: Value = app.get("/api/session").await.json().await.unwrap();
    assert_eq!(session["organisation"]["name"], "Acme Global");

    // Another role may not.
    sqlx::query("UPDATE users SET role = 'admin'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let response = app
        .client
        .patch(app.at("/api/organisation"))
        .json(&json!({ "name": "Hijacked" }))
        .send()
        .await
        .unwrap();
    error_body(response, 403, "forbidden").await;
}
