//! The team: invitations, members, role and status changes, PIN step-up.

use portal_server::clock::Clock;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, PIN, SendJson, TestApp, browser, error_body, rate_limited, spawn_app, spawn_with,
};

async fn superadmin_app() -> (TestApp, String) {
    let app = spawn_app().await;
    let session = app.confirmed_user("ada@acme.test").await;
    let id = session["user"]["id"].as_str().unwrap().to_owned();
    (app, id)
}

async fn patch_member(
    client: &reqwest::Client,
    app: &TestApp,
    id: &str,
    body: Value,
) -> reqwest::Response {
    client
        .patch(app.at(&format!("/api/users/{id}")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Tries to accept with `token` in a new browser: 410, and no account for
/// `email`, no session. Returns the error body.
async fn accept_refused(app: &TestApp, token: &str, email: &str) -> Value {
    let users_before = app.count("users").await;
    let browser = browser(&app.url);
    let r = browser
        .post(app.at("/api/invitations/accept"))
        .json(&json!({ "token": token, "full_name": "Grace Hopper", "password": PASSWORD, "pin": PIN }))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("set-cookie").is_none(), "no session cookie");
    let body = error_body(r, 410, "invalid_token").await;
    assert_eq!(app.count("users").await, users_before, "no account made");
    let session = browser.get(app.at("/api/session")).send().await.unwrap();
    assert_eq!(session.status(), 401, "not signed in");
    let sign_in = browser
        .post(app.at("/api/session"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    error_body(sign_in, 401, "invalid_credentials").await;
    body
}

#[tokio::test]
async fn an_invitation_is_mailed_looked_up_without_being_used_and_accepted_once() {
    let (app, _) = superadmin_app().await;
    let response = app
        .invite(&app.client, "Grace@Acme.test", "developer")
        .await;
    assert_eq!(response.status(), 201);
    let invitation: Value = response.json().await.unwrap();
    assert_eq!(invitation["email"], "grace@acme.test");
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["invited_by"], "Ada Lovelace");
    let expires =
        invitation["expires_at"].as_i64().unwrap() - invitation["created_at"].as_i64().unwrap();
    assert_eq!(expires, 7 * 86_400);

    let mail = &app.mails_to("grace@acme.test").await[0];
    assert_eq!(mail.subject, "Ada Lovelace invited you to Acme Payments");
    assert!(mail.body.contains("as developer"));
    let token = app.invitation_token("grace@acme.test").await;

    // Opening the link, as a mail scanner does, consumes nothing.
    let stranger = browser(&app.url);
    for _ in 0..2 {
        let lookup = stranger
            .get(app.at(&format!("/api/invitations/lookup?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(lookup.status(), 200);
        let lookup: Value = lookup.json().await.unwrap();
        assert_eq!(lookup["organisation_name"], "Acme Payments");
        assert_eq!(lookup["email"], "grace@acme.test");
        assert_eq!(lookup["role"], "developer");
    }

    let member = app.accept("grace@acme.test").await;
    let session: Value = member.client.get(app.at("/api/session")).send_json().await;
    assert_eq!(session["user"]["role"], "developer");
    assert_eq!(session["organisation"]["name"], "Acme Payments");
    // Accepting signed Grace in: the member list says when, not "never".
    app.clock.advance(60);
    let members: Value = app
        .get("/api/users?query=grace")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["items"][0]["email"], "grace@acme.test");
    assert_eq!(members["items"][0]["last_sign_in_at"], app.clock.now() - 60);

    let again = stranger
        .post(app.at("/api/invitations/accept"))
        .json(&json!({ "token": token, "full_name": "Eve", "password": PASSWORD, "pin": PIN }))
        .send()
        .await
        .unwrap();
    let body = error_body(again, 410, "invalid_token").await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already been accepted")
    );

    let list: Value = app.get("/api/invitations").await.json().await.unwrap();
    assert_eq!(list["items"][0]["status"], "accepted");
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM invitations")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, vec![portal_server::crypto::token_hash(&token)]);
}

#[tokio::test]
async fn accepting_validates_the_new_account() {
    let (app, _) = superadmin_app().await;
    app.invite(&app.client, "grace@acme.test", "viewer").await;
    let token = app.invitation_token("grace@acme.test").await;
    let response = browser(&app.url)
        .post(app.at("/api/invitations/accept"))
        .json(&json!({ "token": token, "full_name": "", "password": "short", "pin": "111111" }))
        .send()
        .await
        .unwrap();
    let body = error_body(response, 422, "validation_failed").await;
    let fields: Vec<&String> = body["fields"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["full_name", "password", "pin"]);
    // Nothing was used up.
    let lookup = app
        .get(&format!("/api/invitations/lookup?token={token}"))
        .await;
    assert_eq!(lookup.status(), 200);
}

#[tokio::test]
async fn expired_links_explain_themselves_and_a_resend_replaces_them() {
    let (app, _) = superadmin_app().await;
    let invitation: Value = app
        .invite(&app.client, "grace@acme.test", "developer")
        .await
        .json()
        .await
        .unwrap();
    let old = app.invitation_token("grace@acme.test").await;
    app.clock.advance(7 * 86_400 + 1);

    let lookup = app
        .get(&format!("/api/invitations/lookup?token={old}"))
        .await;
    let body = error_body(lookup, 410, "invalid_token").await;
    assert!(body["message"].as_str().unwrap().contains("expired"));
    let body = accept_refused(&app, &old, "grace@acme.test").await;
    assert!(body["message"].as_str().unwrap().contains("expired"));
    // A week on, the admin's session has ended too.
    let sign_in = app
        .post(
            "/api/session",
            &json!({ "email": "ada@acme.test", "password": PASSWORD }),
        )
        .await;
    assert_eq!(sign_in.status(), 200);
    let list: Value = app.get("/api/invitations").await.json().await.unwrap();
    assert_eq!(list["items"][0]["status"], "expired");

    let id = invitation["id"].as_str().unwrap();
    let resent = app
        .post(&format!("/api/invitations/{id}/resend"), &json!({}))
        .await;
    assert_eq!(resent.status(), 200);
    let resent: Value = resent.json().await.unwrap();
    assert_eq!(resent["status"], "pending");
    let new = app.invitation_token("grace@acme.test").await;
    assert_ne!(old, new);
    // The old link is dead; the new one works.
    error_body(
        app.get(&format!("/api/invitations/lookup?token={old}"))
            .await,
        404,
        "invalid_token",
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/invitations/lookup?token={new}"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn revoked_links_stop_working_and_the_address_can_be_invited_again() {
    let (app, _) = superadmin_app().await;
    let invitation: Value = app
        .invite(&app.client, "grace@acme.test", "developer")
        .await
        .json()
        .await
        .unwrap();
    let token = app.invitation_token("grace@acme.test").await;
    let id = invitation["id"].as_str().unwrap();
    let revoked = app
        .client
        .delete(app.at(&format!("/api/invitations/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let revoked: Value = revoked.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");

    let lookup = app
        .get(&format!("/api/invitations/lookup?token={token}"))
        .await;
    let body = error_body(lookup, 410, "invalid_token").await;
    assert!(body["message"].as_str().unwrap().contains("withdrawn"));
    let body = accept_refused(&app, &token, "grace@acme.test").await;
    assert!(body["message"].as_str().unwrap().contains("withdrawn"));
    error_body(
        app.post(&format!("/api/invitations/{id}/resend"), &json!({}))
            .await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(
        app.invite(&app.client, "grace@acme.test", "viewer")
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn members_and_live_invitations_cannot_be_invited_twice() {
    let (app, _) = superadmin_app().await;
    let me = app.invite(&app.client, "ada@acme.test", "viewer").await;
    let body = error_body(me, 409, "conflict").await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already a member")
    );

    assert_eq!(
        app.invite(&app.client, "grace@acme.test", "viewer")
            .await
            .status(),
        201
    );
    let twice = app.invite(&app.client, "GRACE@acme.test", "admin").await;
    let body = error_body(twice, 409, "conflict").await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("pending invitation")
    );

    let bad = app.invite(&app.client, "not-an-email", "viewer").await;
    error_body(bad, 422, "validation_failed").await;
    let wrong_role = app
        .client
        .post(app.at("/api/invitations"))
        .json(&json!({ "email": "x@acme.test", "role": "owner" }))
        .send()
        .await
        .unwrap();
    error_body(wrong_role, 422, "invalid_body").await;
}

#[tokio::test]
async fn inviting_an_admin_or_superadmin_needs_the_pin() {
    let (app, _) = superadmin_app().await;
    let invite = |body: Value| {
        app.client
            .post(app.at("/api/invitations"))
            .json(&body)
            .send()
    };
    for role in ["admin", "superadmin"] {
        let email = format!("{role}@acme.test");
        let missing = invite(json!({ "email": email, "role": role }))
            .await
            .unwrap();
        let body = error_body(missing, 422, "validation_failed").await;
        assert_eq!(
            body["fields"]["pin"],
            format!("Enter your security PIN to invite an {role}.")
        );
        let wrong = invite(json!({ "email": email, "role": role, "pin": "000000" }))
            .await
            .unwrap();
        let body = error_body(wrong, 403, "invalid_pin").await;
        assert!(body["fields"]["pin"].as_str().unwrap().contains("wrong"));
        // Refused: no invitation, no mail.
        let list: Value = app.get("/api/invitations").await.json().await.unwrap();
        assert!(
            !list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["email"] == email),
            "{list}"
        );
        assert!(app.mails_to(&email).await.is_empty());

        let right = invite(json!({ "email": email, "role": role, "pin": PIN }))
            .await
            .unwrap();
        assert_eq!(right.status(), 201);
        assert_eq!(app.mails_to(&email).await.len(), 1);
    }
    let developer = invite(json!({ "email": "dev@acme.test", "role": "developer" }))
        .await
        .unwrap();
    assert_eq!(developer.status(), 201, "a developer needs no PIN");
}

#[tokio::test]
async fn admins_cannot_grant_or_touch_superadmin() {
    let (app, ada) = superadmin_app().await;
    let admin = app.member("alan@acme.test", "admin").await;
    error_body(
        app.invite(&admin.client, "x@acme.test", "superadmin").await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.invite(&admin.client, "y@acme.test", "admin")
            .await
            .status(),
        201
    );

    let demote = patch_member(
        &admin.client,
        &app,
        &ada,
        json!({ "role": "viewer", "pin": PIN }),
    )
    .await;
    error_body(demote, 403, "forbidden").await;
    let developer = app.member("grace@acme.test", "developer").await;
    let promote = patch_member(
        &admin.client,
        &app,
        &developer.id,
        json!({ "role": "superadmin", "pin": PIN }),
    )
    .await;
    error_body(promote, 403, "forbidden").await;
    let ok = patch_member(
        &admin.client,
        &app,
        &developer.id,
        json!({ "role": "admin", "pin": PIN }),
    )
    .await;
    assert_eq!(ok.status(), 200);
    let member: Value = ok.json().await.unwrap();
    assert_eq!(member["role"], "admin");
}

#[tokio::test]
async fn the_last_active_superadmin_stays() {
    let (app, ada) = superadmin_app().await;
    let demote = patch_member(
        &app.client,
        &app,
        &ada,
        json!({ "role": "admin", "pin": PIN }),
    )
    .await;
    let body = error_body(demote, 409, "conflict").await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("last active superadmin")
    );
    let other = app.member("alan@acme.test", "superadmin").await;
    // Deactivating yourself is never allowed.
    let self_off = patch_member(
        &app.client,
        &app,
        &ada,
        json!({ "status": "deactivated", "pin": PIN }),
    )
    .await;
    error_body(self_off, 409, "conflict").await;
    // With a second superadmin, either may step down.
    let demote = patch_member(
        &app.client,
        &app,
        &ada,
        json!({ "role": "admin", "pin": PIN }),
    )
    .await;
    assert_eq!(demote.status(), 200);
    // Now Alan is the last one: Ada (an admin now) can't touch him...
    let off = patch_member(
        &app.client,
        &app,
        &other.id,
        json!({ "status": "deactivated", "pin": PIN }),
    )
    .await;
    error_body(off, 403, "forbidden").await;
    // ...and he can't step down himself.
    let step_down = patch_member(
        &other.client,
        &app,
        &other.id,
        json!({ "role": "developer", "pin": PIN }),
    )
    .await;
    let body = error_body(step_down, 409, "conflict").await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("last active superadmin"),
        "{body}"
    );
    let alan: Value = other.client.get(app.at("/api/session")).send_json().await;
    assert_eq!(alan["user"]["role"], "superadmin");
}

#[tokio::test]
async fn a_deactivated_member_is_signed_out_at_once_and_cannot_sign_in() {
    let (app, _) = superadmin_app().await;
    let grace = app.member("grace@acme.test", "developer").await;
    assert_eq!(
        grace
            .client
            .get(app.at("/api/session"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let off = patch_member(
        &app.client,
        &app,
        &grace.id,
        json!({ "status": "deactivated", "pin": PIN }),
    )
    .await;
    assert_eq!(off.status(), 200);
    let off: Value = off.json().await.unwrap();
    assert_eq!(off["status"], "deactivated");
    error_body(
        grace
            .client
            .get(app.at("/api/session"))
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    let sign_in = browser(&app.url)
        .post(app.at("/api/session"))
        .json(&json!({ "email": "grace@acme.test", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    error_body(sign_in, 403, "account_deactivated").await;

    let on = patch_member(
        &app.client,
        &app,
        &grace.id,
        json!({ "status": "active", "pin": PIN }),
    )
    .await;
    assert_eq!(on.status(), 200);
    let sign_in = browser(&app.url)
        .post(app.at("/api/session"))
        .json(&json!({ "email": "grace@acme.test", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status(), 200);
}

#[tokio::test]
async fn wrong_pins_are_counted_then_lock_the_pin() {
    let (app, _) = superadmin_app().await;
    let grace = app.member("grace@acme.test", "developer").await;
    let change = |pin: &str| json!({ "role": "viewer", "pin": pin });
    for left in (1..=4).rev() {
        let wrong = patch_member(&app.client, &app, &grace.id, change("000001")).await;
        let body = error_body(wrong, 403, "invalid_pin").await;
        assert!(
            body["fields"]["pin"]
                .as_str()
                .unwrap()
                .contains(&format!("{left} more")),
            "{body}"
        );
    }
    let locking = patch_member(&app.client, &app, &grace.id, change("000001")).await;
    assert_eq!(locking.headers()["retry-after"], "900");
    error_body(locking, 429, "pin_locked").await;
    // Even the right PIN waits while locked.
    let right = patch_member(&app.client, &app, &grace.id, change(PIN)).await;
    error_body(right, 429, "pin_locked").await;
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE email = 'grace@acme.test'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(role, "developer");

    app.clock.advance(15 * 60);
    let right = patch_member(&app.client, &app, &grace.id, change(PIN)).await;
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn the_member_list_searches_filters_sorts_and_pages() {
    let (app, _) = superadmin_app().await;
    seed_members(&app, 60).await;
    let page: Value = app.get("/api/users").await.json().await.unwrap();
    assert_eq!(page["total"], 61);
    assert_eq!(page["per_page"], 25);
    assert_eq!(page["items"].as_array().unwrap().len(), 25);
    // Default order: by name.
    assert_eq!(page["items"][0]["full_name"], "Ada Lovelace");

    let last: Value = app
        .get("/api/users?page=3&per_page=25")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["items"].as_array().unwrap().len(), 11);
    let beyond: Value = app.get("/api/users?page=9").await.json().await.unwrap();
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"], 61);

    let search: Value = app
        .get("/api/users?query=member%2007")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(search["total"], 1);
    assert_eq!(search["items"][0]["email"], "member07@acme.test");
    // LIKE wildcards are searched literally.
    let percent: Value = app.get("/api/users?query=%25").await.json().await.unwrap();
    assert_eq!(percent["total"], 0);

    let admins: Value = app
        .get("/api/users?role=admin&per_page=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admins["total"], 20);
    assert!(
        admins["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["role"] == "admin")
    );
    let off: Value = app
        .get("/api/users?status=deactivated&per_page=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(off["total"], 15);

    let by_role: Value = app
        .get("/api/users?sort=role&per_page=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_role["items"][0]["role"], "superadmin");
    assert_eq!(by_role["items"][60]["role"], "viewer");
    let by_email_desc: Value = app
        .get("/api/users?sort=email&order=desc")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_email_desc["items"][0]["email"], "member59@acme.test");

    error_body(
        app.get("/api/users?per_page=7").await,
        422,
        "validation_failed",
    )
    .await;
    error_body(app.get("/api/users?page=0").await, 422, "validation_failed").await;
    error_body(app.get("/api/users?role=owner").await, 400, "invalid_body").await;
    error_body(app.get("/api/users?page=x").await, 400, "invalid_body").await;
}

/// `n` members straight into the database: member00…, a third each admin,
/// developer, viewer; every fourth deactivated.
pub async fn seed_members(app: &TestApp, n: usize) {
    let org: String = sqlx::query_scalar("SELECT id FROM organisations")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    for i in 0..n {
        let role = ["admin", "developer", "viewer"][i % 3];
        let status = if i % 4 == 0 { "deactivated" } else { "active" };
        sqlx::query(&format!(
            "INSERT INTO users (id, organisation_id, email, full_name, password_hash, pin_hash, role, \
             status, email_confirmed_at, created_at) VALUES ($1, $2, $3, $4, 'x', 'x', $5, $6, {}, {})",
            app.db.time(7),
            app.db.time(8)
        ))
        .bind(format!("usr_seed{i:04}"))
        .bind(&org)
        .bind(format!("member{i:02}@acme.test"))
        .bind(format!("Member {i:02}"))
        .bind(role)
        .bind(status)
        .bind(1_i64)
        .bind(1_700_000_000 + i as i64)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn parallel_wrong_pins_cannot_share_an_attempt() {
    let (app, _) = superadmin_app().await;
    let grace = app.member("grace@acme.test", "developer").await;
    // Twenty wrong PINs at once.
    let mut set = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (client, url) = (
            app.client.clone(),
            app.at(&format!("/api/users/{}", grace.id)),
        );
        set.spawn(async move {
            let body = json!({ "role": "viewer", "pin": format!("1000{i:02}") });
            client
                .patch(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses: Vec<u16> = set.join_all().await;
    let checked = statuses.iter().filter(|&&s| s == 403).count();
    assert!(
        checked <= 4,
        "at most 4 wrong PINs are checked before the lock: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 403 || s == 429),
        "{statuses:?}"
    );
    let right = patch_member(
        &app.client,
        &app,
        &grace.id,
        json!({ "role": "viewer", "pin": PIN }),
    )
    .await;
    error_body(right, 429, "pin_locked").await;
}

#[tokio::test]
async fn two_superadmins_demoting_each_other_at_once_leave_one() {
    let (app, ada) = superadmin_app().await;
    let alan = app.member("alan@acme.test", "superadmin").await;
    let (a, b) = tokio::join!(
        patch_member(
            &app.client,
            &app,
            &alan.id,
            json!({ "role": "admin", "pin": PIN })
        ),
        patch_member(
            &alan.client,
            &app,
            &ada,
            json!({ "role": "admin", "pin": PIN })
        ),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = 'superadmin' AND status = 'active'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(left, 1);
}

#[tokio::test]
async fn an_invitation_replaces_an_unconfirmed_account_at_that_address() {
    let (app, _) = superadmin_app().await;
    let squat = browser(&app.url);
    let r = squat
        .post(app.at("/api/signup"))
        .json(&crate::helpers::sign_up_body("grace@acme.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let member = app.member("grace@acme.test", "developer").await;
    let session: Value = member.client.get(app.at("/api/session")).send_json().await;
    assert_eq!(session["organisation"]["name"], "Acme Payments");
    assert_eq!(session["user"]["role"], "developer");
}

#[tokio::test]
async fn deactivating_a_member_revokes_the_invitations_they_sent() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let grace = app.member("grace@acme.test", "admin").await;
    let sent = app
        .invite(&grace.client, "alan@acme.test", "developer")
        .await;
    assert_eq!(sent.status(), 201);
    let token = app.invitation_token("alan@acme.test").await;

    let deactivated = app
        .send(
            &app.client,
            reqwest::Method::PATCH,
            &format!("/api/users/{}", grace.id),
            &json!({ "status": "deactivated", "pin": PIN }),
        )
        .await;
    assert_eq!(deactivated.status(), 200);
    let lookup = reqwest::get(app.at(&format!("/api/invitations/lookup?token={token}")))
        .await
        .unwrap();
    let body = error_body(lookup, 410, "invalid_token").await;
    assert!(
        body["message"].as_str().unwrap().contains("withdrawn"),
        "{body}"
    );
    let list: Value = app.get("/api/invitations").await.json().await.unwrap();
    let alan = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == "alan@acme.test")
        .unwrap();
    assert_eq!(alan["status"], "revoked");
}

#[tokio::test]
async fn a_member_change_applies_only_to_the_member_as_the_actor_saw_them() {
    use portal_contract::Role;
    use portal_contract::ids::OrganisationId;
    use portal_contract::ids::UserId;
    use portal_contract::team::MemberStatus;
    use portal_server::services::members::{MemberChange, MemberChanged, change_member};

    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let grace = app.member("grace@acme.test", "developer").await;
    // An admin saw Grace as a developer; meanwhile a superadmin made her one.
    let promoted = app
        .send(
            &app.client,
            reqwest::Method::PATCH,
            &format!("/api/users/{}", grace.id),
            &json!({ "role": "superadmin", "pin": PIN }),
        )
        .await;
    assert_eq!(promoted.status(), 200);
    // The admin's deactivation, checked against "developer", must not land.
    let id = UserId(grace.id.clone());
    let session: Value = app.get("/api/session").await.json().await.unwrap();
    let org = OrganisationId(session["organisation"]["id"].as_str().unwrap().to_owned());
    let changed = change_member(
        &app.state,
        MemberChange {
            org: &org,
            id: &id,
            seen_role: Role::Developer,
            seen_status: MemberStatus::Active,
            role: Role::Developer,
            status: MemberStatus::Deactivated,
            now: app.state.now(),
            event: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(changed, MemberChanged::Stale);
    let members: Value = app.get("/api/users").await.json().await.unwrap();
    let grace_now = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == grace.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(grace_now["role"], "superadmin");
    assert_eq!(grace_now["status"], "active");
    // Her session still works.
    assert_eq!(
        grace
            .client
            .get(app.at("/api/session"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn inviting_an_address_with_an_account_elsewhere_looks_like_any_invitation() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    app.other_organisation().await; // eve@evil.test
    let fresh = app.invite(&app.client, "alan@acme.test", "developer").await;
    let taken = app.invite(&app.client, "eve@evil.test", "developer").await;
    assert_eq!(fresh.status(), 201);
    assert_eq!(
        taken.status(),
        201,
        "the same answer: no account is given away"
    );
    let (fresh, taken): (Value, Value) = (fresh.json().await.unwrap(), taken.json().await.unwrap());
    assert_eq!(taken["status"], fresh["status"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&taken), keys(&fresh));
    // Eve is told, and gets no link to a second organisation.
    let mail = &app.mails_to("eve@evil.test").await[0];
    assert!(
        mail.body
            .contains("already has a Partner Portal account with another organisation")
    );
    assert!(!mail.body.contains("token="), "{}", mail.body);
    // Sent again, the same.
    let resent = app
        .post(
            &format!("/api/invitations/{}/resend", taken["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(resent.status(), 200);
    let invitations: Vec<_> = app
        .mails_to("eve@evil.test")
        .await
        .into_iter()
        .filter(|m| m.subject.contains("invited you"))
        .collect();
    assert_eq!(invitations.len(), 2);
    assert!(invitations.iter().all(|m| !m.body.contains("token=")));
    // A member of this organisation is no secret: that still answers 409.
    app.member("grace@acme.test", "developer").await;
    let member = app.invite(&app.client, "grace@acme.test", "viewer").await;
    error_body(member, 409, "conflict").await;
}

#[tokio::test]
async fn invitations_are_limited_per_member_and_per_organisation() {
    // One an hour per member, five per organisation.
    let app = spawn_with(|c| c.invitations_per_hour = 1).await;
    app.confirmed_user("ada@acme.test").await;
    assert_eq!(
        app.invite(&app.client, "m1@acme.test", "admin")
            .await
            .status(),
        201
    );
    let second = app.invite(&app.client, "x@acme.test", "viewer").await;
    rate_limited(second, 3600).await;
    assert!(app.mails_to("x@acme.test").await.is_empty(), "no mail went");
    // Sending one again counts too (an admin's, with the PIN it needs).
    let list: Value = app.get("/api/invitations").await.json().await.unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    rate_limited(
        app.post(
            &format!("/api/invitations/{id}/resend"),
            &json!({ "pin": PIN }),
        )
        .await,
        3600,
    )
    .await;

    // Each new admin has an invitation of their own, until the organisation
    // has sent five.
    let mut inviter = app.accept("m1@acme.test").await;
    for n in 2..=5 {
        let to = format!("m{n}@acme.test");
        assert_eq!(
            app.invite(&inviter.client, &to, "admin").await.status(),
            201,
            "{to}"
        );
        inviter = app.accept(&to).await;
    }
    // The sixth is refused by the organisation's limit (one more every 12
    // minutes), though this member hasn't invited anyone yet.
    let sixth = app.invite(&inviter.client, "m6@acme.test", "viewer").await;
    rate_limited(sixth, 720).await;
    app.clock.advance(3600);
    assert_eq!(
        app.invite(&inviter.client, "m6@acme.test", "viewer")
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn resending_an_admins_invitation_needs_the_pin_as_sending_it_does() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    assert_eq!(
        app.invite(&app.client, "root@acme.test", "admin")
            .await
            .status(),
        201
    );
    assert_eq!(
        app.invite(&app.client, "view@acme.test", "viewer")
            .await
            .status(),
        201
    );
    let list: Value = app.get("/api/invitations").await.json().await.unwrap();
    let id_of = |email: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["email"] == email)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (admin, viewer) = (id_of("root@acme.test"), id_of("view@acme.test"));
    let resend = |id: &str, body: Value| {
        let app = &app;
        let path = format!("/api/invitations/{id}/resend");
        async move { app.post(&path, &body).await }
    };
    let mailed = |email: &'static str| {
        let app = &app;
        async move { app.mails_to(email).await.len() }
    };
    let before = mailed("root@acme.test").await;

    let missing = error_body(resend(&admin, json!({})).await, 422, "validation_failed").await;
    assert_eq!(
        missing["fields"]["pin"],
        "Enter your security PIN to invite an admin."
    );
    let wrong = error_body(
        resend(&admin, json!({ "pin": "000000" })).await,
        403,
        "invalid_pin",
    )
    .await;
    assert!(wrong["fields"]["pin"].as_str().unwrap().contains("wrong"));
    assert_eq!(
        mailed("root@acme.test").await,
        before,
        "refused: no new link"
    );

    assert_eq!(resend(&admin, json!({ "pin": PIN })).await.status(), 200);
    assert_eq!(mailed("root@acme.test").await, before + 1);
    // A viewer's invitation needs none.
    assert_eq!(resend(&viewer, json!({})).await.status(), 200);
}
