//! The partner API: the OAuth2 token endpoint (RFC 6749 client_credentials),
//! the JWKS that publishes the token signing key, `/v1/whoami` and
//! `/v1/events`. Errors are RFC 6749 §5.2 / RFC 6750 bodies.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portal_contract::partner::{CLIENT_CREDENTIALS, OAuthError, TokenOut, TokenRequest, WhoamiOut};
use portal_contract::webhooks::{EventIn, EventOut};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::client_address::ClientAddress;
use crate::error::{Failure, OAuthFailure};
use crate::services::partner::{self, Partner};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_token))
        .routes(routes!(jwks))
        .routes(routes!(whoami))
        .routes(routes!(publish_event))
}

/// Reads the parameters from a JSON or form body.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, OAuthFailure> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/json" => serde_json::from_slice(body).map_err(|_| {
            OAuthFailure::invalid_request(
                "The JSON body is malformed. Send {\"grant_type\": \"client_credentials\", \"client_id\": …, \"client_secret\": …}.",
            )
        }),
        "application/x-www-form-urlencoded" => serde_urlencoded::from_bytes(body).map_err(|_| {
            OAuthFailure::invalid_request(
                "The form body is malformed, or repeats a parameter.",
            )
        }),
        "" if body.is_empty() => Ok(TokenRequest::default()),
        _ => Err(OAuthFailure::invalid_request(
            "Send the parameters as application/x-www-form-urlencoded or application/json.",
        )),
    }
}

/// The client id and secret from HTTP Basic, if sent.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthFailure> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || {
        let mut e = OAuthFailure::invalid_client();
        e.body.error_description =
            "The Authorization header is malformed. Send Basic base64(client_id:client_secret)."
                .into();
        e
    };
    let encoded = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .ok_or_else(malformed)?;
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(malformed)?;
    // RFC 6749 §2.3.1 form-encodes both before base64; our ids and secrets
    // are [a-z0-9_] only, which that encoding leaves unchanged.
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(Some((id.to_owned(), secret.to_owned())))
}

/// Exchange a client id and secret for an access token (OAuth2 client_credentials).
#[utoipa::path(post, path = "/v1/auth/token", tag = "partner",
    request_body(content(
        (TokenRequest = "application/json"),
        (TokenRequest = "application/x-www-form-urlencoded"),
    ), description = "Client id and secret in the body, or in HTTP Basic instead"),
    responses((status = 200, body = TokenOut),
        (status = 400, body = OAuthError, description = "invalid_request, unsupported_grant_type or invalid_scope"),
        (status = 401, body = OAuthError, description = "invalid_client"),
        (status = 429, body = OAuthError, description = "Too many requests; see Retry-After")))]
async fn issue_token(
    State(state): State<AppState>,
    from: ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthFailure> {
    let body = body.map_err(|e| {
        OAuthFailure::new(
            Failure::of_status(e.status()),
            "invalid_request",
            "The request body could not be read; it may be too large.",
        )
    })?;
    let request = parse_body(&headers, &body)?;
    match request.grant_type.as_deref() {
        None => {
            return Err(OAuthFailure::invalid_request(
                "The grant_type parameter is missing. Send grant_type=client_credentials.",
            ));
        }
        Some(CLIENT_CREDENTIALS) => {}
        Some(_) => {
            return Err(OAuthFailure::new(
                Failure::BadRequest,
                "unsupported_grant_type",
                "Only the client_credentials grant is supported.",
            ));
        }
    }
    let in_body = match (request.client_id, request.client_secret) {
        (None, None) => None,
        (Some(id), Some(secret)) => Some((id, secret)),
        _ => {
            return Err(OAuthFailure::invalid_request(
                "Send both client_id and client_secret.",
            ));
        }
    };
    let (client_id, secret) = match (basic_credentials(&headers)?, in_body) {
        (Some(_), Some(_)) => {
            return Err(OAuthFailure::invalid_request(
                "Send the client credentials in the Authorization header or in the body, not both.",
            ));
        }
        (Some(c), None) | (None, Some(c)) => c,
        (None, None) => {
            let mut e = OAuthFailure::invalid_client();
            e.body.error_description =
                "The client id and secret are missing. Send them in the body or with HTTP Basic."
                    .into();
            return Err(e);
        }
    };
    let token =
        partner::issue_token(&state, from, &client_id, &secret, request.scope.as_deref()).await?;
    let mut response = axum::Json(token).into_response();
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The public keys that sign access tokens (JWK Set, RFC 7517).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "partner",
    responses((status = 200, description = "JWK Set with the Ed25519 key", content_type = "application/json")))]
async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = axum::Json(state.signer.jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

impl FromRequestParts<AppState> for Partner {
    type Rejection = OAuthFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, OAuthFailure> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or_else(|| {
                OAuthFailure::invalid_token(
                    "Send an access token from POST /v1/auth/token in the Authorization header: Bearer <token>.",
                )
            })?;
        partner::partner(state, token).await
    }
}

/// Who the bearer token is.
#[utoipa::path(get, path = "/v1/whoami", tag = "partner",
    security(("bearer" = [])),
    responses((status = 200, body = WhoamiOut),
        (status = 401, body = OAuthError, description = "Missing, malformed, expired, foreign-signed or revoked token")))]
async fn whoami(partner: Partner) -> axum::Json<WhoamiOut> {
    axum::Json(partner::whoami(partner))
}

/// Publish an event to the project's endpoints that subscribe to its type.
/// Needs the `write` scope.
#[utoipa::path(post, path = "/v1/events", tag = "partner", request_body = EventIn,
    security(("bearer" = [])),
    responses((status = 202, body = EventOut, description = "Written; deliveries follow"),
        (status = 400, body = OAuthError, description = "invalid_request: malformed body, bad type, or data not an object"),
        (status = 401, body = OAuthError), (status = 403, body = OAuthError, description = "insufficient_scope"),
        (status = 413, body = OAuthError, description = "payload_too_large: data over 32 KB, or a body over 64 KB; nothing written"),
        (status = 422, body = OAuthError, description = "quota_exceeded: the organisation keeps as many bytes of events as PORTAL_EVENT_STORAGE_MB allows; nothing written"),
        (status = 429, body = OAuthError, description = "rate_limited: more events from this credential than PORTAL_EVENTS_PER_SECOND allows; see Retry-After")))]
async fn publish_event(
    State(state): State<AppState>,
    partner: Partner,
    body: Result<axum::Json<EventIn>, JsonRejection>,
) -> Result<(StatusCode, axum::Json<EventOut>), OAuthFailure> {
    partner::may_publish(&state, &partner).await?;
    let axum::Json(input) = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return OAuthFailure::payload_too_large();
        }
        OAuthFailure::invalid_request(format!(
            "Send a JSON body {{\"type\": \"invoice.paid\", \"data\": {{…}}}}. {}",
            match e {
                JsonRejection::MissingJsonContentType(_) =>
                    "The Content-Type must be application/json.",
                _ => "This one could not be read.",
            }
        ))
    })?;
    let event = partner::publish(&state, &partner, input).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(event)))
}
