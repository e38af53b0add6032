//! Times in the store: Unix seconds in the code (as on the wire), each
//! backend's own type in its tables: INTEGER in SQLite, `timestamptz` in
//! PostgreSQL. Rows keep plain `i64` fields and read them through these
//! wrappers (`#[sqlx(try_from = "Timestamp")]`); queries bind the wrappers.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type, ValueRef};
use time::OffsetDateTime;

/// A point in time, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

/// A point in time that may be unset (a nullable column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeTimestamp(pub Option<i64>);

impl From<Timestamp> for i64 {
    fn from(t: Timestamp) -> i64 {
        t.0
    }
}

impl From<MaybeTimestamp> for Option<i64> {
    fn from(t: MaybeTimestamp) -> Option<i64> {
        t.0
    }
}

impl From<Option<i64>> for MaybeTimestamp {
    fn from(t: Option<i64>) -> Self {
        Self(t)
    }
}

fn to_datetime(secs: i64) -> Result<OffsetDateTime, BoxDynError> {
    Ok(OffsetDateTime::from_unix_timestamp(secs)?)
}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<i64 as Decode<Sqlite>>::decode(value)?))
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode(to_datetime(self.0)?, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(
            <OffsetDateTime as Decode<Postgres>>::decode(value)?.unix_timestamp(),
        ))
    }
}

impl<DB: sqlx::Database> Type<DB> for MaybeTimestamp
where
    Timestamp: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <Timestamp as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <Timestamp as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: sqlx::Database> Encode<'q, DB> for MaybeTimestamp
where
    Option<Timestamp>: Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        self.0.map(Timestamp).encode_by_ref(buf)
    }
}

impl<'r, DB: sqlx::Database> Decode<'r, DB> for MaybeTimestamp
where
    Timestamp: Decode<'r, DB>,
{
    fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.is_null() {
            return Ok(Self(None));
        }
        Ok(Self(Some(<Timestamp as Decode<DB>>::decode(value)?.0)))
    }
}
