//! `portal-server db copy`: moves every row of a SQLite database (its portal
//! stopped first) into an empty PostgreSQL database, then checks the counts.
//! The target gets the current schema first and must be empty; the rows go
//! in one transaction, so a failed copy leaves it empty.
//!
//! Written per column, not per table type: each table is a list of columns
//! with their kind, read from SQLite's integers and blobs and bound as
//! PostgreSQL's own types (timestamptz, boolean, bytea).

use futures_util::TryStreamExt;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, Postgres, Row};

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::{DatabaseOptions, MaybeTimestamp, Timestamp};

/// How a column is stored.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    OptText,
    Int,
    OptInt,
    Time,
    OptTime,
    Bool,
    Bytes,
    OptBytes,
    /// Written as no holder, whatever the source says.
    Unheld,
    /// Written as held until no time.
    UnheldUntil,
}

use Kind::*;

/// Every table, parents before children, with its columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "organisations",
        &[
            ("id", Text),
            ("name", Text),
            ("status", Text),
            ("created_at", Time),
        ],
    ),
    (
        "users",
        &[
            ("id", Text),
            ("organisation_id", Text),
            ("email", Text),
            ("full_name", Text),
            ("password_hash", Text),
            ("pin_hash", Text),
            ("role", Text),
            ("status", Text),
            ("email_confirmed_at", OptTime),
            ("pin_failed_attempts", Int),
            ("pin_locked_until", OptTime),
            ("last_sign_in_at", OptTime),
            ("created_at", Time),
        ],
    ),
    (
        "sessions",
        &[
            ("id_hash", Bytes),
            ("user_id", Text),
            ("created_at", Time),
            ("last_seen_at", Time),
            ("expires_at", Time),
        ],
    ),
    (
        "email_confirmations",
        &[
            ("token_hash", Bytes),
            ("user_id", Text),
            ("created_at", Time),
            ("expires_at", Time),
            ("used_at", OptTime),
        ],
    ),
    (
        "outbox",
        &[
            ("id", Int),
            ("to_address", Text),
            ("subject", Text),
            ("body", OptText),
            ("transport", Text),
            ("status", Text),
            ("error", OptText),
            ("created_at", Time),
        ],
    ),
    (
        "invitations",
        &[
            ("id", Text),
            ("organisation_id", Text),
            ("email", Text),
            ("role", Text),
            ("token_hash", Bytes),
            ("invited_by", Text),
            ("created_at", Time),
            ("expires_at", Time),
            ("accepted_at", OptTime),
            ("accepted_user_id", OptText),
            ("revoked_at", OptTime),
        ],
    ),
    (
        "projects",
        &[
            ("id", Text),
            ("organisation_id", Text),
            ("name", Text),
            ("description", Text),
            ("environment", Text),
            ("created_at", Time),
        ],
    ),
    (
        "credentials",
        &[
            ("id", Text),
            ("organisation_id", Text),
            ("project_id", Text),
            ("description", Text),
            ("scopes", Text),
            ("created_by", OptText),
            ("created_at", Time),
            ("expires_at", OptTime),
            ("revoked_at", OptTime),
            ("last_token_at", OptTime),
            ("last_call_at", OptTime),
        ],
    ),
    (
        "credential_secrets",
        &[
            ("hash", Bytes),
            ("credential_id", Text),
            ("hint", Text),
            ("created_at", Time),
            ("expires_at", OptTime),
        ],
    ),
    (
        "webhooks",
        &[
            ("id", Text),
            ("organisation_id", Text),
            ("project_id", Text),
            ("url", Text),
            ("description", Text),
            ("event_types", Text),
            ("enabled", Bool),
            ("disabled_reason", OptText),
            ("secret", Bytes),
            ("previous_secret", OptBytes),
            ("previous_secret_until", OptTime),
            ("failing_since", OptTime),
            ("created_at", Time),
        ],
    ),
    (
        "events",
        &[
            ("id", Text),
            ("organisation_id", Text),
            ("project_id", OptText),
            ("type", Text),
            ("body", Text),
            ("created_at", Time),
        ],
    ),
    (
        "deliveries",
        &[
            ("id", Text),
            ("event_id", Text),
            ("webhook_id", Text),
            ("event_type", Text),
            ("status", Text),
            ("attempts", Int),
            ("next_attempt_at", OptTime),
            // A delivery held by the stopped portal is due again: not held.
            ("lease_owner", Unheld),
            ("leased_until", UnheldUntil),
            ("last_http_status", OptInt),
            ("last_latency_ms", OptInt),
            ("created_at", Time),
        ],
    ),
    (
        "delivery_attempts",
        &[
            ("delivery_id", Text),
            ("attempt", Int),
            ("started_at", Time),
            ("request_headers", Text),
            ("response_status", OptInt),
            ("response_excerpt", Text),
            ("latency_ms", Int),
            ("error", OptText),
        ],
    ),
];

/// Rows per INSERT: 13 columns at most, well under PostgreSQL's 65 535
/// parameters a statement.
const BATCH: usize = 1000;

/// What was copied: rows per table, in copy order.
pub struct Copied(pub Vec<(&'static str, i64)>);

/// Copies `from` (a SQLite URL, whose file must exist) into `to` (a
/// PostgreSQL URL of an empty database).
pub async fn copy(from: &str, to: &str) -> anyhow::Result<Copied> {
    anyhow::ensure!(
        from.starts_with("sqlite:"),
        "--from must be a sqlite:// URL, not {:?}",
        from.split(':').next().unwrap_or_default()
    );
    anyhow::ensure!(
        to.starts_with("postgres:") || to.starts_with("postgresql:"),
        "--to must be a postgres:// URL"
    );
    let file = from
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    anyhow::ensure!(
        std::path::Path::new(file).is_file(),
        "there is no SQLite database at {file}"
    );
    let options = DatabaseOptions::default();
    let source = SqliteStore::connect(from, &options).await?;
    let target = PgStore::connect(to, &options).await?;

    let mut tx = target.pool.begin().await?;
    for (table, _) in TABLES {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        anyhow::ensure!(
            rows == 0,
            "the target database is not empty ({table} has {rows} rows): db copy only fills an \
             empty database"
        );
    }
    // One read transaction: a consistent snapshot of the source.
    let mut read = source.pool.begin().await?;
    let mut copied = Vec::new();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let select = format!("SELECT {} FROM {table}", names.join(", "));
        let mut rows = sqlx::query(&select).fetch(&mut *read);
        let mut batch: Vec<SqliteRow> = Vec::with_capacity(BATCH);
        let mut written = 0_i64;
        while let Some(row) = rows.try_next().await? {
            batch.push(row);
            if batch.len() == BATCH {
                written += insert(&mut tx, table, columns, &batch).await?;
                batch.clear();
            }
        }
        written += insert(&mut tx, table, columns, &batch).await?;
        drop(rows);
        let source_rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *read)
            .await?;
        let target_rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        anyhow::ensure!(
            source_rows == written && target_rows == written,
            "{table}: {source_rows} rows in SQLite, {written} read, {target_rows} in PostgreSQL"
        );
        copied.push((*table, written));
    }
    // New mails continue the outbox's numbering.
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('outbox', 'id'), COALESCE(MAX(id), 1), \
         MAX(id) IS NOT NULL) FROM outbox",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    read.rollback().await?;
    Ok(Copied(copied))
}

/// Inserts `rows` into `table`; returns how many.
async fn insert(
    tx: &mut sqlx::PgConnection,
    table: &str,
    columns: &[(&str, Kind)],
    rows: &[SqliteRow],
) -> anyhow::Result<i64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
    let mut args = PgArguments::default();
    let mut n = 0;
    for (r, row) in rows.iter().enumerate() {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for (c, (name, kind)) in columns.iter().enumerate() {
            n += 1;
            sql.push_str(&format!("{}${n}", if c == 0 { "" } else { ", " }));
            bind(&mut args, row, name, *kind)
                .map_err(|e| anyhow::anyhow!("{table}.{name}: {e}"))?;
        }
        sql.push(')');
    }
    let done = sqlx::query_with::<Postgres, _>(&sql, args)
        .execute(tx)
        .await?;
    Ok(done.rows_affected() as i64)
}

/// Reads one column of a SQLite row and binds it as PostgreSQL stores it.
fn bind(
    args: &mut PgArguments,
    row: &SqliteRow,
    name: &str,
    kind: Kind,
) -> Result<(), sqlx::error::BoxDynError> {
    match kind {
        Text => args.add(row.try_get::<String, _>(name)?),
        OptText => args.add(row.try_get::<Option<String>, _>(name)?),
        Int => args.add(row.try_get::<i64, _>(name)?),
        OptInt => args.add(row.try_get::<Option<i64>, _>(name)?),
        Time => args.add(row.try_get::<Timestamp, _>(name)?),
        OptTime => args.add(row.try_get::<MaybeTimestamp, _>(name)?),
        Bool => args.add(row.try_get::<bool, _>(name)?),
        Bytes => args.add(row.try_get::<Vec<u8>, _>(name)?),
        OptBytes => args.add(row.try_get::<Option<Vec<u8>>, _>(name)?),
        Unheld => args.add(None::<String>),
        UnheldUntil => args.add(MaybeTimestamp(None)),
    }
}
