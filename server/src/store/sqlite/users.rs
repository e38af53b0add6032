//! `users` and `email_confirmations` in SQLite.

use async_trait::async_trait;
use portal_contract::Role;
use portal_contract::ids::{OrganisationId, UserId};
use portal_contract::team::MemberStatus;
use portal_contract::team::{MemberListQuery, MemberSort, SortOrder};
use sqlx::QueryBuilder;

use super::{SqliteStore, conflict, delete_unconfirmed, events};
use crate::store::organisations::Organisation;
use crate::store::users::{
    Confirmation, Confirmations, MemberChange, MemberChanged, User, Users, member_filter,
};
use crate::store::{MaybeTimestamp, StoreResult};

#[async_trait]
impl Users for SqliteStore {
    async fn by_email(&self, email: &str) -> StoreResult<Option<User>> {
        // `email` is COLLATE NOCASE.
        Ok(sqlx::query_as("SELECT * FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn get(&self, id: &UserId) -> StoreResult<Option<User>> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn member(&self, org: &OrganisationId, id: &UserId) -> StoreResult<Option<User>> {
        Ok(
            sqlx::query_as("SELECT * FROM users WHERE organisation_id = ? AND id = ?")
                .bind(org)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn member_page(
        &self,
        org: &OrganisationId,
        query: &MemberListQuery,
    ) -> StoreResult<(Vec<User>, u64)> {
        let mut count = QueryBuilder::new("SELECT COUNT(*) FROM users");
        member_filter(&mut count, "LIKE", org, query);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;

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
        member_filter(&mut select, "LIKE", org, query);
        let per_page = query.per_page() as i64;
        select
            .push(format!(" ORDER BY {order} LIMIT "))
            .push_bind(per_page)
            .push(" OFFSET ")
            .push_bind((query.page() as i64 - 1) * per_page)
            .push(format!(") ORDER BY {order}"));
        let users = select.build_query_as().fetch_all(&self.pool).await?;
        Ok((users, total as u64))
    }

    async fn count_active_superadmins(&self, org: &OrganisationId) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE organisation_id = ? AND role = 'superadmin' \
             AND status = 'active'",
        )
        .bind(org)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn sign_up(
        &self,
        organisation: &Organisation,
        user: &User,
        confirmation: &Confirmation,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        delete_unconfirmed(&mut tx, &user.email).await?;
        sqlx::query("INSERT INTO organisations (id, name, status, created_at) VALUES (?, ?, ?, ?)")
            .bind(&organisation.id)
            .bind(&organisation.name)
            .bind(organisation.status)
            .bind(organisation.created_at)
            .execute(&mut *tx)
            .await?;
        insert_user(&mut tx, user).await?;
        insert_confirmation(&mut tx, confirmation).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_sign_in(&self, id: &UserId, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET last_sign_in_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_full_name(&self, id: &UserId, name: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET full_name = ? WHERE id = ?")
            .bind(name)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_password_hash(&self, id: &UserId, hash: &str, keep: &[u8]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id_hash != ?")
            .bind(id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_pin_hash(&self, id: &UserId, hash: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET pin_hash = ?, pin_failed_attempts = 0, pin_locked_until = NULL \
             WHERE id = ?",
        )
        .bind(hash)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_pin_attempt(&self, id: &UserId, now: i64) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "UPDATE users SET pin_failed_attempts = pin_failed_attempts + 1, \
             pin_locked_until = NULL \
             WHERE id = ? AND (pin_locked_until IS NULL OR pin_locked_until <= ?) \
             RETURNING pin_failed_attempts",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn pin_locked_until(&self, id: &UserId) -> StoreResult<Option<i64>> {
        let until: MaybeTimestamp =
            sqlx::query_scalar("SELECT pin_locked_until FROM users WHERE id = ?")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(until.0)
    }

    async fn set_pin_state(
        &self,
        id: &UserId,
        attempts: i64,
        locked_until: Option<i64>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE users SET pin_failed_attempts = ?, pin_locked_until = ? WHERE id = ?")
            .bind(attempts)
            .bind(locked_until)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn change_member(&self, change: MemberChange<'_>) -> StoreResult<MemberChanged> {
        let mut tx = self.begin_write().await?;
        // One statement: the check that another active superadmin remains and
        // the write can't be split by another writer.
        let done = sqlx::query(
            "UPDATE users SET role = ?1, status = ?2 WHERE id = ?3 AND role = ?4 AND status = ?5 \
             AND ((?1 = 'superadmin' AND ?2 = 'active') \
               OR EXISTS (SELECT 1 FROM users other \
                          WHERE other.organisation_id = users.organisation_id \
                          AND other.id != users.id AND other.role = 'superadmin' \
                          AND other.status = 'active'))",
        )
        .bind(change.role)
        .bind(change.status)
        .bind(change.id)
        .bind(change.seen_role)
        .bind(change.seen_status)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            let now: Option<(Role, MemberStatus)> =
                sqlx::query_as("SELECT role, status FROM users WHERE id = ?")
                    .bind(change.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Ok(match now {
                Some(seen) if seen == (change.seen_role, change.seen_status) => {
                    MemberChanged::LastSuperadmin
                }
                _ => MemberChanged::Stale,
            });
        }
        if change.deactivate {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(change.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE invitations SET revoked_at = ? WHERE invited_by = ? \
                 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(change.now)
            .bind(change.id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(event) = change.event {
            events::insert(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(MemberChanged::Changed)
    }

    async fn admin_emails(&self, org: &OrganisationId) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT email FROM users WHERE organisation_id = ? \
             AND role IN ('superadmin', 'admin') AND status = 'active' \
             AND email_confirmed_at IS NOT NULL",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// `Conflict(UserEmail)` when the address is taken.
pub(super) async fn insert_user(conn: &mut sqlx::SqliteConnection, user: &User) -> StoreResult<()> {
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
    .bind(user.role)
    .bind(user.status)
    .bind(user.email_confirmed_at)
    .bind(user.created_at)
    .execute(conn)
    .await
    .map_err(conflict)?;
    Ok(())
}

async fn insert_confirmation(
    conn: &mut sqlx::SqliteConnection,
    c: &Confirmation,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO email_confirmations (token_hash, user_id, created_at, expires_at) \
         VALUES (?, ?, ?, ?)",
    )
    .bind(&c.token_hash)
    .bind(&c.user_id)
    .bind(c.created_at)
    .bind(c.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Confirmations for SqliteStore {
    async fn get(&self, token_hash: &[u8]) -> StoreResult<Option<Confirmation>> {
        Ok(
            sqlx::query_as("SELECT * FROM email_confirmations WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn confirm(&self, token_hash: &[u8], user: &UserId, now: i64) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let used = sqlx::query(
            "UPDATE email_confirmations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE users SET email_confirmed_at = COALESCE(email_confirmed_at, ?1), \
             last_sign_in_at = ?1 WHERE id = ?2",
        )
        .bind(now)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn replace(&self, confirmation: &Confirmation, now: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE email_confirmations SET expires_at = MIN(expires_at, ?) \
             WHERE user_id = ? AND used_at IS NULL",
        )
        .bind(now)
        .bind(&confirmation.user_id)
        .execute(&mut *tx)
        .await?;
        insert_confirmation(&mut tx, confirmation).await?;
        tx.commit().await?;
        Ok(())
    }
}
