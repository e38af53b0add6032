//! Finding what a request names, within the caller's organisation: another
//! organisation's id answers 404, exactly as an id that doesn't exist, so an
//! id says nothing about who else uses the portal. Every use case finds
//! through `find`.

use std::future::Future;
use std::pin::Pin;

use portal_contract::ids::{
    CredentialId, DeliveryId, InvitationId, OrganisationId, ProjectId, UserId, WebhookId,
};

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::credentials::{self, Credential};
use crate::store::delivery_log::{self, DeliveryDetail};
use crate::store::invitations::{self, InvitationRow};
use crate::store::projects::{self, Project};
use crate::store::users::{self, User};
use crate::store::webhooks::{self, Webhook};
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

impl Scoped for Project {
    type Id = ProjectId;
    const MISSING: &'static str = "There is no such project in your organisation.";

    fn get<'a>(store: &'a Store, org: &'a OrganisationId, id: &'a ProjectId) -> Lookup<'a, Self> {
        Box::pin(projects::get(store, org, id))
    }
}

impl Scoped for Credential {
    type Id = CredentialId;
    const MISSING: &'static str = "There is no such credential in your organisation.";

    fn get<'a>(
        store: &'a Store,
        org: &'a OrganisationId,
        id: &'a CredentialId,
    ) -> Lookup<'a, Self> {
        Box::pin(credentials::get(store, org, id))
    }
}

impl Scoped for Webhook {
    type Id = WebhookId;
    const MISSING: &'static str = "There is no such webhook endpoint in your organisation.";

    fn get<'a>(store: &'a Store, org: &'a OrganisationId, id: &'a WebhookId) -> Lookup<'a, Self> {
        Box::pin(webhooks::get(store, org, id))
    }
}

impl Scoped for User {
    type Id = UserId;
    const MISSING: &'static str = "There is no such member in your organisation.";

    fn get<'a>(store: &'a Store, org: &'a OrganisationId, id: &'a UserId) -> Lookup<'a, Self> {
        Box::pin(users::member(store, org, id))
    }
}

impl Scoped for InvitationRow {
    type Id = InvitationId;
    const MISSING: &'static str = "There is no such invitation in your organisation.";

    fn get<'a>(
        store: &'a Store,
        org: &'a OrganisationId,
        id: &'a InvitationId,
    ) -> Lookup<'a, Self> {
        Box::pin(invitations::get(store, org, id))
    }
}

impl Scoped for DeliveryDetail {
    type Id = DeliveryId;
    const MISSING: &'static str = "There is no such delivery in your organisation.";

    fn get<'a>(store: &'a Store, org: &'a OrganisationId, id: &'a DeliveryId) -> Lookup<'a, Self> {
        Box::pin(delivery_log::get(store, org, id))
    }
}
