//! The partner API: the OAuth2 token endpoint (RFC 6749 client_credentials),
//! the JWKS that publishes the token signing key, and `/v1/whoami`.
//!
//! Errors here are RFC 6749 §5.2 / RFC 6750 bodies (`{error,
//! error_description}`), which OAuth2 client libraries understand.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::credentials::Scope;
use portal_contract::ids::{CredentialId, OrganisationId, ProjectId};
use portal_contract::partner::{
    CLIENT_CREDENTIALS, OAuthError, TOKEN_TTL_SECS, TokenOut, TokenRequest, WhoamiCredential,
    WhoamiOrganisation, WhoamiOut, WhoamiProject,
};
use portal_contract::projects::Environment;
use portal_contract::webhooks::{EventIn, EventOut, PAYLOAD_MAX, event_type};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::crypto;
use crate::db::{self, credentials::Caller};
use crate::limits;
use crate::state::AppState;
use crate::tokens::{AUDIENCE, Claims};
use crate::webhooks::events::{self, Audience};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_token))
        .routes(routes!(jwks))
        .routes(routes!(whoami))
        .routes(routes!(publish_event))
}

/// An RFC 6749 / RFC 6750 error answer.
#[derive(Debug)]
pub struct OAuthFailure {
    status: StatusCode,
    body: OAuthError,
    challenge: Option<String>,
    retry_after: Option<u64>,
}

impl OAuthFailure {
    fn new(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Self {
            status,
            body: OAuthError {
                error: error.into(),
                error_description: description.into(),
            },
            challenge: None,
            retry_after: None,
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// One answer for an unknown client id, a wrong secret, and a revoked or
    /// expired credential, so none can be told from another.
    fn invalid_client() -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client id or secret is wrong, or the credential was revoked or has expired.",
        );
        e.challenge = Some(format!("Basic realm=\"{AUDIENCE}\""));
        e
    }

    fn invalid_token(description: &str) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description);
        e.challenge = Some(format!(
            "Bearer realm=\"{AUDIENCE}\", error=\"invalid_token\", error_description=\"{description}\""
        ));
        e
    }

    /// 429 for too many `what` ("token requests", "events").
    fn rate_limited(what: &str, secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "Too many {what}. Try again in {secs} second{}.",
                if secs == 1 { "" } else { "s" }
            ),
        );
        e.retry_after = Some(secs);
        e
    }

    /// 413: an event's data over `PAYLOAD_MAX`, or a body over the API's limit.
    fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "The event is too large: its data may be at most {} KB of JSON.",
                PAYLOAD_MAX / 1024
            ),
        )
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error on the partner API");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Something went wrong on our side. Try again.",
        )
    }
}

impl From<sqlx::Error> for OAuthFailure {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge.and_then(|c| HeaderValue::try_from(c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}

/// Client ids we issue are short; longer ones are refused before they can
/// fill the rate limiter's table.
const CLIENT_ID_MAX: usize = 64;

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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthFailure> {
    limits::wait(&state.limits.token_by_ip, peer.ip().to_string())
        .map_err(|secs| OAuthFailure::rate_limited("token requests", secs))?;
    let body = body.map_err(|e| {
        OAuthFailure::new(
            e.status(),
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
                StatusCode::BAD_REQUEST,
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
    if client_id.len() > CLIENT_ID_MAX {
        return Err(OAuthFailure::invalid_client());
    }
    limits::wait(&state.limits.token_by_client, client_id.as_str())
        .map_err(|secs| OAuthFailure::rate_limited("token requests", secs))?;

    // The same work whether the client id exists or not: hash, one indexed read.
    let grant = db::credentials::grant_for_secret(&state.db, &crypto::token_hash(&secret)).await?;
    let now = state.now();
    let grant = grant
        .filter(|g| crypto::same(g.credential_id.as_bytes(), client_id.as_bytes()))
        .filter(|g| g.revoked_at.is_none())
        .filter(|g| g.expires_at.is_none_or(|e| e > now))
        .filter(|g| g.secret_expires_at.is_none_or(|e| e > now))
        .filter(|g| g.organisation_status == OrganisationStatus::Approved.as_str())
        .ok_or_else(OAuthFailure::invalid_client)?;

    let allowed = Scope::parse_list(&grant.scopes).unwrap_or_default();
    let scopes = match request.scope.as_deref() {
        None => allowed.clone(),
        Some(asked) => {
            let asked = Scope::parse_list(asked).ok_or_else(|| {
                OAuthFailure::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "Unknown scope: use read, write, or both.",
                )
            })?;
            if asked.is_empty() {
                allowed.clone()
            } else if asked.iter().all(|s| allowed.contains(s)) {
                asked
            } else {
                return Err(OAuthFailure::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    format!(
                        "This credential may only ask for: {}.",
                        Scope::join(&allowed)
                    ),
                ));
            }
        }
    };
    let scope = Scope::join(&scopes);
    let claims = Claims {
        iss: state.signer.issuer().to_owned(),
        sub: grant.credential_id.clone(),
        aud: AUDIENCE.into(),
        client_id: grant.credential_id.clone(),
        org: grant.organisation_id,
        prj: grant.project_id,
        scope: scope.clone(),
        iat: now,
        exp: now + TOKEN_TTL_SECS,
        jti: crypto::new_id("tok_"),
    };
    let access_token = state.signer.sign(&claims);
    state.usage.token_issued(&grant.credential_id, now);
    let mut response = axum::Json(TokenOut {
        access_token,
        token_type: "Bearer".into(),
        expires_in: TOKEN_TTL_SECS,
        scope,
    })
    .into_response();
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

/// The caller of a partner API endpoint: a valid access token whose
/// credential still works, checked on every call so a revoke takes effect at once.
pub struct Partner {
    pub claims: Claims,
    pub caller: Caller,
}

impl Partner {
    pub fn scopes(&self) -> Vec<Scope> {
        Scope::parse_list(&self.claims.scope).unwrap_or_default()
    }
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
        let now = state.now();
        let claims = state
            .signer
            .verify(token.trim(), now)
            .map_err(|r| OAuthFailure::invalid_token(r.description()))?;
        let caller = db::credentials::caller(&state.db, &claims.sub).await?;
        let caller = match caller {
            None => {
                return Err(OAuthFailure::invalid_token(
                    "The credential behind this access token was deleted with its project.",
                ));
            }
            Some(c) if c.revoked_at.is_some() => {
                return Err(OAuthFailure::invalid_token(
                    "The credential behind this access token was revoked.",
                ));
            }
            Some(c) if c.expires_at.is_some_and(|e| e <= now) => {
                return Err(OAuthFailure::invalid_token(
                    "The credential behind this access token has expired.",
                ));
            }
            Some(c) if c.organisation_status != OrganisationStatus::Approved.as_str() => {
                return Err(OAuthFailure::invalid_token(
                    "The organisation behind this access token is not approved or is suspended.",
                ));
            }
            Some(c) => c,
        };
        state.usage.called(&caller.credential_id, now);
        Ok(Self { claims, caller })
    }
}

/// Who the bearer token is.
#[utoipa::path(get, path = "/v1/whoami", tag = "partner",
    security(("bearer" = [])),
    responses((status = 200, body = WhoamiOut),
        (status = 401, body = OAuthError, description = "Missing, malformed, expired, foreign-signed or revoked token")))]
async fn whoami(partner: Partner) -> axum::Json<WhoamiOut> {
    let scopes = partner.scopes();
    let Partner { claims, caller } = partner;
    axum::Json(WhoamiOut {
        organisation: WhoamiOrganisation {
            id: OrganisationId(caller.organisation_id),
            name: caller.organisation_name,
        },
        project: WhoamiProject {
            id: ProjectId(caller.project_id),
            name: caller.project_name,
            environment: caller.environment.parse().unwrap_or(Environment::Sandbox),
        },
        credential: WhoamiCredential {
            id: CredentialId(caller.credential_id),
            description: caller.description,
        },
        scopes,
        expires_at: claims.exp,
    })
}

/// Publish an event to the project's endpoints that subscribe to its type.
/// Needs the `write` scope.
#[utoipa::path(post, path = "/v1/events", tag = "partner", request_body = EventIn,
    security(("bearer" = [])),
    responses((status = 202, body = EventOut, description = "Written; deliveries follow"),
        (status = 400, body = OAuthError, description = "invalid_request: malformed body, bad type, or data not an object"),
        (status = 401, body = OAuthError), (status = 403, body = OAuthError, description = "insufficient_scope"),
        (status = 413, body = OAuthError, description = "payload_too_large: data over 32 KB, or a body over 64 KB; nothing written"),
        (status = 429, body = OAuthError, description = "rate_limited: more events from this credential than PORTAL_EVENTS_PER_SECOND allows; see Retry-After")))]
async fn publish_event(
    State(state): State<AppState>,
    partner: Partner,
    body: Result<axum::Json<EventIn>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, axum::Json<EventOut>), OAuthFailure> {
    if !partner.scopes().contains(&Scope::Write) {
        let mut e = OAuthFailure::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "Publishing events needs a token with the write scope.",
        );
        e.challenge = Some(format!(
            "Bearer realm=\"{AUDIENCE}\", error=\"insufficient_scope\", scope=\"write\""
        ));
        return Err(e);
    }
    limits::wait(
        &state.limits.events_by_credential,
        partner.claims.sub.as_str(),
    )
    .map_err(|secs| OAuthFailure::rate_limited("events", secs))?;
    let axum::Json(input) = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return OAuthFailure::payload_too_large();
        }
        OAuthFailure::invalid_request(format!(
            "Send a JSON body {{\"type\": \"invoice.paid\", \"data\": {{…}}}}. {}",
            match e {
                axum::extract::rejection::JsonRejection::MissingJsonContentType(_) =>
                    "The Content-Type must be application/json.",
                _ => "This one could not be read.",
            }
        ))
    })?;
    event_type(&input.event_type).map_err(OAuthFailure::invalid_request)?;
    if !input.data.is_object() {
        return Err(OAuthFailure::invalid_request(
            "The data field must be a JSON object.",
        ));
    }
    if input.data.to_string().len() > PAYLOAD_MAX {
        return Err(OAuthFailure::payload_too_large());
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let published = events::publish(
        &mut tx,
        &partner.caller.organisation_id,
        Audience::Project(&partner.caller.project_id),
        &input.event_type,
        &input.data,
        now,
    )
    .await?;
    tx.commit().await?;
    state.deliverer.wake();
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(EventOut {
            id: portal_contract::ids::EventId(published.id),
            event_type: input.event_type,
            deliveries: published.deliveries as u32,
            created_at: now,
        }),
    ))
}
