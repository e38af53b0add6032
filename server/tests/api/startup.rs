//! A server that can't use its database says why in a sentence and stops:
//! a database it can't reach, or one whose schema a newer portal-server
//! migrated. Run as the real binary, on the suite's backend.

use std::process::Command;

use portal_server::store::{DatabaseOptions, Store};

use crate::helpers::{TestDb, fresh_database};

/// Starts the real binary on `database_url`; it must exit. Returns what it printed.
fn failed_start(dir: &std::path::Path, database_url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .env("PORTAL_DATABASE_URL", database_url)
        .env("PORTAL_ADDR", "127.0.0.1:0")
        .env("PORTAL_DATA_DIR", dir)
        .env("PORTAL_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success(), "it must not start");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn a_database_it_cannot_reach_stops_the_start_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let url = if std::env::var("PORTAL_TEST_POSTGRES").is_ok() {
        // A socket folder where no server listens; the password must not be shown.
        "postgres://portal:hunter2secret@localhost/portal?host=/nonexistent/socket&port=5432"
            .to_owned()
    } else {
        // A folder that is a file: the database file can't be made there.
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        format!("sqlite://{}/portal.db", file.display())
    };
    let said = failed_start(dir.path(), &url);
    assert!(
        said.contains("PORTAL_DATABASE_URL") || said.contains("database"),
        "{said}"
    );
    if url.starts_with("postgres") {
        assert!(said.contains("could not reach"), "{said}");
        assert!(
            !said.contains("hunter2secret"),
            "the password is not printed: {said}"
        );
    }
}

#[tokio::test]
async fn a_schema_newer_than_the_binary_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(dir.path()).await;
    // Migrated by this binary, then by a newer one.
    Store::connect(&url, &DatabaseOptions::default())
        .await
        .unwrap();
    let db = TestDb::connect(&url).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101, 'from a newer portal-server', TRUE, $1, 0)",
    )
    .bind(vec![0_u8; 48])
    .execute(&db.pool)
    .await
    .unwrap();
    db.pool.close().await;
    let said = failed_start(dir.path(), &url);
    assert!(
        said.contains("newer than this portal-server") && said.contains("99990101"),
        "{said}"
    );
}

#[tokio::test]
async fn instances_on_postgres_must_be_given_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(dir.path()).await;
    if url.starts_with("postgres") {
        // No key configured: several instances would each make their own.
        let said = failed_start(dir.path(), &url);
        assert!(
            said.contains("PORTAL_TOKEN_KEYS_FILE") && said.contains("PORTAL_WEBHOOK_KEY_FILE"),
            "{said}"
        );
        assert!(
            !dir.path().join("token-signing.key").exists(),
            "no key was made"
        );
    } else {
        // One machine on SQLite keeps its keys in the data folder.
        let server = crate::real_server::Server::start_on(dir.path(), url, &[]).await;
        drop(server);
        for key in ["token-signing.key", "webhook-secrets.key"] {
            assert!(
                dir.path().join(key).exists(),
                "{key} made in the data folder"
            );
        }
    }
}

#[test]
fn help_never_prints_a_password_from_the_environment() {
    let out = Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .arg("--help")
        .env(
            "PORTAL_SMTP_URL",
            "smtp://mail:smtp-password-1@mail.example.com:587",
        )
        .env(
            "PORTAL_DATABASE_URL",
            "postgres://portal:db-password-2@db/portal",
        )
        .env(
            "PORTAL_REDIS_URL",
            "redis://:redis-password-3@127.0.0.1:6379",
        )
        .env("PORTAL_WEBHOOK_KEY", "webhook-key-4")
        .env("PORTAL_TOKEN_KEYS", "token-key-5")
        .env("PORTAL_PUBLIC_URL", "https://portal.example.com")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for secret in [
        "smtp-password-1",
        "db-password-2",
        "redis-password-3",
        "webhook-key-4",
        "token-key-5",
    ] {
        assert!(!help.contains(secret), "{secret} in --help:\n{help}");
    }
    // Values that are not secret still show where they come from.
    assert!(help.contains("https://portal.example.com"), "{help}");
}
