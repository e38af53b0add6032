//! Secrets stay out of storage and logs: the real server binary, logging at
//! debug level, creates, rolls and revokes credentials, issues tokens, and
//! creates, reveals and rotates a webhook signing secret; then the whole
//! database (with its WAL) and everything the server printed are scanned for
//! each secret and each token. (On PostgreSQL: the database's own files,
//! after a checkpoint.)

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{PIN, SendJson, TestDb, browser, sign_up_body, token_in};
use crate::real_server::Server;

#[tokio::test]
async fn no_secret_or_token_is_stored_or_logged() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("PORTAL_LOG", "debug")]).await;
    let ada = browser(&server.url);

    let post = |path: &str, body: Value| ada.post(server.at(path)).json(&body).send();
    assert_eq!(
        post("/api/signup", sign_up_body("ada@acme.test"))
            .await
            .unwrap()
            .status(),
        202
    );
    let token = token_in(&server.log(), "/signup/confirm?token=");
    assert_eq!(
        post("/api/signup/confirm", json!({ "token": token }))
            .await
            .unwrap()
            .status(),
        200
    );

    let mut secrets = Vec::new();
    let mut client_ids = Vec::new();
    for (name, environment) in [("Checkout", "sandbox"), ("Live", "production")] {
        let project: Value = post(
            "/api/projects",
            json!({ "name": name, "environment": environment }),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let created: Value = post(
            &format!(
                "/api/projects/{}/credentials",
                project["id"].as_str().unwrap()
            ),
            json!({ "description": "Backend", "scopes": ["read", "write"], "pin": PIN }),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        client_ids.push(created["client_id"].as_str().unwrap().to_owned());
        secrets.push(created["client_secret"].as_str().unwrap().to_owned());
    }
    let rolled: Value = post(
        &format!("/api/credentials/{}/roll", client_ids[0]),
        json!({ "overlap": "1h", "pin": PIN }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    secrets.push(rolled["client_secret"].as_str().unwrap().to_owned());

    let partner = reqwest::Client::new();
    let mut tokens = Vec::new();
    for (client_id, secret) in [
        (&client_ids[0], &secrets[0]),
        (&client_ids[0], &secrets[2]),
        (&client_ids[1], &secrets[1]),
    ] {
        let requests = [
            partner.post(server.at("/v1/auth/token")).json(&json!({
                "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret })),
            partner.post(server.at("/v1/auth/token")).form(&[
                ("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)]),
            partner.post(server.at("/v1/auth/token")).basic_auth(client_id, Some(secret))
                .form(&[("grant_type", "client_credentials")]),
        ];
        for request in requests {
            let body: Value = request.send_json().await;
            let token = body["access_token"].as_str().expect("a token").to_owned();
            let me = partner
                .get(server.at("/v1/whoami"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(me.status(), 200);
            tokens.push(token);
        }
        // A failed attempt mustn't echo the secret either.
        let wrong = format!("{secret}x");
        let refused = partner
            .post(server.at("/v1/auth/token"))
            .json(&json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": wrong }))
            .send()
            .await
            .unwrap();
        assert!(!refused.text().await.unwrap().contains(secret.as_str()));
    }
    // Webhook signing secrets: made with an endpoint, shown again behind
    // the PIN, and rotated (the old one kept for the overlap).
    let project: Value = post(
        "/api/projects",
        json!({ "name": "Hooks", "environment": "sandbox" }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let endpoint: Value = post(
        &format!("/api/projects/{}/webhooks", project["id"].as_str().unwrap()),
        json!({ "url": "https://example.com/hooks" }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let webhook = endpoint["webhook"]["id"].as_str().unwrap().to_owned();
    let mut signing_secrets = vec![endpoint["secret"].as_str().unwrap().to_owned()];
    let revealed: Value = post(
        &format!("/api/webhooks/{webhook}/secret"),
        json!({ "pin": PIN }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(revealed["secret"], signing_secrets[0].as_str());
    let rotated: Value = post(
        &format!("/api/webhooks/{webhook}/secret/rotate"),
        json!({ "overlap": "24h", "pin": PIN }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    signing_secrets.push(rotated["secret"].as_str().unwrap().to_owned());
    assert_ne!(signing_secrets[0], signing_secrets[1]);

    let revoke = ada
        .delete(server.at(&format!("/api/credentials/{}", client_ids[1])))
        .json(&json!({ "pin": PIN }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let refused = partner
        .get(server.at("/v1/whoami"))
        .bearer_auth(&tokens[8])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    // Let the background writer record last use, then stop cleanly.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let database_url = server.database_url.clone();
    let log = server.stop();
    let stored = TestDb::connect(&database_url)
        .await
        .stored_bytes(dir.path())
        .await;
    let contains = |haystack: &[u8], needle: &str| {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    // The scan reads what the server wrote: public ids are there, and the log
    // has the credential events.
    for id in &client_ids {
        assert!(contains(&stored, id), "the database holds {id}");
        assert!(log.contains(id.as_str()), "the log names {id}");
    }
    assert!(log.contains("credential rolled") && log.contains("credential revoked"));
    for secret in &secrets {
        let random = &secret[8..];
        assert!(!contains(&stored, random), "a secret is stored");
        assert!(!log.contains(random), "a secret is logged");
    }
    assert!(contains(&stored, &webhook), "the database holds {webhook}");
    assert!(log.contains("webhook secret rotated"));
    for secret in &signing_secrets {
        let random = secret.strip_prefix("whsec_").unwrap();
        assert!(!contains(&stored, random), "a signing secret is stored");
        assert!(!log.contains(random), "a signing secret is logged");
    }
    for token in &tokens {
        let signature = token.rsplit('.').next().unwrap();
        assert!(!contains(&stored, signature), "a token is stored");
        assert!(!log.contains(signature), "a token is logged");
    }
}
