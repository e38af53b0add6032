//! The team's members: the list, and role and status changes behind the
//! PIN, with the rule that an organisation keeps an active superadmin.

use portal_contract::ids::{OrganisationId, UserId};
use portal_contract::team::{MemberListQuery, MemberOut, MemberPage, MemberPatch, MemberStatus};
use portal_contract::webhooks::PortalEvent;
use portal_contract::{ErrorCode, Permission, Role};

use super::events::member_event;
use super::finders::find;
use super::work::Work;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, Failure};
use crate::state::AppState;
use crate::step_up;
use crate::store::events::NewEvent;
use crate::store::users::{self, User};
use crate::store::{invitations, organisations, sessions};

pub(super) fn conflict(message: &str) -> ApiError {
    ApiError::new(Failure::Conflict, ErrorCode::Conflict, message)
}

fn last_superadmin() -> ApiError {
    conflict(
        "This is the organisation's last active superadmin. Make someone else a superadmin first.",
    )
}

pub fn member_out(user: &User) -> MemberOut {
    MemberOut {
        id: user.id.clone(),
        email: user.email.clone(),
        full_name: user.full_name.clone(),
        role: user.role,
        status: user.status,
        last_sign_in_at: user.last_sign_in_at,
        created_at: user.created_at,
    }
}

pub async fn list_members(
    state: &AppState,
    current: &CurrentUser,
    query: MemberListQuery,
) -> ApiResult<MemberPage> {
    query.validate().map_err(ApiError::validation)?;
    let (users, total) = users::member_page(&state.store, &current.org.id, &query).await?;
    Ok(MemberPage {
        items: users.iter().map(member_out).collect(),
        total,
        page: query.page(),
        per_page: query.per_page(),
    })
}

/// Whether the organisation keeps an active superadmin when a member who is
/// `before` (role, status) becomes `after`, with `active_superadmins` now.
fn keeps_a_superadmin(
    active_superadmins: i64,
    before: (Role, MemberStatus),
    after: (Role, MemberStatus),
) -> bool {
    let counts = |(role, status): (Role, MemberStatus)| {
        i64::from(role == Role::Superadmin && status == MemberStatus::Active)
    };
    active_superadmins - counts(before) + counts(after) >= 1
}

/// A change of a member's role or status.
#[derive(Debug, Clone)]
pub struct MemberChange<'a> {
    pub org: &'a OrganisationId,
    pub id: &'a UserId,
    /// The role and status the actor saw, which the change was checked
    /// against: it applies only if they still are.
    pub seen_role: Role,
    pub seen_status: MemberStatus,
    /// The new role and status; deactivation ends their sessions and
    /// revokes the invitations they sent, at `now`.
    pub role: Role,
    pub status: MemberStatus,
    pub now: i64,
    /// `member.removed`, when they were active and are deactivated now.
    pub event: Option<&'a NewEvent>,
}

/// What `change_member` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChanged {
    Changed,
    /// The member's role or status is no longer what the actor saw.
    Stale,
    /// It would leave the organisation without an active superadmin.
    LastSuperadmin,
}

/// Applies a member change in one unit of work, unless the member is no
/// longer as the actor saw them, or it would leave the organisation without
/// an active superadmin (two superadmins demoting each other at once can't
/// both succeed): nothing changes then.
pub async fn change_member(state: &AppState, change: MemberChange<'_>) -> ApiResult<MemberChanged> {
    let seen = (change.seen_role, change.seen_status);
    let mut work = Work::begin(state).await?;
    // One member change of an organisation at a time: the rule below holds
    // until the commit.
    organisations::lock(work.tx(), change.org).await?;
    let member = users::member(work.tx(), change.org, change.id).await?;
    if member.is_none_or(|m| (m.role, m.status) != seen) {
        return Ok(MemberChanged::Stale);
    }
    let superadmins = users::count_active_superadmins(work.tx(), change.org).await?;
    if !keeps_a_superadmin(superadmins, seen, (change.role, change.status)) {
        return Ok(MemberChanged::LastSuperadmin);
    }
    users::set_role_and_status(work.tx(), change.id, change.role, change.status).await?;
    if change.status == MemberStatus::Deactivated {
        // Their open pages are sent to sign in on their next request, and
        // their invitations stop working.
        sessions::delete_for_user(work.tx(), change.id, None).await?;
        invitations::revoke_sent_by(work.tx(), change.id, change.now).await?;
    }
    if let Some(event) = change.event {
        work.publish(event).await?;
    }
    work.commit().await?;
    Ok(MemberChanged::Changed)
}

/// A role change, a deactivation or a reactivation, behind the PIN.
pub async fn update_member(
    state: &AppState,
    current: &CurrentUser,
    id: &UserId,
    input: MemberPatch,
) -> ApiResult<MemberOut> {
    let target: User = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;

    let touches_superadmin =
        target.role == Role::Superadmin || input.role == Some(Role::Superadmin);
    if touches_superadmin && !current.user.role.can(Permission::ManageOrganisation) {
        return Err(ApiError::forbidden(
            "Only a superadmin can change a superadmin.",
        ));
    }
    if target.id == current.user.id && input.status == Some(MemberStatus::Deactivated) {
        return Err(conflict(
            "You can't deactivate yourself. Ask another admin.",
        ));
    }
    let seen = (target.role, target.status);
    let role = input.role.unwrap_or(target.role);
    let status = input.status.unwrap_or(target.status);
    // Said before the PIN is asked for; checked again below, where it holds.
    let superadmins = users::count_active_superadmins(&state.store, &current.org.id).await?;
    if !keeps_a_superadmin(superadmins, seen, (role, status)) {
        return Err(last_superadmin());
    }
    step_up::verify_pin(state, &current.user, &input.pin).await?;

    let now = state.now();
    let deactivated = status == MemberStatus::Deactivated;
    let event = (deactivated && target.is_active())
        .then(|| member_event(PortalEvent::MemberRemoved, &target, role, now));
    let changed = change_member(
        state,
        MemberChange {
            org: &current.org.id,
            id: &target.id,
            seen_role: target.role,
            seen_status: target.status,
            role,
            status,
            now,
            event: event.as_ref(),
        },
    )
    .await?;
    match changed {
        MemberChanged::Changed => {}
        MemberChanged::LastSuperadmin => return Err(last_superadmin()),
        MemberChanged::Stale => {
            return Err(conflict(
                "This member was changed by someone else meanwhile. Reload to see their role and status now.",
            ));
        }
    }
    tracing::info!(actor = %current.user.id, member = %target.id, role = ?input.role,
        status = ?input.status, "member changed");
    let updated: User = find(state, current, &target.id).await?;
    Ok(member_out(&updated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organisation_keeps_an_active_superadmin() {
        let active = |role| (role, MemberStatus::Active);
        let superadmin = active(Role::Superadmin);
        let gone = (Role::Superadmin, MemberStatus::Deactivated);
        assert!(!keeps_a_superadmin(1, superadmin, active(Role::Admin)));
        assert!(!keeps_a_superadmin(1, superadmin, gone));
        assert!(keeps_a_superadmin(2, superadmin, active(Role::Admin)));
        assert!(keeps_a_superadmin(1, superadmin, superadmin));
        assert!(keeps_a_superadmin(
            1,
            active(Role::Admin),
            active(Role::Viewer)
        ));
        assert!(keeps_a_superadmin(0, active(Role::Admin), superadmin));
    }
}
