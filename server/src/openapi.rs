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
        (name = "credentials", description = "API credentials: created, rolled and revoked behind the PIN"),
        (name = "webhooks", description = "Webhook endpoints, signing secrets, test events and the delivery log"),
        (name = "partner", description = "The partner API: OAuth2 client_credentials tokens (EdDSA JWTs) and what they unlock"),
    ),
    components(schemas(portal_contract::ErrorBody, portal_contract::ErrorCode)),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

/// The partner API's `bearer` security scheme: access tokens from `/v1/auth/token`.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
