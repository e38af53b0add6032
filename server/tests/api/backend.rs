//! The suite runs on the backend it was asked for: SQLite by default,
//! PostgreSQL under `scripts/with-postgres.sh`. Without this check a broken
//! harness would run the SQLite suite twice and call it PostgreSQL.

use portal_server::store::Dialect;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_server_and_the_test_read_the_same_database_of_the_asked_kind() {
    let app = spawn_app().await;
    let postgres = std::env::var("PORTAL_TEST_POSTGRES").is_ok();
    let expected = if postgres {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    };
    assert_eq!(app.state.store.dialect(), expected);
    assert_eq!(app.db.postgres, postgres);
    app.confirmed_user("ada@acme.test").await;
    // What the server wrote through the API, the test reads directly.
    assert_eq!(app.count("users WHERE email = 'ada@acme.test'").await, 1);
    let version: String = sqlx::query_scalar(if postgres {
        "SELECT version()"
    } else {
        "SELECT 'SQLite ' || sqlite_version()"
    })
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(
        version.starts_with(if postgres { "PostgreSQL 1" } else { "SQLite 3" }),
        "{version}"
    );
}
