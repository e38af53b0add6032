//! The `users` table.

use portal_contract::Role;
use portal_contract::accounts::UserOut;
use portal_contract::ids::UserId;
use sqlx::SqliteExecutor;

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
