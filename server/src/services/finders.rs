//! Finding what a request names, within the caller's organisation: another
//! organisation's id answers 404, exactly as an id that doesn't exist, so an
//! id says nothing about who else uses the portal. Every use case finds
//! through `find`.

use std::future::Future;
use std::pin::Pin;

use portal_contract::ids::{
    CredentialId, DeliveryId, EndpointId, InvitationId, OrganisationId, ProjectId, UserId,
};

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::credentials::{self, Credential};
use crate::store::delivery_log::{self, DeliveryDetail};
use crate::store::endpoints::{self, Endpoint};
use crate::store::invitations::{self, InvitationRow};
use crate::store::projects::{self, Project};
use crate::store::users::{self, User};
use crate::store::{Store, StoreResult};

/// A lookup's future (boxed: trait methods return one type).
pub type Lookup<'a, T> = Pin<Box<dyn Future<Output = StoreResult<Option<T>>> + Send + 'a>>;

/// What belongs to an organisation and is found by its id.
pub trait Scoped: Sized + Send {
    type Id: Sync;

    /// What the 404 says.
    const MISSING: &'static str;

    /// The one with this id, if `org` has it.
    fn get<'a>(store: &'a Store, org: &'a OrganisationId, id: &'a Self::Id) -> Lookup<'a, Self>;
}

/// The caller's organisation's `T` with this id, or 404.
pub async fn find<T: Scoped>(state: &AppState, current: &CurrentUser, id: &T::Id) -> ApiResult<T> {
    T::get(&state.store, &current.org.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(T::MISSING))
}

/// `scoped!(Type, Id, lookup, "what the 404 says")`: `Type` is found by
/// `lookup(store, org, id)`.
macro_rules! scoped {
    ($($type:ty, $id:ty, $get:path, $missing:literal;)*) => {$(
        impl Scoped for $type {
            type Id = $id;
            const MISSING: &'static str = $missing;

            fn get<'a>(store: &'a Store, org: &'a OrganisationId, id: &'a $id) -> Lookup<'a, Self> {
                Box::pin($get(store, org, id))
            }
        }
    )*};
}

scoped! {
    Project, ProjectId, projects::get, "There is no such project in your organisation.";
    Credential, CredentialId, credentials::get, "There is no such credential in your organisation.";
    Endpoint, EndpointId, endpoints::get, "There is no such webhook endpoint in your organisation.";
    User, UserId, users::member, "There is no such member in your organisation.";
    InvitationRow, InvitationId, invitations::get, "There is no such invitation in your organisation.";
    DeliveryDetail, DeliveryId, delivery_log::get, "There is no such delivery in your organisation.";
}
