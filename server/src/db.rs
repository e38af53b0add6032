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
