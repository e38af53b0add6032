//! Users (the members of an organisation) and their email confirmations.

use portal_contract::Role;
use portal_contract::ids::{OrganisationId, UserId};
use portal_contract::team::{MemberListQuery, MemberSort, MemberStatus, SortOrder};

use super::{Dialect, Exec, MaybeTimestamp, Sql, StoreResult, Timestamp, sql};

#[derive(Clone, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
    pub pin_hash: String,
    pub role: Role,
    pub status: MemberStatus,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub email_confirmed_at: Option<i64>,
    pub pin_failed_attempts: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub pin_locked_until: Option<i64>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub last_sign_in_at: Option<i64>,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
}

portal_contract::redacted_debug!(User { id, organisation_id, email, full_name, role, status, email_confirmed_at, pin_failed_attempts, pin_locked_until, last_sign_in_at, created_at } secret { password_hash, pin_hash });

impl User {
    pub fn is_active(&self) -> bool {
        self.status == MemberStatus::Active
    }
}

/// A single-use link that confirms an address, stored as its hash.
#[derive(Clone, sqlx::FromRow)]
pub struct Confirmation {
    pub token_hash: Vec<u8>,
    pub user_id: UserId,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: i64,
    #[sqlx(try_from = "Timestamp")]
    pub expires_at: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub used_at: Option<i64>,
}

portal_contract::redacted_debug!(Confirmation { user_id, created_at, expires_at, used_at } secret { token_hash });

/// A page of `org`'s members (search, filters, sort) and how many match in all.
pub async fn member_page(
    db: impl Exec<'_>,
    org: &OrganisationId,
    query: &MemberListQuery,
) -> StoreResult<(Vec<User>, u64)> {
    let mut c = db.conn();
    let dialect = c.dialect();
    let mut count = Sql::builder("SELECT COUNT(*) FROM users");
    member_filter(&mut count, dialect, org, query);
    let total: i64 = count.scalar(&mut c).await?;

    // Column and direction come from enums, never from the request's text.
    // The name as the backend's index holds it, so the sort walks it; NULLS
    // LAST keeps those who never signed in at the end either way.
    let name = dialect.pick("full_name COLLATE NOCASE", "lower(full_name)");
    let role = "CASE role WHEN 'superadmin' THEN 0 WHEN 'admin' THEN 1 \
                WHEN 'developer' THEN 2 ELSE 3 END";
    let order = match (query.sort, query.order) {
        (MemberSort::Name, SortOrder::Asc) => format!("{name} ASC, id ASC"),
        (MemberSort::Name, SortOrder::Desc) => format!("{name} DESC, id DESC"),
        (MemberSort::Email, SortOrder::Asc) => "email ASC".to_owned(),
        (MemberSort::Email, SortOrder::Desc) => "email DESC".to_owned(),
        (MemberSort::Role, SortOrder::Asc) => format!("{role} ASC, {name} ASC"),
        (MemberSort::Role, SortOrder::Desc) => format!("{role} DESC, {name} ASC"),
        (MemberSort::LastSignIn, SortOrder::Desc) => {
            "last_sign_in_at DESC NULLS LAST, id DESC".to_owned()
        }
        (MemberSort::LastSignIn, SortOrder::Asc) => {
            "last_sign_in_at ASC NULLS LAST, id ASC".to_owned()
        }
        (MemberSort::Joined, SortOrder::Asc) => "created_at ASC, id ASC".to_owned(),
        (MemberSort::Joined, SortOrder::Desc) => "created_at DESC, id DESC".to_owned(),
    };
    // On SQLite, a late row lookup: page through the (covering) index for
    // rowids, then read just the page's rows, so a deep OFFSET doesn't read
    // every row it skips. PostgreSQL's planner does as well on its own.
    let mut select = Sql::builder(dialect.pick(
        "SELECT * FROM users WHERE rowid IN (SELECT rowid FROM users",
        "SELECT * FROM users",
    ));
    member_filter(&mut select, dialect, org, query);
    let per_page = query.per_page() as i64;
    select
        .push(&format!(" ORDER BY {order} LIMIT "))
        .push_bind(per_page)
        .push(" OFFSET ")
        .push_bind((query.page() as i64 - 1) * per_page);
    if dialect == Dialect::Sqlite {
        select.push(&format!(") ORDER BY {order}"));
    }
    let users = select.fetch_all(&mut c).await?;
    Ok((users, total as u64))
}

/// `WHERE …` of the member list: the organisation, then the search and
/// filters. SQLite's `LIKE` ignores the case of ASCII letters; PostgreSQL
/// has `ILIKE`, which its trigram indexes serve.
fn member_filter<'a>(
    q: &mut Sql<'a>,
    dialect: Dialect,
    org: &'a OrganisationId,
    query: &'a MemberListQuery,
) {
    let like = dialect.pick("LIKE", "ILIKE");
    q.push(" WHERE organisation_id = ").push_bind(org);
    if let Some(text) = query
        .query
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        // LIKE wildcards in the search are literal characters.
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        q.push(&format!(" AND (full_name {like} "))
            .push_bind(pattern.clone())
            .push(&format!(" ESCAPE '\\' OR email {like} "))
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(role) = query.role {
        q.push(" AND role = ").push_bind(role);
    }
    if let Some(status) = query.status {
        q.push(" AND status = ").push_bind(status);
    }
}

/// Whatever the case of `email`.
pub async fn by_email(db: impl Exec<'_>, email: &str) -> StoreResult<Option<User>> {
    sql("SELECT * FROM users WHERE lower(email) = lower($1)")
        .bind(email)
        .fetch_optional(db)
        .await
}

pub async fn get(db: impl Exec<'_>, id: &UserId) -> StoreResult<Option<User>> {
    sql("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// One of `org`'s members; another organisation's id reads as absent.
pub async fn member(
    db: impl Exec<'_>,
    org: &OrganisationId,
    id: &UserId,
) -> StoreResult<Option<User>> {
    sql("SELECT * FROM users WHERE organisation_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn count_active_superadmins(db: impl Exec<'_>, org: &OrganisationId) -> StoreResult<i64> {
    sql(
        "SELECT COUNT(*) FROM users WHERE organisation_id = $1 AND role = 'superadmin' \
         AND status = 'active'",
    )
    .bind(org)
    .scalar(db)
    .await
}

/// `Conflict(UserEmail)` when the address is taken.
pub async fn insert(db: impl Exec<'_>, user: &User) -> StoreResult<()> {
    sql(
        "INSERT INTO users (id, organisation_id, email, full_name, password_hash, pin_hash, role, \
         status, email_confirmed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&user.id)
    .bind(&user.organisation_id)
    .bind(&user.email)
    .bind(&user.full_name)
    .bind(&user.password_hash)
    .bind(&user.pin_hash)
    .bind(user.role)
    .bind(user.status)
    .bind(MaybeTimestamp(user.email_confirmed_at))
    .bind(Timestamp(user.created_at))
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes an account (one never confirmed, replaced).
pub async fn delete(db: impl Exec<'_>, id: &UserId) -> StoreResult<()> {
    sql("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn record_sign_in(db: impl Exec<'_>, id: &UserId, now: i64) -> StoreResult<()> {
    sql("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
        .bind(Timestamp(now))
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Confirms the address at `now` (once: a later confirmation keeps the
/// first time) and records the sign-in it is.
pub async fn confirm_email(db: impl Exec<'_>, id: &UserId, now: i64) -> StoreResult<()> {
    sql(
        "UPDATE users SET email_confirmed_at = COALESCE(email_confirmed_at, $1), \
         last_sign_in_at = $1 WHERE id = $2",
    )
    .bind(Timestamp(now))
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_full_name(db: impl Exec<'_>, id: &UserId, name: &str) -> StoreResult<()> {
    sql("UPDATE users SET full_name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_password_hash(db: impl Exec<'_>, id: &UserId, hash: &str) -> StoreResult<()> {
    sql("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A new PIN hash, which also clears any PIN lockout.
pub async fn set_pin_hash(db: impl Exec<'_>, id: &UserId, hash: &str) -> StoreResult<()> {
    sql(
        "UPDATE users SET pin_hash = $1, pin_failed_attempts = 0, pin_locked_until = NULL \
         WHERE id = $2",
    )
    .bind(hash)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes one PIN attempt, atomically, unless the PIN is locked: returns the
/// attempt's number (1 = first since the last success), or `None` while
/// locked. One statement, so parallel guesses count one by one.
pub async fn take_pin_attempt(
    db: impl Exec<'_>,
    id: &UserId,
    now: i64,
) -> StoreResult<Option<i64>> {
    sql(
        "UPDATE users SET pin_failed_attempts = pin_failed_attempts + 1, \
         pin_locked_until = NULL \
         WHERE id = $1 AND (pin_locked_until IS NULL OR pin_locked_until <= $2) \
         RETURNING pin_failed_attempts",
    )
    .bind(id)
    .bind(Timestamp(now))
    .scalar_optional(db)
    .await
}

/// Until when the PIN is locked, if it is.
pub async fn pin_locked_until(db: impl Exec<'_>, id: &UserId) -> StoreResult<Option<i64>> {
    let until: MaybeTimestamp = sql("SELECT pin_locked_until FROM users WHERE id = $1")
        .bind(id)
        .scalar(db)
        .await?;
    Ok(until.0)
}

pub async fn set_pin_state(
    db: impl Exec<'_>,
    id: &UserId,
    attempts: i64,
    locked_until: Option<i64>,
) -> StoreResult<()> {
    sql("UPDATE users SET pin_failed_attempts = $1, pin_locked_until = $2 WHERE id = $3")
        .bind(attempts)
        .bind(MaybeTimestamp(locked_until))
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Sets a member's role and status.
pub async fn set_role_and_status(
    db: impl Exec<'_>,
    id: &UserId,
    role: Role,
    status: MemberStatus,
) -> StoreResult<()> {
    sql("UPDATE users SET role = $1, status = $2 WHERE id = $3")
        .bind(role)
        .bind(status)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Addresses of `org`'s active, confirmed admins and superadmins.
pub async fn admin_emails(db: impl Exec<'_>, org: &OrganisationId) -> StoreResult<Vec<String>> {
    sql("SELECT email FROM users WHERE organisation_id = $1 \
         AND role IN ('superadmin', 'admin') AND status = 'active' \
         AND email_confirmed_at IS NOT NULL")
    .bind(org)
    .scalars(db)
    .await
}

/// A link's confirmation, by its hash.
pub async fn confirmation(
    db: impl Exec<'_>,
    token_hash: &[u8],
) -> StoreResult<Option<Confirmation>> {
    sql("SELECT * FROM email_confirmations WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(db)
        .await
}

pub async fn insert_confirmation(db: impl Exec<'_>, c: &Confirmation) -> StoreResult<()> {
    sql(
        "INSERT INTO email_confirmations (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&c.token_hash)
    .bind(&c.user_id)
    .bind(Timestamp(c.created_at))
    .bind(Timestamp(c.expires_at))
    .execute(db)
    .await?;
    Ok(())
}

/// Uses the link at `now`; false when it was used already.
pub async fn use_confirmation(db: impl Exec<'_>, token_hash: &[u8], now: i64) -> StoreResult<bool> {
    let used = sql(
        "UPDATE email_confirmations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(Timestamp(now))
    .bind(token_hash)
    .execute(db)
    .await?;
    Ok(used == 1)
}

/// The user's unused links stop working at `now` at the latest.
pub async fn end_confirmations(db: impl Exec<'_>, user: &UserId, now: i64) -> StoreResult<()> {
    sql("UPDATE email_confirmations SET expires_at = $1 \
         WHERE user_id = $2 AND used_at IS NULL AND expires_at > $1")
    .bind(Timestamp(now))
    .bind(user)
    .execute(db)
    .await?;
    Ok(())
}
