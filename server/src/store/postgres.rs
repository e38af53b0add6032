//! The PostgreSQL store: for several instances on one database. Times are
//! `timestamptz`, bound and read through `Timestamp`; emails and project
//! names are unique whatever their case (`lower()` indexes); the delivery
//! queue is claimed with `FOR UPDATE SKIP LOCKED`, so any number of workers
//! take different rows.

mod credentials;
mod delivery_log;
mod events;
mod invitations;
mod organisations;
mod outbox;
mod projects;
mod queue;
mod retention;
mod sessions;
mod users;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};

use super::{Constraint, DatabaseOptions, Health, StoreError, StoreResult};

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
fn constraint(name: &str) -> Constraint {
    match name {
        "users_email" => Constraint::UserEmail,
        "projects_name_per_organisation" => Constraint::ProjectName,
        _ => Constraint::Other,
    }
}

fn conflict(e: sqlx::Error) -> StoreError {
    super::conflict(e, constraint)
}

super::backend!(PgStore, super::Kind::Postgres);

#[async_trait]
impl Health for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn pool(&self) -> super::PoolUsage {
        super::PoolUsage {
            size: self.pool.size(),
            idle: self.pool.num_idle(),
            max: self.pool.options().get_max_connections(),
        }
    }
}

/// Removes an account whose address was never confirmed, with its
/// organisation when it was the only member (sign-up and accepting an
/// invitation replace it).
async fn delete_unconfirmed(conn: &mut PgConnection, email: &str) -> sqlx::Result<()> {
    let org: Option<String> = sqlx::query_scalar(
        "DELETE FROM users WHERE lower(email) = lower($1) AND email_confirmed_at IS NULL \
         RETURNING organisation_id",
    )
    .bind(email)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(org) = org {
        sqlx::query(
            "DELETE FROM organisations WHERE id = $1 \
             AND NOT EXISTS (SELECT 1 FROM users WHERE organisation_id = organisations.id)",
        )
        .bind(org)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
