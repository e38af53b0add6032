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

    let purged = purge(&app.state).await.unwrap();
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
