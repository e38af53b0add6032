//! The PostgreSQL store: for several instances on one database. Times are
//! `timestamptz`, bound and read through `Timestamp`; emails and project
//! names are unique whatever their case (`lower()` indexes); the delivery
//! queue is claimed with `FOR UPDATE SKIP LOCKED`, so any number of workers
//! take different rows.

mod queue;

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{Constraint, DatabaseOptions};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./src/store/postgres/migrations");

pub struct PgStore {
    pub(super) pool: PgPool,
}

impl PgStore {
    /// Connects (with the pool size and statement timeout of `options`;
    /// TLS as the URL's `sslmode` says) and applies the migrations.
    pub async fn connect(url: &str, options: &DatabaseOptions) -> anyhow::Result<Self> {
        let timeout_ms = options.statement_timeout.as_millis().max(1).to_string();
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| anyhow::anyhow!("PORTAL_DATABASE_URL is not a PostgreSQL URL: {e}"))?
            .options([("statement_timeout", timeout_ms.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(options.pool_size)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect)
            .await
            .map_err(|e| super::unreachable(url, e))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| super::migration_error(e, &MIGRATOR))?;
        Ok(Self { pool })
    }
}

/// PostgreSQL names a unique violation by its index.
pub(super) fn constraint(name: &str) -> Constraint {
    match name {
        "users_email" => Constraint::UserEmail,
        "projects_name_per_organisation" => Constraint::ProjectName,
        _ => Constraint::Other,
    }
}
