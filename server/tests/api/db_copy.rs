//! `portal-server db copy`: a portal filled through its API on SQLite (a
//! team, projects, credentials with a rolled secret, a webhook endpoint with
//! its delivery log) is stopped, copied into an empty PostgreSQL database,
//! and started there with the same data folder: sign-in works, old secrets
//! get tokens, the webhook secret still signs, the delivery log is whole,
//! and a second copy into the now full database is refused.
//!
//! Needs PostgreSQL: `make test` runs it under `scripts/with-postgres.sh`
//! with `--include-ignored`.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, PIN, browser, fresh_database, sign_up_body, token_in};
use crate::real_server::Server;
use crate::receiver::Receiver;

/// `PORTAL_COPY_TO=… portal-server db copy --from …`: its output, and
/// whether it succeeded. The target's URL (with its password) goes by the
/// environment, as the README says, so `ps` doesn't show it.
fn db_copy(from: &str, to: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .args(["db", "copy", "--from", from])
        .env("PORTAL_COPY_TO", to)
        .env("PORTAL_LOG", "warn")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn json_of(r: reqwest::RequestBuilder) -> Value {
    let r = r.send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run under scripts/with-postgres.sh with --include-ignored"]
async fn a_portal_moves_from_sqlite_to_postgres_whole() {
    assert!(
        std::env::var("PORTAL_TEST_POSTGRES").is_ok(),
        "run under scripts/with-postgres.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/portal.db", dir.path().display());
    let receiver = Receiver::start().await;
    let env = [("PORTAL_WEBHOOK_ALLOW_PRIVATE", "true")];
    let server = Server::start_on(dir.path(), sqlite.clone(), &env).await;

    // Fill it through the API: Ada's organisation, Grace invited...
    let ada = browser(&server.url);
    let at = |path: &str| server.at(path);
    ada.post(at("/api/signup"))
        .json(&sign_up_body("ada@acme.test"))
        .send()
        .await
        .unwrap();
    let token = token_in(&server.log(), "/signup/confirm?token=");
    json_of(
        ada.post(at("/api/signup/confirm"))
            .json(&json!({ "token": token })),
    )
    .await;
    json_of(
        ada.post(at("/api/invitations"))
            .json(&json!({ "email": "grace@acme.test", "role": "developer" })),
    )
    .await;
    let invite = token_in(&server.log(), "/invite?token=");
    let grace = browser(&server.url);
    json_of(grace.post(at("/api/invitations/accept")).json(&json!({
        "token": invite, "full_name": "Grace Hopper", "password": PASSWORD, "pin": PIN
    })))
    .await;
    // ...a project with a credential whose secret was rolled (both work)...
    let project = json_of(
        ada.post(at("/api/projects"))
            .json(&json!({ "name": "Checkout", "environment": "sandbox" })),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let endpoint = json_of(
        ada.post(at(&format!("/api/projects/{project}/webhooks")))
            .json(&json!({ "url": format!("{}/hook", receiver.url) })),
    )
    .await;
    let webhook = endpoint["webhook"]["id"].as_str().unwrap().to_owned();
    let signing_secret = endpoint["secret"].as_str().unwrap().to_owned();
    let created = json_of(
        ada.post(at(&format!("/api/projects/{project}/credentials")))
            .json(&json!({ "description": "Backend", "scopes": ["read", "write"], "pin": PIN })),
    )
    .await;
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let first_secret = created["client_secret"].as_str().unwrap().to_owned();
    let rolled = json_of(
        ada.post(at(&format!("/api/credentials/{client_id}/roll")))
            .json(&json!({ "overlap": "24h", "pin": PIN })),
    )
    .await;
    let second_secret = rolled["client_secret"].as_str().unwrap().to_owned();
    // ...and deliveries: the credential events, and a failed then retried test.
    receiver.respond_with(&[500]);
    json_of(
        ada.post(at(&format!("/api/webhooks/{webhook}/test")))
            .json(&json!({ "event_type": "webhook.test" })),
    )
    .await;
    receiver.wait_for(3).await;
    let log_path = format!("/api/webhooks/{webhook}/deliveries");
    let log_before = json_of(ada.get(at(&log_path))).await;
    assert_eq!(log_before["total"], 3, "{log_before}");
    let details_before: Vec<Value> = {
        let mut details = Vec::new();
        for d in log_before["items"].as_array().unwrap() {
            let id = d["id"].as_str().unwrap();
            details.push(json_of(ada.get(at(&format!("/api/deliveries/{id}")))).await);
        }
        details
    };
    assert!(
        details_before
            .iter()
            .any(|d| d["attempts"][0]["response_status"] == 500),
        "one delivery failed once"
    );
    let members_before = json_of(ada.get(at("/api/users"))).await;
    let projects_before = json_of(ada.get(at("/api/projects"))).await;
    server.stop();

    // Copy into an empty PostgreSQL database.
    let postgres = fresh_database(dir.path()).await;
    let (ok, out) = db_copy(&sqlite, &postgres);
    assert!(ok, "{out}");
    for (table, rows) in [
        ("users", 2),
        ("projects", 1),
        ("credential_secrets", 2),
        ("deliveries", 3),
    ] {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .unwrap_or_else(|| panic!("{table} in {out}"));
        assert!(line.ends_with(&format!(" {rows}")), "{line}");
    }
    assert!(
        !out.contains("portal@"),
        "the URL (which may hold a password) is not printed"
    );
    // A second copy finds the target full and touches nothing.
    let (ok, out) = db_copy(&sqlite, &postgres);
    assert!(!ok);
    assert!(out.contains("not empty"), "{out}");

    // The portal on PostgreSQL, with the same data folder.
    receiver.always(None);
    let server = Server::start_on(dir.path(), postgres, &env).await;
    let at = |path: &str| server.at(path);
    for (email, who) in [("ada@acme.test", "Ada"), ("grace@acme.test", "Grace")] {
        let fresh = browser(&server.url);
        let r = fresh
            .post(at("/api/session"))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{who} signs in");
    }
    let ada = browser(&server.url);
    json_of(
        ada.post(at("/api/session"))
            .json(&json!({ "email": "ada@acme.test", "password": PASSWORD })),
    )
    .await;
    // The same members; only their last sign-in moved (they just signed in).
    let without_sign_in = |mut page: Value| {
        for m in page["items"].as_array_mut().unwrap() {
            m.as_object_mut().unwrap().remove("last_sign_in_at");
        }
        page
    };
    assert_eq!(
        without_sign_in(json_of(ada.get(at("/api/users"))).await),
        without_sign_in(members_before)
    );
    assert_eq!(json_of(ada.get(at("/api/projects"))).await, projects_before);
    // Both secrets get tokens, signed with the same key as before.
    for secret in [&first_secret, &second_secret] {
        let token = json_of(reqwest::Client::new().post(at("/v1/auth/token")).json(&json!({
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret
        })))
        .await;
        assert_eq!(token["token_type"], "Bearer");
    }
    // The delivery log is whole.
    assert_eq!(json_of(ada.get(at(&log_path))).await, log_before);
    for before in &details_before {
        let id = before["delivery"]["id"].as_str().unwrap();
        assert_eq!(
            &json_of(ada.get(at(&format!("/api/deliveries/{id}")))).await,
            before
        );
    }
    // The webhook secret, sealed with the key in the data folder, still signs.
    let heard = receiver.received().len();
    json_of(
        ada.post(at(&format!("/api/webhooks/{webhook}/test")))
            .json(&json!({ "event_type": "webhook.test" })),
    )
    .await;
    let got = receiver.wait_for(heard + 1).await;
    assert!(got[heard].signed_by(&signing_secret));
    // New mails go on being recorded.
    json_of(
        ada.post(at("/api/invitations"))
            .json(&json!({ "email": "alan@acme.test", "role": "viewer" })),
    )
    .await;
}

/// The two backends' migrations make the same tables with the same columns:
/// a table or column added to one and not the other fails here (and `db
/// copy`, which reads its tables from PostgreSQL's schema, would refuse a
/// SQLite database without it).
#[tokio::test]
#[ignore = "needs PostgreSQL: run under scripts/with-postgres.sh with --include-ignored"]
async fn both_backends_have_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let postgres = fresh_database(dir.path()).await;
    assert!(postgres.starts_with("postgres"), "{postgres}");
    let sqlite = format!("sqlite://{}/schema.db", dir.path().display());
    let on_sqlite = portal_server::store::copy::sqlite_schema(&sqlite)
        .await
        .unwrap();
    let on_postgres = portal_server::store::copy::postgres_schema(&postgres)
        .await
        .unwrap();
    assert!(on_sqlite.contains_key("deliveries"), "{on_sqlite:?}");
    let tables = |s: &portal_server::store::copy::Schema| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(tables(&on_sqlite), tables(&on_postgres), "tables");
    for (table, columns) in &on_sqlite {
        assert_eq!(Some(columns), on_postgres.get(table), "columns of {table}");
    }
}
