//! The SQLite store: one file, WAL, foreign keys on; the embedded default.
//! SQLite has one writer at a time, so a unit of work begins with `BEGIN
//! IMMEDIATE` (see `store::Tx`), taking the write lock first rather than
//! failing to upgrade a read lock half-way.

mod queue;

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{Constraint, DatabaseOptions};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./src/store/sqlite/migrations");

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    /// The delivery worker's own connections (see `queue.rs`).
    queue: queue::QueueConnections,
}

impl SqliteStore {
    /// Opens (creating when missing) the database, with WAL and foreign keys
    /// on, and applies the migrations.
    pub async fn connect(url: &str, options: &DatabaseOptions) -> anyhow::Result<Self> {
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let file = connect.get_filename().to_owned();
        if let Some(parent) = file.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                anyhow::anyhow!(
                    "could not make the folder of the SQLite database {}: {e}. Check \
                     PORTAL_DATABASE_URL, and that this user may write there.",
                    file.display()
                )
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(options.pool_size.clamp(1, 8))
            // A local file can't drop the connection the way a network database
            // can; the default ping before every use is a thread round trip that
            // costs the token endpoint about 5 µs and two context switches.
            .test_before_acquire(false)
            .connect_with(connect.clone())
            .await
            .map_err(|e| super::unreachable(url, e))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| super::migration_error(e, &MIGRATOR))?;
        Ok(Self {
            queue: queue::QueueConnections::new(connect),
            pool,
        })
    }
}

/// SQLite names a unique violation by its columns.
pub(super) fn constraint(message: &str) -> Constraint {
    if message.contains("users.email") {
        Constraint::UserEmail
    } else if message.contains("projects.organisation_id, projects.name") {
        Constraint::ProjectName
    } else {
        Constraint::Other
    }
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
        let store = super::SqliteStore::connect(
            &format!("sqlite://{}/schema.db", dir.path().display()),
            &crate::store::DatabaseOptions::default(),
        )
        .await
        .unwrap();
        let unindexed: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND NOT EXISTS ( \
               SELECT 1 FROM pragma_index_list(m.name) il, pragma_index_info(il.name) ii \
               WHERE ii.seqno = 0 AND ii.name = f.\"from\") \
             ORDER BY 1, 2",
        )
        .fetch_all(&store.pool)
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
