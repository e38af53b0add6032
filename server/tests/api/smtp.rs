//! Mail over SMTP, delivered to a real SMTP server process (the Node sink in
//! end2end/support, which the Playwright tests use too).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{spawn_with, token_in};

struct Sink {
    child: Child,
    http: String,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_sink() -> (Sink, u16) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    assert!(
        std::path::Path::new(root)
            .join("node_modules/smtp-server")
            .exists(),
        "node_modules is missing: run `make test` (it runs `npm ci`) first"
    );
    let (smtp, http) = (free_port(), free_port());
    let child = Command::new("node")
        .current_dir(root)
        .args([
            "end2end/support/mail-sink.mjs",
            "--smtp-port",
            &smtp.to_string(),
        ])
        .args(["--http-port", &http.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("node");
    let sink = Sink {
        child,
        http: format!("http://127.0.0.1:{http}"),
    };
    for _ in 0..100 {
        if reqwest::get(&sink.http).await.is_ok() {
            return (sink, smtp);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the mail sink did not start");
}

#[tokio::test]
async fn confirmation_mail_goes_over_smtp_and_its_link_works() {
    let (sink, smtp_port) = start_sink().await;
    let app = spawn_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{smtp_port}"))).await;
    assert_eq!(app.sign_up("grace@acme.test").await.status(), 202);

    let mut messages: Vec<Value> = Vec::new();
    for _ in 0..100 {
        messages = reqwest::get(format!("{}/messages?to=grace@acme.test", sink.http))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !messages.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(messages.len(), 1, "one mail arrived");
    assert_eq!(messages[0]["subject"], "Confirm your email address");
    let text = messages[0]["text"].as_str().unwrap();
    assert!(text.contains(&format!("{}/signup/confirm?token=", app.url)));
    let token = token_in(text, "/signup/confirm?token=");

    // With SMTP the outbox keeps the envelope, not the link.
    let outbox = app.mails_to("grace@acme.test").await;
    assert_eq!(outbox[0].status, "sent");
    assert!(outbox[0].body.is_none());

    let response = app
        .post("/api/signup/confirm", &json!({ "token": token }))
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_recorded_not_hidden() {
    let port = free_port();
    let app = spawn_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    // Sign-up still answers (the link can be sent again), and the failure is on record.
    assert_eq!(app.sign_up("grace@acme.test").await.status(), 202);
    let outbox = app.mails_to("grace@acme.test").await;
    assert_eq!(outbox[0].status, "failed");
    assert!(outbox[0].error.is_some());
}
