//! `portal-server db copy`: moves every row of a SQLite database (its portal
//! stopped first) into an empty PostgreSQL database, then checks the counts.
//! The target gets the current schema first and must be empty; the rows go
//! in one transaction, so a failed copy leaves it empty.
//!
//! No list of tables to keep up: the tables, their columns and their order
//! (parents before children) are read from the target's schema, which its
//! migrations made, and each column is bound as PostgreSQL stores it
//! (timestamptz, boolean, bytea) from what SQLite holds. A table or column
//! the source lacks fails the copy before anything is written; `schema`
//! lets a test hold the two backends' migrations to the same tables.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, PgConnection, Postgres, Row, SqliteConnection};

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::{DatabaseOptions, MaybeTimestamp, Timestamp};

/// Columns whose values are not copied, and why.
const NOT_COPIED: &[(&str, &str)] = &[
    // A delivery held by the stopped portal is due again: nobody holds it.
    ("deliveries", "lease_owner"),
    ("deliveries", "leased_until"),
    // Mail bodies hold single-use links; old portals kept some.
    ("outbox", "body"),
];

/// How a column is stored in PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Time,
    Bool,
    Bytes,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    nullable: bool,
    copied: bool,
}

/// Each table of a database and its columns, sorted by name.
pub type Schema = BTreeMap<String, BTreeSet<String>>;

/// Rows per INSERT, well under PostgreSQL's 65 535 parameters a statement.
const BATCH: usize = 1000;

/// What was copied: rows per table, in copy order.
pub struct Copied(pub Vec<(String, i64)>);

/// The tables of the SQLite database `url` and their columns.
pub async fn sqlite_schema(url: &str) -> anyhow::Result<Schema> {
    let store = SqliteStore::connect(url, &DatabaseOptions::default()).await?;
    let mut conn = store.pool.acquire().await?;
    sqlite_columns(&mut conn).await
}

/// The tables of the PostgreSQL database `url` and their columns.
pub async fn postgres_schema(url: &str) -> anyhow::Result<Schema> {
    let store = PgStore::connect(url, &DatabaseOptions::default()).await?;
    let mut conn = store.pool.acquire().await?;
    let tables = postgres_tables(&mut conn).await?;
    Ok(tables
        .into_iter()
        .map(|(table, columns)| (table, columns.into_iter().map(|c| c.name).collect()))
        .collect())
}

async fn sqlite_columns(conn: &mut SqliteConnection) -> anyhow::Result<Schema> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(conn)
    .await?;
    let mut schema = Schema::new();
    for (table, column) in rows {
        schema.entry(table).or_default().insert(column);
    }
    Ok(schema)
}

/// The target's tables, parents before children, with their columns.
async fn postgres_tables(conn: &mut PgConnection) -> anyhow::Result<Vec<(String, Vec<Column>)>> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (table, name, data_type, nullable) in rows {
        let kind = match data_type.as_str() {
            "text" => Kind::Text,
            "bigint" | "integer" | "smallint" => Kind::Int,
            "timestamp with time zone" => Kind::Time,
            "boolean" => Kind::Bool,
            "bytea" => Kind::Bytes,
            other => anyhow::bail!("{table}.{name} is of a type db copy doesn't know: {other}"),
        };
        let copied = !NOT_COPIED.contains(&(table.as_str(), name.as_str()));
        tables.entry(table).or_default().push(Column {
            name,
            kind,
            nullable: nullable == "YES",
            copied,
        });
    }
    // Which tables each table refers to.
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint \
         WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut ordered = Vec::with_capacity(tables.len());
    while !tables.is_empty() {
        // The tables whose parents are all placed (a table may refer to itself).
        let ready: Vec<String> = tables
            .keys()
            .filter(|t| {
                !references.iter().any(|(child, parent)| {
                    child == *t && parent != *t && tables.contains_key(parent)
                })
            })
            .cloned()
            .collect();
        anyhow::ensure!(!ready.is_empty(), "the tables' foreign keys form a cycle");
        for table in ready {
            let columns = tables.remove(&table).expect("listed");
            ordered.push((table, columns));
        }
    }
    Ok(ordered)
}

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
    let tables = postgres_tables(&mut tx).await?;
    // One read transaction: a consistent snapshot of the source.
    let mut read = source.pool.begin().await?;
    let source_schema = sqlite_columns(&mut read).await?;
    for (table, columns) in &tables {
        let Some(source_columns) = source_schema.get(table) else {
            anyhow::bail!("the SQLite database has no table {table}: is it this portal's?");
        };
        if let Some(c) = columns.iter().find(|c| !source_columns.contains(&c.name)) {
            anyhow::bail!("the SQLite database has no column {table}.{}", c.name);
        }
    }
    // Locked first, so nothing can write between the check and the copy.
    let names: Vec<&str> = tables.iter().map(|(t, _)| t.as_str()).collect();
    sqlx::query(&format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        names.join(", ")
    ))
    .execute(&mut *tx)
    .await?;
    for (table, _) in &tables {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        anyhow::ensure!(
            rows == 0,
            "the target database is not empty ({table} has {rows} rows): db copy only fills an \
             empty database"
        );
    }
    let mut copied = Vec::new();
    for (table, columns) in &tables {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
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
        copied.push((table.clone(), written));
    }
    // Identity columns (the outbox's ids) continue their numbering.
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (table, column) in identities {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
             COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {table}"
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    read.rollback().await?;
    Ok(Copied(copied))
}

/// Inserts `rows` into `table`; returns how many.
async fn insert(
    tx: &mut PgConnection,
    table: &str,
    columns: &[Column],
    rows: &[SqliteRow],
) -> anyhow::Result<i64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
    let mut args = PgArguments::default();
    let mut n = 0;
    for (r, row) in rows.iter().enumerate() {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for (c, column) in columns.iter().enumerate() {
            n += 1;
            sql.push_str(&format!("{}${n}", if c == 0 { "" } else { ", " }));
            bind(&mut args, row, column)
                .map_err(|e| anyhow::anyhow!("{table}.{}: {e}", column.name))?;
        }
        sql.push(')');
    }
    let done = sqlx::query_with::<Postgres, _>(&sql, args)
        .execute(tx)
        .await?;
    Ok(done.rows_affected() as i64)
}

/// Reads one column of a SQLite row and binds it as PostgreSQL stores it
/// (NULL for a column not copied).
fn bind(
    args: &mut PgArguments,
    row: &SqliteRow,
    column: &Column,
) -> Result<(), sqlx::error::BoxDynError> {
    if !column.copied && !column.nullable {
        return Err("a column not copied must be nullable".into());
    }
    fn read<'r, T>(row: &'r SqliteRow, column: &Column) -> Result<Option<T>, sqlx::Error>
    where
        T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        if column.copied {
            row.try_get::<Option<T>, _>(column.name.as_str())
        } else {
            Ok(None)
        }
    }
    match column.kind {
        Kind::Text => args.add(read::<String>(row, column)?),
        Kind::Int => args.add(read::<i64>(row, column)?),
        Kind::Time => args.add(MaybeTimestamp(read::<Timestamp>(row, column)?.map(|t| t.0))),
        Kind::Bool => args.add(read::<bool>(row, column)?),
        Kind::Bytes => args.add(read::<Vec<u8>>(row, column)?),
    }
}
