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
    components(schemas(
        portal_contract::ErrorBody,
        portal_contract::ErrorCode,
        // Named by the member list's query parameters, which don't add them.
        portal_contract::team::MemberSort,
        portal_contract::team::SortOrder,
    )),
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

/// What a created resource leads to: (the operation that creates it, its
/// status, where its id is in the answer, the operations that take that id
/// as `{id}`). The document's links, so a client or a fuzzer can chain
/// create → read → change → delete.
const LINKS: &[(&str, &str, &str, &[&str])] = &[
    (
        "create_project",
        "201",
        "/id",
        &[
            "get_project",
            "update_project",
            "delete_project",
            "list_credentials",
            "create_credential",
            "list_webhooks",
            "create_webhook",
        ],
    ),
    (
        "create_credential",
        "201",
        "/credential/id",
        &["roll_credential", "revoke_credential"],
    ),
    (
        "create_webhook",
        "201",
        "/webhook/id",
        &[
            "get_webhook",
            "update_webhook",
            "delete_webhook",
            "reveal_secret",
            "rotate_secret",
            "send_test",
            "list_deliveries",
        ],
    ),
    ("send_test", "201", "/id", &["get_delivery", "redeliver"]),
    (
        "create_invitation",
        "201",
        "/id",
        &["resend_invitation", "revoke_invitation"],
    ),
];

/// Adds the answers every operation of a kind can give, which the routes
/// don't each repeat: a body that isn't JSON (400), too large (413), not
/// sent as JSON (415) or of the wrong shape (422); a query string that
/// doesn't parse (400) or a value out of range (422); and, for a
/// state-changing `/api` call, a request that didn't come from the portal
/// (403). Each with the error body. Then the links of `LINKS`.
pub fn complete(mut document: utoipa::openapi::OpenApi) -> serde_json::Value {
    use utoipa::openapi::path::{HttpMethod, ParameterIn};

    for (path, item) in document.paths.paths.iter_mut() {
        let operations = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Delete, &mut item.delete),
            (HttpMethod::Patch, &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let mut answers: Vec<(&str, &str)> = Vec::new();
            if operation.request_body.is_some() {
                answers.extend([
                    ("400", "The body is not valid JSON (`malformed_json`)"),
                    ("413", "The body is too large (`payload_too_large`)"),
                    ("415", "The body is not sent as JSON (`unsupported_media_type`)"),
                    ("422", "The body has the wrong shape (`invalid_body`) or values (`validation_failed`)"),
                ]);
            }
            let has_query = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == ParameterIn::Query);
            if has_query {
                answers.extend([
                    ("400", "The query string doesn't parse (`invalid_body`)"),
                    ("422", "A query value is out of range (`validation_failed`)"),
                ]);
            }
            let changes = !matches!(method, HttpMethod::Get);
            if changes && path.starts_with("/api/") {
                answers.push((
                    "403",
                    "Not from the portal: no `x-portal-request` header or another `Origin` (`csrf_check_failed`)",
                ));
            }
            for (status, description) in answers {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            }
        }
    }
    let mut json = serde_json::to_value(&document).expect("the document serialises");
    add_links(&mut json);
    json
}

/// The links of `LINKS`, written into the JSON: utoipa 5.5 writes a link's
/// `operationId` as `operation_id`, which no client reads.
fn add_links(document: &mut serde_json::Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
    {
        let Some((_, status, id, targets)) = LINKS
            .iter()
            .find(|(from, ..)| operation["operationId"] == *from)
        else {
            continue;
        };
        let response = &mut operation["responses"][*status];
        assert!(response.is_object(), "{status}: no answer to link from");
        for target in *targets {
            response["links"][*target] = serde_json::json!({
                "operationId": target,
                "parameters": { "id": format!("$response.body#{id}") },
            });
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}
