//! Nothing grows without bound: ended events with their deliveries and
//! attempts, outbox notes and ended invitations are deleted once past their
//! retention; what is still pending or recent stays.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::receiver::Receiver;
use portal_server::services::retention::{Purged, purge};

#[tokio::test]
async fn what_is_past_its_retention_goes_and_nothing_else() {
    let app = spawn_with(|c| c.webhook_allow_private = true).await;
    app.confirmed_user("ada@acme.test").await;
    let receiver = Receiver::start().await;
    let project = app.project("Checkout", "sandbox").await;
    let credential = app.credential(&project, &["write"]).await;
    let token = app
        .access_token(&credential.client_id, &credential.client_secret)
        .await;
    let hook = app
        .post(
            &format!("/api/projects/{project}/webhooks"),
            &json!({ "url": format!("{}/hook", receiver.url) }),
        )
        .await;
    assert_eq!(hook.status(), 201);
    let partner = reqwest::Client::new();
    let delivered = publish_order(&partner, &app.url, &token, 1).await.unwrap();
    receiver.wait_for(1).await;
    app.worker_caught_up().await;
    // Invitations: one revoked, one left to expire.
    assert_eq!(
        app.invite(&app.client, "x@acme.test", "viewer")
            .await
            .status(),
        201
    );
    assert_eq!(
        app.invite(&app.client, "y@acme.test", "viewer")
            .await
            .status(),
        201
    );
    let list: Value = app.get("/api/invitations").await.json().await.unwrap();
    let x = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == "x@acme.test")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app
        .client
        .delete(app.at(&format!("/api/invitations/{x}")))
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    // An event whose delivery is still being attempted.
    receiver.hold();
    let pending = publish_order(&partner, &app.url, &token, 2).await.unwrap();
    assert_eq!(app.count("outbox").await, 3, "sign-up and two invitations");

    // 31 days on: past the 30 days of events and the 7 of the outbox.
    app.clock.advance(31 * 86_400);
    let signed_in = app
        .post(
            "/api/session",
            &json!({ "email": "ada@acme.test", "password": PASSWORD }),
        )
        .await;
    assert_eq!(signed_in.status(), 200);
    assert_eq!(
        app.invite(&app.client, "z@acme.test", "viewer")
            .await
            .status(),
        201
    );

    // What the organisation keeps of its events is counted as they come
    // and go: the sizes of those there are.
    let kept = || async {
        let counted: Value = app
            .get("/api/organisation/usage")
            .await
            .json()
            .await
            .unwrap();
        let sizes: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM events")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert_eq!(counted["event_bytes"]["used"], sizes);
        sizes
    };
    let before = kept().await;
    let purged = purge(&app.state).await.unwrap();
    assert!(kept().await < before, "the purged events' bytes are freed");
    let events_left = |id: &str| {
        let id = id.to_owned();
        let app = &app;
        async move { app.count(&format!("events WHERE id = '{id}'")).await }
    };
    assert_eq!(
        events_left(&delivered).await,
        0,
        "the delivered event is gone"
    );
    assert_eq!(
        app.count(&format!("deliveries WHERE event_id = '{delivered}'"))
            .await,
        0
    );
    assert_eq!(
        app.count("delivery_attempts WHERE delivery_id NOT IN (SELECT id FROM deliveries)")
            .await,
        0
    );
    assert_eq!(events_left(&pending).await, 1, "the pending one stays");
    assert_eq!(app.count("outbox").await, 1, "only the newest mail's note");
    let invitations: Vec<String> = sqlx::query_scalar("SELECT email FROM invitations")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(invitations, vec!["z@acme.test".to_owned()]);
    assert!(
        purged.events >= 1 && purged.outbox == 3 && purged.invitations == 2,
        "{purged:?}"
    );
    // A second pass finds nothing more.
    assert_eq!(purge(&app.state).await.unwrap(), Purged::default());
    receiver.release();
}

#[tokio::test]
async fn sign_ups_never_confirmed_go_once_no_link_of_theirs_works() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    assert_eq!(app.sign_up("gone@acme.test").await.status(), 202);
    assert_eq!(app.sign_up("late@acme.test").await.status(), 202);
    let organisations_of = |email: &'static str| {
        let app = &app;
        async move {
            app.count(&format!(
                "organisations o WHERE EXISTS (SELECT 1 FROM users u \
                 WHERE u.organisation_id = o.id AND u.email = '{email}')"
            ))
            .await
        }
    };
    // A day less an hour on, one asks for a new link: it works a day more.
    app.clock.advance(23 * 3600);
    let resent = app
        .post("/api/signup/resend", &json!({ "email": "late@acme.test" }))
        .await;
    assert_eq!(resent.status(), 202);
    app.clock.advance(2 * 3600);
    let purged = purge(&app.state).await.unwrap();
    assert_eq!(purged.unconfirmed_sign_ups, 1, "{purged:?}");
    assert_eq!(organisations_of("gone@acme.test").await, 0);
    assert_eq!(app.count("users WHERE email = 'gone@acme.test'").await, 0);
    assert_eq!(
        organisations_of("late@acme.test").await,
        1,
        "its new link still works"
    );
    assert_eq!(
        organisations_of("ada@acme.test").await,
        1,
        "confirmed: kept"
    );

    app.clock.advance(24 * 3600);
    assert_eq!(purge(&app.state).await.unwrap().unconfirmed_sign_ups, 1);
    assert_eq!(organisations_of("late@acme.test").await, 0);
    assert_eq!(
        app.count("email_confirmations WHERE user_id NOT IN (SELECT id FROM users)")
            .await,
        0,
        "the links went with their users"
    );
    assert_eq!(organisations_of("ada@acme.test").await, 1);
    // The address is free for a new sign-up.
    assert_eq!(app.sign_up("gone@acme.test").await.status(), 202);
}
