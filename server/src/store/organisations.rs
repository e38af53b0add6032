//! Organisations (partner accounts).

use portal_contract::accounts::OrganisationStatus;
use portal_contract::ids::OrganisationId;

use super::{Exec, StoreResult, Timestamp, sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub status: OrganisationStatus,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
}

pub async fn insert(db: impl Exec<'_>, o: &Organisation) -> StoreResult<()> {
    sql("INSERT INTO organisations (id, name, status, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&o.id)
        .bind(&o.name)
        .bind(o.status)
        .bind(Timestamp(o.created_at))
        .execute(db)
        .await?;
    Ok(())
}

pub async fn get(db: impl Exec<'_>, id: &OrganisationId) -> StoreResult<Option<Organisation>> {
    sql("SELECT * FROM organisations WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The organisation, its row locked until the unit of work ends: what a
/// rule over its members takes first, so two changes can't both pass it.
pub async fn lock(db: impl Exec<'_>, id: &OrganisationId) -> StoreResult<()> {
    sql("SELECT id FROM organisations WHERE id = $1")
        .bind(id)
        .locking()
        .scalar_optional::<String>(db)
        .await?;
    Ok(())
}

/// The bytes of the events the organisation keeps (`events.size` added
/// up as they are written and deleted).
pub async fn stored_event_bytes(db: impl Exec<'_>, id: &OrganisationId) -> StoreResult<i64> {
    sql("SELECT stored_event_bytes FROM organisations WHERE id = $1")
        .bind(id)
        .scalar_optional(db)
        .await
        .map(Option::unwrap_or_default)
}

/// Adds `bytes` (negative: takes them away) to what the organisation keeps
/// of its events.
pub async fn add_stored_event_bytes(
    db: impl Exec<'_>,
    id: &OrganisationId,
    bytes: i64,
) -> StoreResult<()> {
    sql("UPDATE organisations SET stored_event_bytes = stored_event_bytes + $1 WHERE id = $2")
        .bind(bytes)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Every organisation, oldest first (for operators).
pub async fn list(db: impl Exec<'_>) -> StoreResult<Vec<Organisation>> {
    sql("SELECT * FROM organisations ORDER BY created_at, id")
        .fetch_all(db)
        .await
}

pub async fn rename(db: impl Exec<'_>, id: &OrganisationId, name: &str) -> StoreResult<()> {
    sql("UPDATE organisations SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// False when there is no such organisation.
pub async fn set_status(
    db: impl Exec<'_>,
    id: &OrganisationId,
    status: OrganisationStatus,
) -> StoreResult<bool> {
    let changed = sql("UPDATE organisations SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id)
        .execute(db)
        .await?;
    Ok(changed == 1)
}

/// Deletes an organisation that has no members left (an unconfirmed
/// sign-up's, replaced); false when it has some.
pub async fn delete_if_empty(db: impl Exec<'_>, id: &OrganisationId) -> StoreResult<bool> {
    let deleted = sql("DELETE FROM organisations WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM users WHERE organisation_id = organisations.id)")
    .bind(id)
    .execute(db)
    .await?;
    Ok(deleted == 1)
}
