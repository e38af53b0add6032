//! The signed-in session, shared by every page through context.

use leptos::prelude::*;
use portal_contract::accounts::SessionOut;
use portal_contract::{Permission, Role};

/// `None` until the session is known, or after sign-out.
#[derive(Clone, Copy)]
pub struct SessionContext(pub RwSignal<Option<SessionOut>>);

impl SessionContext {
    /// Whether the signed-in user's role has `permission` (the contract's table).
    pub fn can(&self, permission: Permission) -> bool {
        self.0
            .with(|s| s.as_ref().is_some_and(|s| s.user.role.can(permission)))
    }
}

impl SessionContext {
    /// Whether the signed-in user may invite, change or deactivate someone
    /// with `role` (admins manage everyone but superadmins).
    pub fn may_manage(&self, role: Role) -> bool {
        self.can(Permission::ManageTeam)
            && self
                .0
                .with(|s| s.as_ref().is_some_and(|s| s.user.role.may_grant(role)))
    }
}

pub fn provide_session_context() -> SessionContext {
    let context = SessionContext(RwSignal::new(None));
    provide_context(context);
    context
}

pub fn use_session() -> SessionContext {
    expect_context()
}
