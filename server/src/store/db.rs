//! One SQL text for both backends. A statement is written once, with
//! PostgreSQL's `$1` placeholders (which SQLite reads too), its values bound
//! as [`Arg`]s, and run on whichever database the store opened: the pool
//! ([`Db`]), or a unit of work ([`Tx`]) that a service opens, passes to the
//! store's functions, and commits. Values of the store's own types bind as
//! each backend stores them (a [`Timestamp`] is an INTEGER in SQLite and a
//! `timestamptz` in PostgreSQL), and rows read back through `sqlx::FromRow`
//! for either. A unique violation comes back as one `Conflict`, named in the
//! store's own words whichever backend refused it.
//!
//! Not sea-query: measured on this store, the statements it would build are
//! the ones written here, with a builder's code in between (see the README),
//! and the few that differ by dialect (`ILIKE`, arrays, locks) are clearer
//! as two short texts side by side ([`Dialect`]) than as builder calls.

use std::borrow::Cow;

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool};

use super::{MaybeTimestamp, StoreError, StoreResult, Timestamp};

/// The database a store opened: a pool of connections to it.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which SQL a backend speaks, where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// `sqlite` on SQLite, `postgres` on PostgreSQL.
    pub fn pick<T>(self, sqlite: T, postgres: T) -> T {
        match self {
            Self::Sqlite => sqlite,
            Self::Postgres => postgres,
        }
    }
}

impl Db {
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Begins a unit of work. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): one writer at a time, so a rule checked inside
    /// holds until the commit, and a read never has to be upgraded half-way.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self {
            Self::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

/// A unit of work: the statements run through it commit together, or not at
/// all (dropped without `commit`, it rolls back). On PostgreSQL, a rule that
/// reads before it writes takes the row locks it needs (`FOR UPDATE`, see
/// [`Sql::locking`]); on SQLite the transaction holds the write lock.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Self::Sqlite(tx) => tx.commit().await?,
            Self::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// Where a statement runs: the pool (each statement on its own) or one
/// connection (a unit of work, or a connection of the backend's own).
pub enum Conn<'c> {
    SqlitePool(&'c SqlitePool),
    PostgresPool(&'c PgPool),
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::SqlitePool(_) | Self::Sqlite(_) => Dialect::Sqlite,
            Self::PostgresPool(_) | Self::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// What the store's functions run their statements on: `&Store` (the
/// pool), `&mut Tx` (a unit of work), or a `&mut Conn` they were given.
pub trait Exec<'c> {
    fn conn(self) -> Conn<'c>;
}

impl<'c> Exec<'c> for Conn<'c> {
    fn conn(self) -> Conn<'c> {
        self
    }
}

impl<'c> Exec<'c> for &'c Db {
    fn conn(self) -> Conn<'c> {
        match self {
            Db::Sqlite(pool) => Conn::SqlitePool(pool),
            Db::Postgres(pool) => Conn::PostgresPool(pool),
        }
    }
}

impl<'c> Exec<'c> for &'c mut Tx {
    fn conn(self) -> Conn<'c> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }
}

impl<'c> Exec<'c> for &'c mut SqliteConnection {
    fn conn(self) -> Conn<'c> {
        Conn::Sqlite(self)
    }
}

impl<'c> Exec<'c> for &'c mut PgConnection {
    fn conn(self) -> Conn<'c> {
        Conn::Postgres(self)
    }
}

impl<'c, 'd: 'c> Exec<'c> for &'c mut Conn<'d> {
    fn conn(self) -> Conn<'c> {
        match self {
            Conn::SqlitePool(pool) => Conn::SqlitePool(pool),
            Conn::PostgresPool(pool) => Conn::PostgresPool(pool),
            Conn::Sqlite(conn) => Conn::Sqlite(conn),
            Conn::Postgres(conn) => Conn::Postgres(conn),
        }
    }
}

/// A value bound to a statement, typed as both backends store it.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    Int(Option<i64>),
    Float(f64),
    Bool(bool),
    Text(Option<Cow<'a, str>>),
    Bytes(Option<&'a [u8]>),
    /// Unix seconds: INTEGER in SQLite, `timestamptz` in PostgreSQL.
    Time(Option<i64>),
    /// A list of texts: a JSON array in SQLite (`json_each`), `text[]` in
    /// PostgreSQL (`ANY`); see [`Dialect`] for the SQL around it.
    Texts(Vec<&'a str>),
}

/// A value that binds as an [`Arg`].
pub trait Bind<'a> {
    fn arg(self) -> Arg<'a>;
}

impl<'a> Bind<'a> for Arg<'a> {
    fn arg(self) -> Arg<'a> {
        self
    }
}

impl<'a> Bind<'a> for i64 {
    fn arg(self) -> Arg<'a> {
        Arg::Int(Some(self))
    }
}

impl<'a> Bind<'a> for Option<i64> {
    fn arg(self) -> Arg<'a> {
        Arg::Int(self)
    }
}

impl<'a> Bind<'a> for f64 {
    fn arg(self) -> Arg<'a> {
        Arg::Float(self)
    }
}

impl<'a> Bind<'a> for bool {
    fn arg(self) -> Arg<'a> {
        Arg::Bool(self)
    }
}

impl<'a> Bind<'a> for &'a str {
    fn arg(self) -> Arg<'a> {
        Arg::Text(Some(Cow::Borrowed(self)))
    }
}

impl<'a> Bind<'a> for &'a String {
    fn arg(self) -> Arg<'a> {
        Arg::Text(Some(Cow::Borrowed(self)))
    }
}

impl<'a> Bind<'a> for String {
    fn arg(self) -> Arg<'a> {
        Arg::Text(Some(Cow::Owned(self)))
    }
}

impl<'a> Bind<'a> for Option<&'a str> {
    fn arg(self) -> Arg<'a> {
        Arg::Text(self.map(Cow::Borrowed))
    }
}

impl<'a> Bind<'a> for Option<&'a String> {
    fn arg(self) -> Arg<'a> {
        Arg::Text(self.map(|s| Cow::Borrowed(s.as_str())))
    }
}

impl<'a> Bind<'a> for Option<String> {
    fn arg(self) -> Arg<'a> {
        Arg::Text(self.map(Cow::Owned))
    }
}

impl<'a> Bind<'a> for &'a [u8] {
    fn arg(self) -> Arg<'a> {
        Arg::Bytes(Some(self))
    }
}

impl<'a> Bind<'a> for Option<&'a [u8]> {
    fn arg(self) -> Arg<'a> {
        Arg::Bytes(self)
    }
}

impl<'a> Bind<'a> for &'a Vec<u8> {
    fn arg(self) -> Arg<'a> {
        Arg::Bytes(Some(self))
    }
}

impl<'a> Bind<'a> for Option<&'a Vec<u8>> {
    fn arg(self) -> Arg<'a> {
        Arg::Bytes(self.map(Vec::as_slice))
    }
}

impl<'a> Bind<'a> for Timestamp {
    fn arg(self) -> Arg<'a> {
        Arg::Time(Some(self.0))
    }
}

impl<'a> Bind<'a> for MaybeTimestamp {
    fn arg(self) -> Arg<'a> {
        Arg::Time(self.0)
    }
}

/// Typed ids bind as the text they wrap.
macro_rules! bind_ids {
    ($($id:ty),* $(,)?) => {$(
        impl<'a> Bind<'a> for &'a $id {
            fn arg(self) -> Arg<'a> {
                Arg::Text(Some(Cow::Borrowed(self.as_str())))
            }
        }

        impl<'a> Bind<'a> for Option<&'a $id> {
            fn arg(self) -> Arg<'a> {
                Arg::Text(self.map(|id| Cow::Borrowed(id.as_str())))
            }
        }
    )*};
}

bind_ids!(
    portal_contract::ids::OrganisationId,
    portal_contract::ids::UserId,
    portal_contract::ids::InvitationId,
    portal_contract::ids::ProjectId,
    portal_contract::ids::CredentialId,
    portal_contract::ids::EndpointId,
    portal_contract::ids::EventId,
    portal_contract::ids::DeliveryId,
);

/// The contract's enums bind as their wire names.
macro_rules! bind_enums {
    ($($enum:ty),* $(,)?) => {$(
        impl<'a> Bind<'a> for $enum {
            fn arg(self) -> Arg<'a> {
                Arg::Text(Some(Cow::Borrowed(self.as_str())))
            }
        }

        impl<'a> Bind<'a> for Option<$enum> {
            fn arg(self) -> Arg<'a> {
                Arg::Text(self.map(|e| Cow::Borrowed(e.as_str())))
            }
        }
    )*};
}

bind_enums!(
    portal_contract::Role,
    portal_contract::accounts::OrganisationStatus,
    portal_contract::team::MemberStatus,
    portal_contract::projects::Environment,
    portal_contract::webhooks::DisabledReason,
    portal_contract::webhooks::DeliveryStatus,
);

/// A row both backends can read into `Self`.
pub trait Row:
    for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Row for T where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}

/// A single value both backends can read into `Self`.
pub trait Scalar:
    sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Postgres>
    + for<'r> sqlx::Decode<'r, Postgres>
    + Send
    + Unpin
{
}

impl<T> Scalar for T where
    T: sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Postgres>
        + for<'r> sqlx::Decode<'r, Postgres>
        + Send
        + Unpin
{
}

/// `on_any!(conn, sqlx::query_…_with(&text, args), method[, map])`: runs the
/// query, with the values bound as `conn`'s backend stores them, by `method`
/// (`execute`, `fetch_all`, …) on `conn`, maps what it returns, and names a
/// unique violation.
macro_rules! on_any {
    ($conn:expr, $query:ident :: $make:ident (&$text:ident, $args:ident), $method:ident $(, $map:expr)?) => {
        match $conn {
            Conn::SqlitePool(pool) => $query::$make(&$text, sqlite_args($args)?)
                .$method(pool)
                .await
                $(.map($map))?
                .map_err(|e| conflict(Dialect::Sqlite, e)),
            Conn::Sqlite(conn) => $query::$make(&$text, sqlite_args($args)?)
                .$method(conn)
                .await
                $(.map($map))?
                .map_err(|e| conflict(Dialect::Sqlite, e)),
            Conn::PostgresPool(pool) => $query::$make(&$text, pg_args($args)?)
                .$method(pool)
                .await
                $(.map($map))?
                .map_err(|e| conflict(Dialect::Postgres, e)),
            Conn::Postgres(conn) => $query::$make(&$text, pg_args($args)?)
                .$method(conn)
                .await
                $(.map($map))?
                .map_err(|e| conflict(Dialect::Postgres, e)),
        }
    };
}

/// A statement and its values.
#[must_use = "a statement does nothing until it is run"]
pub struct Sql<'a> {
    text: Cow<'a, str>,
    args: Vec<Arg<'a>>,
    /// Row locks to take on PostgreSQL (`FOR UPDATE` at the end).
    locking: bool,
}

/// A statement written once for both backends.
pub fn sql(text: &str) -> Sql<'_> {
    Sql {
        text: Cow::Borrowed(text),
        args: Vec::new(),
        locking: false,
    }
}

impl<'a> Sql<'a> {
    /// A statement built piece by piece ([`Sql::push`], [`Sql::push_bind`]).
    pub fn builder(start: &str) -> Self {
        Self {
            text: Cow::Owned(start.to_owned()),
            args: Vec::new(),
            locking: false,
        }
    }

    /// The next value, for the placeholder `$n` of its position.
    pub fn bind(mut self, value: impl Bind<'a>) -> Self {
        self.args.push(value.arg());
        self
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.to_mut().push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn push_bind(&mut self, value: impl Bind<'a>) -> &mut Self {
        self.args.push(value.arg());
        let n = self.args.len();
        self.text.to_mut().push_str(&format!("${n}"));
        self
    }

    /// Locks the rows a `SELECT` reads until the unit of work ends, on
    /// PostgreSQL (`FOR UPDATE`); SQLite's unit of work holds the write
    /// lock already.
    pub fn locking(mut self) -> Self {
        self.locking = true;
        self
    }

    /// Runs it; how many rows it changed.
    pub async fn execute<'c>(self, db: impl Exec<'c>) -> StoreResult<u64> {
        let (text, args, conn) = self.prepare(db);
        on_any!(conn, sqlx::query_with(&text, args), execute, |done| done
            .rows_affected())
    }

    /// Every row it returns.
    pub async fn fetch_all<'c, T: Row>(self, db: impl Exec<'c>) -> StoreResult<Vec<T>> {
        let (text, args, conn) = self.prepare(db);
        on_any!(conn, sqlx::query_as_with(&text, args), fetch_all)
    }

    /// Its first row, if any.
    pub async fn fetch_optional<'c, T: Row>(self, db: impl Exec<'c>) -> StoreResult<Option<T>> {
        let (text, args, conn) = self.prepare(db);
        on_any!(conn, sqlx::query_as_with(&text, args), fetch_optional)
    }

    /// Its one row.
    pub async fn fetch_one<'c, T: Row>(self, db: impl Exec<'c>) -> StoreResult<T> {
        self.fetch_optional(db)
            .await?
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// The first column of every row.
    pub async fn scalars<'c, T: Scalar>(self, db: impl Exec<'c>) -> StoreResult<Vec<T>> {
        let rows: Vec<(T,)> = self.fetch_all(db).await?;
        Ok(rows.into_iter().map(|(value,)| value).collect())
    }

    /// The first column of its first row, if any.
    pub async fn scalar_optional<'c, T: Scalar>(self, db: impl Exec<'c>) -> StoreResult<Option<T>> {
        let row: Option<(T,)> = self.fetch_optional(db).await?;
        Ok(row.map(|(value,)| value))
    }

    /// The first column of its one row.
    pub async fn scalar<'c, T: Scalar>(self, db: impl Exec<'c>) -> StoreResult<T> {
        let (value,): (T,) = self.fetch_one(db).await?;
        Ok(value)
    }

    fn prepare<'c>(self, db: impl Exec<'c>) -> (Cow<'a, str>, Vec<Arg<'a>>, Conn<'c>) {
        let conn = db.conn();
        let mut text = self.text;
        if self.locking && conn.dialect() == Dialect::Postgres {
            text.to_mut().push_str(" FOR UPDATE");
        }
        (text, self.args, conn)
    }
}

fn sqlite_args(args: Vec<Arg<'_>>) -> StoreResult<SqliteArguments<'_>> {
    let mut out = SqliteArguments::default();
    for arg in args {
        let added = match arg {
            Arg::Int(v) => out.add(v),
            Arg::Float(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Bytes(v) => out.add(v),
            Arg::Time(v) => out.add(v),
            Arg::Texts(v) => out.add(serde_json::to_string(&v).expect("strings serialise")),
        };
        added.map_err(|e| StoreError::Database(sqlx::Error::Encode(e)))?;
    }
    Ok(out)
}

fn pg_args(args: Vec<Arg<'_>>) -> StoreResult<PgArguments> {
    let mut out = PgArguments::default();
    for arg in args {
        let added = match arg {
            Arg::Int(v) => out.add(v),
            Arg::Float(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Bytes(v) => out.add(v),
            Arg::Time(v) => out.add(MaybeTimestamp(v)),
            Arg::Texts(v) => out.add(v),
        };
        added.map_err(|e| StoreError::Database(sqlx::Error::Encode(e)))?;
    }
    Ok(out)
}

/// A database error, with a unique violation named in the store's words.
fn conflict(dialect: Dialect, e: sqlx::Error) -> StoreError {
    match dialect {
        Dialect::Sqlite => super::conflict(e, super::sqlite::constraint),
        Dialect::Postgres => super::conflict(e, super::postgres::constraint),
    }
}
