//! Every team endpoint × every role, signed out, and a member of another
//! organisation (404, never their data).

use serde_json::{Value, json};

use crate::helpers::{Member, PIN, SendJson, TestApp, browser, spawn_app};

struct Team {
    app: TestApp,
    /// superadmin, admin, developer, viewer
    roles: Vec<(&'static str, reqwest::Client)>,
    /// A member every role tries to change.
    target: Member,
}

async fn team() -> Team {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let admin = app.member("admin@acme.test", "admin").await;
    let developer = app.member("developer@acme.test", "developer").await;
    let viewer = app.member("viewer@acme.test", "viewer").await;
    let target = app.member("target@acme.test", "viewer").await;
    let roles = vec![
        ("superadmin", app.client.clone()),
        ("admin", admin.client),
        ("developer", developer.client),
        ("viewer", viewer.client),
    ];
    Team { app, roles, target }
}

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn every_team_endpoint_enforces_the_role_table() {
    let Team { app, roles, target } = team().await;
    let signed_out = browser(&app.url);
    let mut all = roles.clone();
    all.push(("signed out", signed_out));

    for (n, (role, client)) in all.iter().enumerate() {
        let may_manage = matches!(*role, "superadmin" | "admin");
        let signed_in = *role != "signed out";
        let expect = |allowed: u16| {
            if !signed_in {
                401
            } else if may_manage {
                allowed
            } else {
                403
            }
        };
        let view = if signed_in { 200 } else { 401 };

        assert_eq!(
            status(client.get(app.at("/api/users"))).await,
            view,
            "{role} list members"
        );
        assert_eq!(
            status(client.get(app.at("/api/invitations"))).await,
            view,
            "{role} list invitations"
        );

        // An invitation to act on, sent by the superadmin.
        let email = format!("pending{n}@acme.test");
        let invitation: Value = app
            .invite(&app.client, &email, "viewer")
            .await
            .json()
            .await
            .unwrap();
        let id = invitation["id"].as_str().unwrap();
        let link = app.invitation_token(&email).await;
        let team = [
            "/api/users?per_page=100".to_owned(),
            "/api/invitations".to_owned(),
        ];
        let before = app.snapshot(&team).await;

        // The superadmin makes the target a developer, the admin a viewer
        // again; the others try to make them a developer.
        let role_now = if n == 1 { "viewer" } else { "developer" };
        let patch = client
            .patch(app.at(&format!("/api/users/{}", target.id)))
            .json(&json!({ "role": role_now, "pin": PIN }));
        assert_eq!(status(patch).await, expect(200), "{role} change a member");
        let invite = client
            .post(app.at("/api/invitations"))
            .json(&json!({ "email": format!("new{n}@acme.test"), "role": "viewer" }));
        assert_eq!(status(invite).await, expect(201), "{role} invite");
        let resend = client
            .post(app.at(&format!("/api/invitations/{id}/resend")))
            .json(&json!({}));
        assert_eq!(status(resend).await, expect(200), "{role} resend");
        let revoke = client.delete(app.at(&format!("/api/invitations/{id}")));
        assert_eq!(status(revoke).await, expect(200), "{role} revoke");

        if !may_manage {
            assert_eq!(app.snapshot(&team).await, before, "{role} changed nothing");
            assert!(app.mails_to(&format!("new{n}@acme.test")).await.is_empty());
            let lookup = app
                .get(&format!("/api/invitations/lookup?token={link}"))
                .await;
            assert_eq!(lookup.status(), 200, "{role}: the link still works");
        }
    }
}

#[tokio::test]
async fn another_organisation_sees_404_and_none_of_our_data() {
    let Team { app, target, .. } = team().await;
    let invitation: Value = app
        .invite(&app.client, "ours@acme.test", "viewer")
        .await
        .json()
        .await
        .unwrap();
    let id = invitation["id"].as_str().unwrap().to_owned();
    let link = app.invitation_token("ours@acme.test").await;
    let team = [
        "/api/users?per_page=100".to_owned(),
        "/api/invitations".to_owned(),
    ];
    let before = app.snapshot(&team).await;

    let eve = app.other_organisation().await;

    let patch = eve
        .patch(app.at(&format!("/api/users/{}", target.id)))
        .json(&json!({ "status": "deactivated", "pin": PIN }));
    assert_eq!(status(patch).await, 404);
    assert_eq!(
        status(
            eve.post(app.at(&format!("/api/invitations/{id}/resend")))
                .json(&json!({}))
        )
        .await,
        404
    );
    assert_eq!(
        status(eve.delete(app.at(&format!("/api/invitations/{id}")))).await,
        404
    );

    let members: Value = eve.get(app.at("/api/users?per_page=100")).send_json().await;
    assert_eq!(members["total"], 1);
    assert_eq!(members["items"][0]["email"], "eve@evil.test");
    let invitations: Value = eve.get(app.at("/api/invitations")).send_json().await;
    assert_eq!(invitations["items"].as_array().unwrap().len(), 0);
    // Nothing changed on our side.
    assert_eq!(app.snapshot(&team).await, before);
    let lookup = app
        .get(&format!("/api/invitations/lookup?token={link}"))
        .await;
    assert_eq!(lookup.status(), 200, "the link still works");
}
