//! The storage interface: one trait per aggregate, typed ids in and out,
//! with two implementations, each with its own migrations: `sqlite/` (one
//! machine, the embedded default) and `postgres/` (several instances). The
//! only place with SQL: a table's queries are in `sqlite/<aggregate>.rs`
//! and `postgres/<aggregate>.rs`, next to the trait they implement.
//!
//! Writes that cause an event take it along (`events::NewEvent`) and write
//! it, with its deliveries, in their own transaction: an event exists
//! exactly when the change that caused it does.

pub mod copy;
pub mod credentials;
pub mod delivery_log;
pub mod events;
pub mod invitations;
pub mod organisations;
pub mod outbox;
pub mod projects;
pub mod queue;
pub mod retention;
pub mod sessions;
pub mod users;
pub mod webhooks;

mod postgres;
mod sqlite;
mod time;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

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

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// Everything the storage does, one aggregate at a time.
pub trait Backend: Send + Sync + 'static {
    fn kind(&self) -> Kind;
    fn organisations(&self) -> &dyn organisations::Organisations;
    fn users(&self) -> &dyn users::Users;
    fn confirmations(&self) -> &dyn users::Confirmations;
    fn sessions(&self) -> &dyn sessions::Sessions;
    fn invitations(&self) -> &dyn invitations::Invitations;
    fn projects(&self) -> &dyn projects::Projects;
    fn credentials(&self) -> &dyn credentials::Credentials;
    fn webhooks(&self) -> &dyn webhooks::Webhooks;
    fn events(&self) -> &dyn events::Events;
    fn queue(&self) -> &dyn queue::Queue;
    fn delivery_log(&self) -> &dyn delivery_log::DeliveryLog;
    fn outbox(&self) -> &dyn outbox::Outbox;
    fn retention(&self) -> &dyn retention::Retention;
    fn health(&self) -> &dyn Health;
}

/// `Backend` for a store type that implements every aggregate's trait.
macro_rules! backend {
    ($store:ty, $kind:expr) => {
        impl $crate::store::Backend for $store {
            fn kind(&self) -> $crate::store::Kind {
                $kind
            }
            fn organisations(&self) -> &dyn $crate::store::organisations::Organisations {
                self
            }
            fn users(&self) -> &dyn $crate::store::users::Users {
                self
            }
            fn confirmations(&self) -> &dyn $crate::store::users::Confirmations {
                self
            }
            fn sessions(&self) -> &dyn $crate::store::sessions::Sessions {
                self
            }
            fn invitations(&self) -> &dyn $crate::store::invitations::Invitations {
                self
            }
            fn projects(&self) -> &dyn $crate::store::projects::Projects {
                self
            }
            fn credentials(&self) -> &dyn $crate::store::credentials::Credentials {
                self
            }
            fn webhooks(&self) -> &dyn $crate::store::webhooks::Webhooks {
                self
            }
            fn events(&self) -> &dyn $crate::store::events::Events {
                self
            }
            fn queue(&self) -> &dyn $crate::store::queue::Queue {
                self
            }
            fn delivery_log(&self) -> &dyn $crate::store::delivery_log::DeliveryLog {
                self
            }
            fn outbox(&self) -> &dyn $crate::store::outbox::Outbox {
                self
            }
            fn retention(&self) -> &dyn $crate::store::retention::Retention {
                self
            }
            fn health(&self) -> &dyn $crate::store::Health {
                self
            }
        }
    };
}
use backend;

/// Is the database there?
#[async_trait::async_trait]
pub trait Health: Send + Sync {
    /// One round trip.
    async fn ping(&self) -> StoreResult<()>;

    /// The connection pool now, for the metrics.
    fn pool(&self) -> PoolUsage;
}

/// Connections a pool holds.
#[derive(Debug, Clone, Copy)]
pub struct PoolUsage {
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

/// The store every part of the server shares.
#[derive(Clone)]
pub struct Store(Arc<dyn Backend>);

impl Deref for Store {
    type Target = dyn Backend;

    fn deref(&self) -> &(dyn Backend + 'static) {
        self.0.as_ref()
    }
}

impl Store {
    /// Opens the database `url` names (`sqlite://…` or `postgres://…`),
    /// creating a SQLite file when missing, and brings its schema up to
    /// date. Fails with a sentence that says what to do when the database
    /// can't be reached or its schema is newer than this binary.
    pub async fn connect(url: &str, options: &DatabaseOptions) -> anyhow::Result<Self> {
        let backend: Arc<dyn Backend> = match url.split_once(':').map(|(scheme, _)| scheme) {
            Some("sqlite") => Arc::new(sqlite::SqliteStore::connect(url, options).await?),
            Some("postgres" | "postgresql") => {
                Arc::new(postgres::PgStore::connect(url, options).await?)
            }
            _ => anyhow::bail!(
                "PORTAL_DATABASE_URL must start with sqlite:// or postgres://, not {:?}",
                url.split(':').next().unwrap_or_default()
            ),
        };
        Ok(Self(backend))
    }
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
