//! The store's rows as the contract's wire types, where several use cases
//! (and the session extractor) answer with the same one.

use portal_contract::accounts::{OrganisationOut, SessionOut, UserOut};

use crate::store::organisations::Organisation;
use crate::store::users::User;

pub fn user_out(user: &User) -> UserOut {
    UserOut {
        id: user.id.clone(),
        email: user.email.clone(),
        full_name: user.full_name.clone(),
        role: user.role,
        created_at: user.created_at,
    }
}

pub fn organisation_out(org: &Organisation) -> OrganisationOut {
    OrganisationOut {
        id: org.id.clone(),
        name: org.name.clone(),
        status: org.status,
        created_at: org.created_at,
    }
}

pub fn session_out(user: &User, org: &Organisation, expires_at: i64) -> SessionOut {
    SessionOut {
        user: user_out(user),
        organisation: organisation_out(org),
        expires_at,
    }
}
