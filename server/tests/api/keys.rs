//! Token signing keys shared through a key set file: `portal-server keys
//! rotate` adds a key that signs from then on while tokens of the old one
//! keep verifying, and `keys retire` ends the old one; the running server
//! sees each change within seconds, without a restart.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{TestApp, oauth_error, spawn_with};

fn keys(file: &std::path::Path, action: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .args(["keys", action, "--file"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The `kid`s the server publishes, once they number `n`.
async fn published(app: &TestApp, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let jwks: Value = app
            .get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .unwrap();
        let kids: Vec<String> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        if kids.len() == n {
            return kids;
        }
        assert!(Instant::now() < deadline, "still {kids:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kid_of(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn rotated_keys_sign_new_tokens_and_old_ones_verify_until_retired() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token-keys");
    portal_server::tokens::KeySet::generate()
        .write(&file)
        .unwrap();
    let configured = file.clone();
    let app = spawn_with(move |c| c.token_keys_file = Some(configured)).await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let credential = app.credential(&project, &["read"]).await;
    let old = app
        .access_token(&credential.client_id, &credential.client_secret)
        .await;
    let first = published(&app, 1).await;
    assert_eq!(kid_of(&old), first[0]);

    let said = keys(&file, "rotate");
    assert!(said.contains("(signs)"), "{said}");
    let both = published(&app, 2).await;
    assert_eq!(
        both[1], first[0],
        "the old key is still published, after the new one"
    );
    let new = app
        .access_token(&credential.client_id, &credential.client_secret)
        .await;
    assert_eq!(kid_of(&new), both[0], "the new key signs");
    for token in [&old, &new] {
        assert_eq!(app.whoami(token).await.status(), 200);
    }

    keys(&file, "retire");
    let last = published(&app, 1).await;
    assert_eq!(last, [both[0].clone()]);
    let refused = oauth_error(app.whoami(&old).await, 401, "invalid_token").await;
    assert_eq!(
        refused["error_description"],
        "The access token was not signed by this portal."
    );
    assert_eq!(app.whoami(&new).await.status(), 200);
    let listed = keys(&file, "list");
    assert!(
        listed.contains(&format!("{}  (signs)", both[0])),
        "{listed}"
    );
    assert!(!listed.contains(&first[0]), "{listed}");
}
