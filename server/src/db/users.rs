//! The `users` table.

use portal_contract::Role;
use portal_contract::accounts::UserOut;
use portal_contract::ids::UserId;
use portal_contract::team::{MemberListQuery, MemberOut, MemberSort, MemberStatus, SortOrder};
use sqlx::{QueryBuilder, Sqlite, SqliteExecutor};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub organisation_id: String,
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
    pub pin_hash: String,
    pub role: String,
    pub status: String,
    pub email_confirmed_at: Option<i64>,
    pub pin_failed_attempts: i64,
    pub pin_locked_until: Option<i64>,
    pub last_sign_in_at: Option<i64>,
    pub created_at: i64,
}

impl User {
    pub fn role(&self) -> Role {
        // The CHECK constraint admits only the four names; fall back to the
        // least powerful role rather than panic.
        self.role.parse().unwrap_or(Role::Viewer)
    }

    pub fn is_active(&self) -> bool {
        self.status == "active"
    }

    pub fn to_out(&self) -> UserOut {
        UserOut {
            id: UserId(self.id.clone()),
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            role: self.role(),
            created_at: self.created_at,
        }
    }
}

/// Fails with a UNIQUE violation when the email is taken.
pub async fn insert(db: impl SqliteExecutor<'_>, user: &User) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, organisation_id, email, full_name, password_hash, pin_hash, role, \
         status, email_confirmed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&user.id)
    .bind(&user.organisation_id)
    .bind(&user.email)
    .bind(&user.full_name)
    .bind(&user.password_hash)
    .bind(&user.pin_hash)
    .bind(&user.role)
    .bind(&user.status)
    .bind(user.email_confirmed_at)
    .bind(user.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn by_email(db: impl SqliteExecutor<'_>, email: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as("SELECT * FROM users WHERE email = ?")
        .bind(email)
        .fetch_optional(db)
        .await
}

pub async fn get(db: impl SqliteExecutor<'_>, id: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as("SELECT * FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn confirm_email(db: impl SqliteExecutor<'_>, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET email_confirmed_at = COALESCE(email_confirmed_at, ?) WHERE id = ?",
    )
    .bind(now)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn record_sign_in(db: impl SqliteExecutor<'_>, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET last_sign_in_at = ? WHERE id = ?")
        .bind(now)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_full_name(db: impl SqliteExecutor<'_>, id: &str, name: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET full_name = ? WHERE id = ?")
        .bind(name)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_password_hash(
    db: impl SqliteExecutor<'_>,
    id: &str,
    hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(hash)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A new PIN also clears any PIN lockout.
pub async fn set_pin_hash(db: impl SqliteExecutor<'_>, id: &str, hash: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET pin_hash = ?, pin_failed_attempts = 0, pin_locked_until = NULL \
         WHERE id = ?",
    )
    .bind(hash)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

impl User {
    pub fn status(&self) -> MemberStatus {
        self.status.parse().unwrap_or(MemberStatus::Deactivated)
    }

    pub fn to_member(&self) -> MemberOut {
        MemberOut {
            id: UserId(self.id.clone()),
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            role: self.role(),
            status: self.status(),
            last_sign_in_at: self.last_sign_in_at,
            created_at: self.created_at,
        }
    }
}

/// One of `org`'s members; another organisation's id reads as absent.
pub async fn member(
    db: impl SqliteExecutor<'_>,
    org: &str,
    id: &str,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as("SELECT * FROM users WHERE organisation_id = ? AND id = ?")
        .bind(org)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// `WHERE …` of the member list: the organisation, then the search and filters.
fn member_filter<'a>(q: &mut QueryBuilder<'a, Sqlite>, org: &'a str, query: &'a MemberListQuery) {
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
        q.push(" AND (full_name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR email LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(role) = query.role {
        q.push(" AND role = ").push_bind(role.as_str());
    }
    if let Some(status) = query.status {
        q.push(" AND status = ").push_bind(status.as_str());
    }
}

/// A page of `org`'s members and how many match in all.
pub async fn member_page(
    db: &super::Db,
    org: &str,
    query: &MemberListQuery,
) -> sqlx::Result<(Vec<User>, u64)> {
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM users");
    member_filter(&mut count, org, query);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;

    // Column and direction come from enums, never from the request's text.
    let order = match (query.sort, query.order) {
        (MemberSort::Name, SortOrder::Asc) => "full_name COLLATE NOCASE ASC, id ASC",
        (MemberSort::Name, SortOrder::Desc) => "full_name COLLATE NOCASE DESC, id DESC",
        (MemberSort::Email, SortOrder::Asc) => "email ASC",
        (MemberSort::Email, SortOrder::Desc) => "email DESC",
        (MemberSort::Role, SortOrder::Asc) => {
            "CASE role WHEN 'superadmin' THEN 0 WHEN 'admin' THEN 1 \
             WHEN 'developer' THEN 2 ELSE 3 END ASC, full_name COLLATE NOCASE ASC"
        }
        (MemberSort::Role, SortOrder::Desc) => {
            "CASE role WHEN 'superadmin' THEN 0 WHEN 'admin' THEN 1 \
             WHEN 'developer' THEN 2 ELSE 3 END DESC, full_name COLLATE NOCASE ASC"
        }
        // Descending puts never-signed-in (NULL) last by itself and can walk the index.
        (MemberSort::LastSignIn, SortOrder::Desc) => "last_sign_in_at DESC, id DESC",
        (MemberSort::LastSignIn, SortOrder::Asc) => {
            "last_sign_in_at IS NULL, last_sign_in_at ASC, id ASC"
        }
        (MemberSort::Joined, SortOrder::Asc) => "created_at ASC, id ASC",
        (MemberSort::Joined, SortOrder::Desc) => "created_at DESC, id DESC",
    };
    // Late row lookup: page through the (covering) index for rowids, then
    // read just the page's rows, so a deep OFFSET doesn't read every row it skips.
    let mut select =
        QueryBuilder::new("SELECT * FROM users WHERE rowid IN (SELECT rowid FROM users");
    member_filter(&mut select, org, query);
    let per_page = query.per_page() as i64;
    select
        .push(format!(" ORDER BY {order} LIMIT "))
        .push_bind(per_page)
        .push(" OFFSET ")
        .push_bind((query.page() as i64 - 1) * per_page)
        .push(format!(") ORDER BY {order}"));
    let users = select.build_query_as().fetch_all(db).await?;
    Ok((users, total as u64))
}

pub async fn count_active_superadmins(db: impl SqliteExecutor<'_>, org: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE organisation_id = ? AND role = 'superadmin' \
         AND status = 'active'",
    )
    .bind(org)
    .fetch_one(db)
    .await
}

/// Takes one PIN attempt, atomically, unless the PIN is locked: returns the
/// attempt's number (1 = first since the last success), or `None` while locked.
/// Taking it before the (slow) check means parallel guesses can't share one.
pub async fn take_pin_attempt(
    db: impl SqliteExecutor<'_>,
    id: &str,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE users SET pin_failed_attempts = pin_failed_attempts + 1, pin_locked_until = NULL \
         WHERE id = ? AND (pin_locked_until IS NULL OR pin_locked_until <= ?) \
         RETURNING pin_failed_attempts",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Until when the PIN is locked, if it is.
pub async fn pin_locked_until(db: impl SqliteExecutor<'_>, id: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT pin_locked_until FROM users WHERE id = ?")
        .bind(id)
        .fetch_one(db)
        .await
}

pub async fn set_pin_state(
    db: impl SqliteExecutor<'_>,
    id: &str,
    attempts: i64,
    locked_until: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET pin_failed_attempts = ?, pin_locked_until = ? WHERE id = ?")
        .bind(attempts)
        .bind(locked_until)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Sets a member's role and status unless that would leave the organisation
/// without an active superadmin; false then. One statement, so two
/// superadmins demoting each other at once can't both succeed.
pub async fn set_role_and_status_keeping_a_superadmin(
    db: impl SqliteExecutor<'_>,
    id: &str,
    role: Role,
    status: MemberStatus,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET role = ?1, status = ?2 WHERE id = ?3 AND ( \
           (?1 = 'superadmin' AND ?2 = 'active') \
           OR EXISTS (SELECT 1 FROM users other WHERE other.organisation_id = users.organisation_id \
                      AND other.id != users.id AND other.role = 'superadmin' AND other.status = 'active'))",
    )
    .bind(role.as_str())
    .bind(status.as_str())
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes an account whose address was never confirmed, with its
/// organisation when it was the only member: an unconfirmed sign-up must not
/// hold an address its owner wants to use.
pub async fn delete_unconfirmed(db: &mut sqlx::SqliteConnection, email: &str) -> sqlx::Result<()> {
    let org: Option<String> = sqlx::query_scalar(
        "DELETE FROM users WHERE email = ? AND email_confirmed_at IS NULL RETURNING organisation_id",
    )
    .bind(email)
    .fetch_optional(&mut *db)
    .await?;
    if let Some(org) = org {
        sqlx::query(
            "DELETE FROM organisations WHERE id = ? \
             AND NOT EXISTS (SELECT 1 FROM users WHERE organisation_id = organisations.id)",
        )
        .bind(org)
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}
