//! The OpenAPI 3 document's frame; every route adds its own operation through
//! `utoipa_axum::routes!`, so the document can't miss an endpoint.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Partner Portal API",
        description = "The portal API (cookie session, under /api) and the partner API (bearer token, under /v1). \
            Errors are `{code, message, fields?}`. State-changing /api requests need the header \
            `x-portal-request: 1` and a same-origin `Origin`."
    ),
    tags(
        (name = "meta", description = "Health and this document"),
        (name = "accounts", description = "Sign-up, confirmation and sessions"),
        (name = "settings", description = "The signed-in user's and the organisation's settings"),
        (name = "team", description = "Members, roles and invitations"),
        (name = "projects", description = "Projects and their environments"),
    ),
    components(schemas(portal_contract::ErrorBody, portal_contract::ErrorCode))
)]
pub struct ApiDoc;
