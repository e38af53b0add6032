//! All SQL lives here (and in `db/`), so a second database can be added later
//! behind the same functions. Rows are plain structs; ids and enums are parsed
//! into contract types at the edge.

pub mod confirmations;
pub mod credentials;
pub mod invitations;
pub mod notices;
pub mod organisations;
pub mod outbox;
pub mod projects;
pub mod sessions;
pub mod users;
pub mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub type Db = SqlitePool;

/// Opens (creating when missing) the database, with WAL and foreign keys on,
/// and applies the migrations.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    if let Some(parent) = options.get_filename().parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // A local file can't drop the connection the way a network database
        // can; the default ping before every use is a thread round trip that
        // costs the token endpoint about 5 µs and two context switches.
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    /// Foreign keys whose child rows SQLite may look up without an index,
    /// because their parent rows are only ever deleted one at a time: one
    /// scan per delete, not one per cascaded row.
    const ONE_PARENT_AT_A_TIME: &[(&str, &str)] = &[
        // Users are deleted only as unconfirmed sign-ups, one by one.
        ("credentials", "created_by"),
        ("invitations", "accepted_user_id"),
        ("invitations", "invited_by"),
        // Projects are deleted one by one; organisations only as an
        // unconfirmed sign-up's, which have no projects yet.
        ("events", "project_id"),
        ("events", "organisation_id"),
    ];

    /// A cascade that deletes many parent rows looks up each one's children;
    /// without an index on the child column each lookup scans the table, and
    /// the delete grows with the square of the rows (see migration 0007).
    #[tokio::test]
    async fn every_foreign_key_is_indexed_or_its_parents_go_one_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let db = super::connect(&format!("sqlite://{}/schema.db", dir.path().display()))
            .await
            .unwrap();
        let unindexed: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND NOT EXISTS ( \
               SELECT 1 FROM pragma_index_list(m.name) il, pragma_index_info(il.name) ii \
               WHERE ii.seqno = 0 AND ii.name = f.\"from\") \
             ORDER BY 1, 2",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        let unexpected: Vec<_> = unindexed
            .iter()
            .filter(|(table, column)| {
                !ONE_PARENT_AT_A_TIME.contains(&(table.as_str(), column.as_str()))
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "foreign keys without an index: {unexpected:?}"
        );
        assert_eq!(
            unindexed.len(),
            ONE_PARENT_AT_A_TIME.len(),
            "an allowed foreign key is gone or indexed now: shorten the list; {unindexed:?}"
        );
    }
}
