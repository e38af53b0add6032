//! `invitations` in PostgreSQL.

use async_trait::async_trait;
use portal_contract::ids::{InvitationId, OrganisationId, UserId};

use super::users::insert_user;
use super::{PgStore, delete_unconfirmed, events};
use crate::store::events::NewEvent;
use crate::store::invitations::{Invitation, InvitationRow, Invitations};
use crate::store::users::User;
use crate::store::{StoreResult, Timestamp};

/// An invitation row with its inviter's name, then `$rest`.
macro_rules! select_row {
    ($rest:literal) => {
        concat!(
            "SELECT i.*, u.full_name AS invited_by_name FROM invitations i ",
            "JOIN users u ON u.id = i.invited_by ",
            $rest
        )
    };
}

#[async_trait]
impl Invitations for PgStore {
    async fn insert(&self, i: &Invitation) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO invitations (id, organisation_id, email, role, token_hash, invited_by, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&i.id)
        .bind(&i.organisation_id)
        .bind(&i.email)
        .bind(i.role)
        .bind(&i.token_hash)
        .bind(&i.invited_by)
        .bind(Timestamp(i.created_at))
        .bind(Timestamp(i.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list(&self, org: &OrganisationId) -> StoreResult<Vec<InvitationRow>> {
        Ok(sqlx::query_as(select_row!(
            "WHERE i.organisation_id = $1 ORDER BY i.created_at DESC, i.id DESC"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn get(
        &self,
        org: &OrganisationId,
        id: &InvitationId,
    ) -> StoreResult<Option<InvitationRow>> {
        Ok(
            sqlx::query_as(select_row!("WHERE i.organisation_id = $1 AND i.id = $2"))
                .bind(org)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn by_token(&self, token_hash: &[u8]) -> StoreResult<Option<InvitationRow>> {
        Ok(sqlx::query_as(select_row!("WHERE i.token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn live_exists(&self, org: &OrganisationId, email: &str, now: i64) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM invitations WHERE organisation_id = $1 \
             AND lower(email) = lower($2) AND accepted_at IS NULL AND revoked_at IS NULL \
             AND expires_at > $3)",
        )
        .bind(org)
        .bind(email)
        .bind(Timestamp(now))
        .fetch_one(&self.pool)
        .await?)
    }

    async fn renew(
        &self,
        id: &InvitationId,
        token_hash: &[u8],
        invited_by: &UserId,
        expires_at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE invitations SET token_hash = $1, invited_by = $2, expires_at = $3 \
             WHERE id = $4",
        )
        .bind(token_hash)
        .bind(invited_by)
        .bind(Timestamp(expires_at))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn revoke(&self, id: &InvitationId, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(Timestamp(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn accept(
        &self,
        id: &InvitationId,
        user: &User,
        now: i64,
        event: &NewEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        delete_unconfirmed(&mut tx, &user.email).await?;
        insert_user(&mut tx, user).await?;
        let accepted = sqlx::query(
            "UPDATE invitations SET accepted_at = $1, accepted_user_id = $2 \
             WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(Timestamp(now))
        .bind(&user.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if accepted.rows_affected() != 1 {
            return Ok(false);
        }
        events::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(true)
    }
}
