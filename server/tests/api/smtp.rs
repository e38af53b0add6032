//! Mail over SMTP, delivered to a real SMTP server process (the Node sink in
//! end2end/support, which the Playwright tests use too).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestDb, browser, sign_up_body, spawn_with, token_in};
use crate::real_server::Server;

struct Sink {
    child: Child,
    http: String,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Starts the sink on ports the OS picks, which it names in its first line.
async fn start_sink() -> (Sink, u16) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    assert!(
        std::path::Path::new(root)
            .join("node_modules/smtp-server")
            .exists(),
        "node_modules is missing: run `make test` (it runs `npm ci`) first"
    );
    let mut child = Command::new("node")
        .current_dir(root)
        .args(["end2end/support/mail-sink.mjs"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("node");
    let stdout = child.stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(10), first)
        .await
        .expect("the mail sink names its ports within 10 s")
        .unwrap()
        .unwrap();
    // "mail sink: smtp 127.0.0.1:PORT, http 127.0.0.1:PORT"
    let ports: Vec<u16> = line
        .split("127.0.0.1:")
        .skip(1)
        .map(|p| {
            p.trim_end_matches(|c: char| !c.is_ascii_digit())
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(ports.len(), 2, "{line}");
    let sink = Sink {
        child,
        http: format!("http://127.0.0.1:{}", ports[1]),
    };
    (sink, ports[0])
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
    let outbox = app.outbox_to("grace@acme.test").await;
    assert_eq!(outbox[0].status, "sent");
    assert!(outbox[0].body.is_none());

    let response = app
        .post("/api/signup/confirm", &json!({ "token": token }))
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_recorded_not_hidden() {
    // An SMTP server that hangs up on every connection.
    let hangs_up = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = hangs_up.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = hangs_up.accept().await {
            drop(stream);
        }
    });
    let app = spawn_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    // Sign-up still answers (the link can be sent again), and the failure is on record.
    assert_eq!(app.sign_up("grace@acme.test").await.status(), 202);
    let outbox = app.outbox_to("grace@acme.test").await;
    assert_eq!(outbox[0].status, "failed");
    assert!(outbox[0].error.is_some());
}

#[tokio::test]
async fn without_smtp_links_reach_the_log_only_in_development() {
    for print in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let setting = if print { "true" } else { "false" };
        let server = Server::start(dir.path(), &[("PORTAL_PRINT_MAIL", setting)]).await;
        let signed_up = browser(&server.url)
            .post(server.at("/api/signup"))
            .json(&sign_up_body("grace@acme.test"))
            .send()
            .await
            .unwrap();
        assert_eq!(signed_up.status(), 202);
        let mut log = server.log();
        for _ in 0..100 {
            if log.contains("mail not sent") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            log = server.log();
        }
        assert!(log.contains("mail not sent"), "{log}");
        assert_eq!(log.contains("/signup/confirm?token="), print, "{log}");
        let said = if print {
            "mail is printed to this log, links included (PORTAL_PRINT_MAIL), which is for development only"
        } else {
            "mail is not sent, so nobody can confirm an address or accept an invitation"
        };
        assert!(log.contains(said), "{log}");
        // The outbox notes the mail, never its link.
        let db = TestDb::connect(&server.database_url).await;
        let bodies: Vec<Option<String>> = sqlx::query_scalar("SELECT body FROM outbox")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(bodies, vec![None], "print {print}");
    }
}
