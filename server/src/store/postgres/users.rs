//! `users` and `email_confirmations` in PostgreSQL.

use async_trait::async_trait;
use portal_contract::Role;
use portal_contract::ids::{OrganisationId, UserId};
use portal_contract::team::MemberStatus;
use portal_contract::team::{MemberListQuery, MemberSort, SortOrder};
use sqlx::{PgConnection, QueryBuilder};

use super::{PgStore, conflict, delete_unconfirmed, events};
use crate::store::organisations::Organisation;
use crate::store::users::{
    Confirmation, Confirmations, MemberChange, MemberChanged, User, Users, member_filter,
};
use crate::store::{MaybeTimestamp, StoreResult, Timestamp};

#[async_trait]
impl Users for PgStore {
    async fn by_email(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(
            sqlx::query_as("SELECT * FROM users WHERE lower(email) = lower($1)")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn get(&self, id: &UserId) -> StoreResult<Option<User>> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn member(&self, org: &OrganisationId, id: &UserId) -> StoreResult<Option<User>> {
        Ok(
            sqlx::query_as("SELECT * FROM users WHERE organisation_id = $1 AND id = $2")
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
        member_filter(&mut count, "ILIKE", org, query);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;

        // Column and direction come from enums, never from the request's
        // text. NULLS LAST keeps those who never signed in at the end either
        // way, as SQLite does.
        let order = match (query.sort, query.order) {
            (MemberSort::Name, SortOrder::Asc) => "lower(full_name) ASC, id ASC",
            (MemberSort::Name, SortOrder::Desc) => "lower(full_name) DESC, id DESC",
            (MemberSort::Email, SortOrder::Asc) => "email ASC",
            (MemberSort::Email, SortOrder::Desc) => "email DESC",
            (MemberSort::Role, SortOrder::Asc) => {
                "CASE role WHEN 'superadmin' THEN 0 WHEN 'admin' THEN 1 \
                 WHEN 'developer' THEN 2 ELSE 3 END ASC, lower(full_name) ASC"
            }
            (MemberSort::Role, SortOrder::Desc) => {
                "CASE role WHEN 'superadmin' THEN 0 WHEN 'admin' THEN 1 \
                 WHEN 'developer' THEN 2 ELSE 3 END DESC, lower(full_name) ASC"
            }
            (MemberSort::LastSignIn, SortOrder::Desc) => "last_sign_in_at DESC NULLS LAST, id DESC",
            (MemberSort::LastSignIn, SortOrder::Asc) => "last_sign_in_at ASC NULLS LAST, id ASC",
            (MemberSort::Joined, SortOrder::Asc) => "created_at ASC, id ASC",
            (MemberSort::Joined, SortOrder::Desc) => "created_at DESC, id DESC",
        };
        let mut select = QueryBuilder::new("SELECT * FROM users");
        member_filter(&mut select, "ILIKE", org, query);
        let per_page = query.per_page() as i64;
        select
            .push(format!(" ORDER BY {order} LIMIT "))
            .push_bind(per_page)
            .push(" OFFSET ")
            .push_bind((query.page() as i64 - 1) * per_page);
        let users = select.build_query_as().fetch_all(&self.pool).await?;
        Ok((users, total as u64))
    }

    async fn count_active_superadmins(&self, org: &OrganisationId) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE organisation_id = $1 AND role = 'superadmin' \
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
        let mut tx = self.pool.begin().await?;
        delete_unconfirmed(&mut tx, &user.email).await?;
        sqlx::query(
            "INSERT INTO organisations (id, name, status, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&organisation.id)
        .bind(&organisation.name)
        .bind(organisation.status)
        .bind(Timestamp(organisation.created_at))
        .execute(&mut *tx)
        .await?;
        insert_user(&mut tx, user).await?;
        insert_confirmation(&mut tx, confirmation).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_sign_in(&self, id: &UserId, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
            .bind(Timestamp(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_full_name(&self, id: &UserId, name: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET full_name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_password_hash(&self, id: &UserId, hash: &str, keep: &[u8]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_pin_hash(&self, id: &UserId, hash: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET pin_hash = $1, pin_failed_attempts = 0, pin_locked_until = NULL \
             WHERE id = $2",
        )
        .bind(hash)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_pin_attempt(&self, id: &UserId, now: i64) -> StoreResult<Option<i64>> {
        // One statement: the row lock makes parallel attempts count one by one.
        Ok(sqlx::query_scalar(
            "UPDATE users SET pin_failed_attempts = pin_failed_attempts + 1, \
             pin_locked_until = NULL \
             WHERE id = $1 AND (pin_locked_until IS NULL OR pin_locked_until <= $2) \
             RETURNING pin_failed_attempts",
        )
        .bind(id)
        .bind(Timestamp(now))
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn pin_locked_until(&self, id: &UserId) -> StoreResult<Option<i64>> {
        let until: MaybeTimestamp =
            sqlx::query_scalar("SELECT pin_locked_until FROM users WHERE id = $1")
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
        sqlx::query(
            "UPDATE users SET pin_failed_attempts = $1, pin_locked_until = $2 WHERE id = $3",
        )
        .bind(attempts)
        .bind(MaybeTimestamp(locked_until))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn change_member(&self, change: MemberChange<'_>) -> StoreResult<MemberChanged> {
        let mut tx = self.pool.begin().await?;
        // Member changes of one organisation take turns: with the
        // organisation's row locked, "another active superadmin remains" is
        // still true when the change is written (read committed would let two
        // superadmins demoting each other both see the other one).
        sqlx::query(
            "SELECT 1 FROM organisations WHERE id = \
               (SELECT organisation_id FROM users WHERE id = $1) FOR UPDATE",
        )
        .bind(change.id)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE users SET role = $1, status = $2 WHERE id = $3 AND role = $4 AND status = $5 \
             AND (($1 = 'superadmin' AND $2 = 'active') \
               OR EXISTS (SELECT 1 FROM users other \
                          WHERE other.organisation_id = users.organisation_id \
                          AND other.id <> users.id AND other.role = 'superadmin' \
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
                sqlx::query_as("SELECT role, status FROM users WHERE id = $1")
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
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(change.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE invitations SET revoked_at = $1 WHERE invited_by = $2 \
                 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(Timestamp(change.now))
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
            "SELECT email FROM users WHERE organisation_id = $1 \
             AND role IN ('superadmin', 'admin') AND status = 'active' \
             AND email_confirmed_at IS NOT NULL",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// `Conflict(UserEmail)` when the address is taken.
pub(super) async fn insert_user(conn: &mut PgConnection, user: &User) -> StoreResult<()> {
    sqlx::query(
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
    .execute(conn)
    .await
    .map_err(conflict)?;
    Ok(())
}

async fn insert_confirmation(conn: &mut PgConnection, c: &Confirmation) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO email_confirmations (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&c.token_hash)
    .bind(&c.user_id)
    .bind(Timestamp(c.created_at))
    .bind(Timestamp(c.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Confirmations for PgStore {
    async fn get(&self, token_hash: &[u8]) -> StoreResult<Option<Confirmation>> {
        Ok(
            sqlx::query_as("SELECT * FROM email_confirmations WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn confirm(&self, token_hash: &[u8], user: &UserId, now: i64) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let used = sqlx::query(
            "UPDATE email_confirmations SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL",
        )
        .bind(Timestamp(now))
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE users SET email_confirmed_at = COALESCE(email_confirmed_at, $1), \
             last_sign_in_at = $1 WHERE id = $2",
        )
        .bind(Timestamp(now))
        .bind(user)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn replace(&self, confirmation: &Confirmation, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE email_confirmations SET expires_at = LEAST(expires_at, $1) \
             WHERE user_id = $2 AND used_at IS NULL",
        )
        .bind(Timestamp(now))
        .bind(&confirmation.user_id)
        .execute(&mut *tx)
        .await?;
        insert_confirmation(&mut tx, confirmation).await?;
        tx.commit().await?;
        Ok(())
    }
}
