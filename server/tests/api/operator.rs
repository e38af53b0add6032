//! `portal-server org list|approve|suspend`, run as the real binary.

use std::process::Command;

use serde_json::json;

use crate::helpers::{PASSWORD, browser, error_body, spawn_with};

fn portal_server(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .env("PORTAL_DATABASE_URL", database_url)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn operators_list_approve_and_suspend_organisations() {
    let app = spawn_with(|c| c.auto_approve = false).await;
    let session = app.confirmed_user("ada@acme.test").await;
    let id = session["organisation"]["id"].as_str().unwrap().to_owned();
    let url = app.state.config.database_url.clone();

    let list = portal_server(&url, &["org", "list"]);
    assert!(list.contains(&id) && list.contains("pending") && list.contains("Acme Payments"));

    portal_server(&url, &["org", "approve", &id]);
    let me: serde_json::Value = app.get("/api/session").await.json().await.unwrap();
    assert_eq!(me["organisation"]["status"], "approved");

    portal_server(&url, &["org", "suspend", &id]);
    // Open sessions end at once.
    error_body(app.get("/api/session").await, 401, "unauthenticated").await;
    let sign_in = browser(&app.url)
        .post(app.at("/api/session"))
        .json(&json!({ "email": "ada@acme.test", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    error_body(sign_in, 403, "forbidden").await;

    let unknown = Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .env("PORTAL_DATABASE_URL", &url)
        .args(["org", "approve", "org_missing"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}
