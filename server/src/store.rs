//! The storage: what the portal keeps, and the only place with SQL.
//!
//! Each aggregate's module (`users`, `projects`, …) holds its rows and its
//! statements, written once for both backends (`db`: PostgreSQL's `$1`
//! placeholders, which SQLite reads too; values bound as each backend stores
//! them). A statement runs on the pool (`&Store`) or in a unit of work
//! (`Tx`) that a use case in `services/` or `webhooks/` opens, passes to the
//! functions it calls, and commits: the rules live there, once; the store
//! only reads and writes. `sqlite/` and `postgres/` each open their
//! database, apply their migrations, name their constraints, and run the
//! delivery queue, where each backend is tuned on its own.

pub mod copy;
pub mod credentials;
mod db;
pub mod delivery_log;
pub mod endpoints;
pub mod events;
pub mod invitations;
pub mod organisations;
pub mod outbox;
pub mod projects;
pub mod queue;
pub mod retention;
pub mod sessions;
pub mod users;

mod postgres;
mod sqlite;
mod time;

use std::sync::Arc;
use std::time::Duration;

pub use self::db::{Arg, Bind, Conn, Db, Dialect, Exec, Row, Scalar, Sql, Tx, sql};
pub use self::time::{MaybeTimestamp, Timestamp};

/// What a unique index refused, whatever the backend calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// An account has this email address.
    UserEmail,
    /// The organisation has a project of this name (in any case).
    ProjectName,
    /// Another unique index: a bug or a race the caller didn't expect.
    Other,
}

/// A storage failure.
#[derive(Debug)]
pub enum StoreError {
    /// A unique violation, named in the store's own words.
    Conflict(Constraint),
    /// Anything else the database said.
    Database(sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Conflict(c) => write!(f, "unique constraint {c:?}"),
            Self::Database(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Conflict(_) => None,
            Self::Database(e) => Some(e),
        }
    }
}

/// Both backends call a database error this; each names its constraints
/// in `conflict` below.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e)
    }
}

/// Turns a unique violation into `Conflict`, naming it by the index (or,
/// in SQLite, the columns) the backend reports.
pub(crate) fn conflict(e: sqlx::Error, name: impl Fn(&str) -> Constraint) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let what = d
                .constraint()
                .map_or_else(|| d.message().to_owned(), str::to_owned);
            StoreError::Conflict(name(&what))
        }
        _ => StoreError::Database(e),
    }
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Connections kept open at most.
    pub pool_size: u32,
    /// PostgreSQL cancels a statement that runs longer.
    pub statement_timeout: Duration,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// The store every part of the server shares: the database, and the
/// delivery queue in it.
#[derive(Clone)]
pub struct Store {
    db: Db,
    queue: Arc<dyn queue::Queue>,
}

impl Store {
    /// Opens the database `url` names (`sqlite://…` or `postgres://…`),
    /// creating a SQLite file when missing, and brings its schema up to
    /// date. Fails with a sentence that says what to do when the database
    /// can't be reached or its schema is newer than this binary.
    pub async fn connect(url: &str, options: &DatabaseOptions) -> anyhow::Result<Self> {
        Ok(match url.split_once(':').map(|(scheme, _)| scheme) {
            Some("sqlite") => {
                let store = sqlite::SqliteStore::connect(url, options).await?;
                Self {
                    db: Db::Sqlite(store.pool.clone()),
                    queue: Arc::new(store),
                }
            }
            Some("postgres" | "postgresql") => {
                let store = postgres::PgStore::connect(url, options).await?;
                Self {
                    db: Db::Postgres(store.pool.clone()),
                    queue: Arc::new(store),
                }
            }
            _ => anyhow::bail!(
                "PORTAL_DATABASE_URL must start with sqlite:// or postgres://, not {:?}",
                url.split(':').next().unwrap_or_default()
            ),
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// Begins a unit of work (see `Tx`).
    pub async fn begin(&self) -> StoreResult<Tx> {
        self.db.begin().await
    }

    /// The delivery queue the worker takes its work from.
    pub fn queue(&self) -> &dyn queue::Queue {
        self.queue.as_ref()
    }

    /// One round trip: is the database there?
    pub async fn ping(&self) -> StoreResult<()> {
        sql("SELECT 1").execute(self).await?;
        Ok(())
    }

    /// The connection pool now, for the metrics.
    pub fn pool(&self) -> PoolUsage {
        match &self.db {
            Db::Sqlite(pool) => PoolUsage {
                size: pool.size(),
                idle: pool.num_idle(),
                max: pool.options().get_max_connections(),
            },
            Db::Postgres(pool) => PoolUsage {
                size: pool.size(),
                idle: pool.num_idle(),
                max: pool.options().get_max_connections(),
            },
        }
    }
}

impl<'c> Exec<'c> for &'c Store {
    fn conn(self) -> Conn<'c> {
        (&self.db).conn()
    }
}

/// Connections a pool holds.
#[derive(Debug, Clone, Copy)]
pub struct PoolUsage {
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

/// The newest migration a migrator knows.
fn latest(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Explains a failed migration run: the one failure an operator can fix
/// without reading code is a database that a newer portal-server migrated.
pub(crate) fn migration_error(
    e: sqlx::migrate::MigrateError,
    migrator: &sqlx::migrate::Migrator,
) -> anyhow::Error {
    let known = latest(migrator);
    match e {
        sqlx::migrate::MigrateError::VersionMissing(version) => anyhow::anyhow!(
            "the database's schema is newer than this portal-server: it has migration {version}, \
             and this binary knows migrations up to {known}. Run the newer portal-server (or \
             restore a backup made before the upgrade)."
        ),
        other => anyhow::anyhow!("could not bring the database's schema up to date: {other}"),
    }
}

/// Explains a failed connection in a sentence, without the password.
pub(crate) fn unreachable(url: &str, e: sqlx::Error) -> anyhow::Error {
    let shown = match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "the database".to_owned(),
    };
    anyhow::anyhow!(
        "could not reach {shown}: {e}. Check PORTAL_DATABASE_URL, that the database server runs, \
         and that it lets this host in."
    )
}
