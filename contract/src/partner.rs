//! The partner API's wire types: the OAuth2 token endpoint (RFC 6749
//! client_credentials) and `/v1/whoami`. Errors here follow RFC 6749 §5.2 and
//! RFC 6750 (`{error, error_description}`), as OAuth2 clients expect.

use serde::{Deserialize, Serialize};

use crate::ids::{CredentialId, OrganisationId, ProjectId};
use crate::projects::Environment;

/// Seconds an access token lives.
pub const TOKEN_TTL_SECS: i64 = 1800;
/// The only grant the token endpoint knows.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// `POST /v1/auth/token` as a JSON or form body. The client id and secret may
/// come in the body or in HTTP Basic instead.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRequest {
    /// Only `client_credentials` (400 `unsupported_grant_type` otherwise;
    /// `invalid_request` without one).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, required = true, pattern = "^client_credentials$")
    )]
    pub grant_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Space-separated scopes, narrowing the credential's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

crate::redacted_debug!(TokenRequest { grant_type, client_id, scope } secret { client_secret });

/// A successful token response.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenOut {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: i64,
    pub scope: String,
}

crate::redacted_debug!(TokenOut { token_type, expires_in, scope } secret { access_token });

/// RFC 6749 §5.2 / RFC 6750 §3 error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type`,
    /// `invalid_scope`, `invalid_token`, `insufficient_scope` or `rate_limited`.
    pub error: String,
    pub error_description: String,
}

/// `GET /v1/whoami`: who the bearer token is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhoamiOut {
    pub organisation: WhoamiOrganisation,
    pub project: WhoamiProject,
    pub credential: WhoamiCredential,
    /// The token's scopes.
    pub scopes: Vec<crate::credentials::Scope>,
    /// When the token expires (Unix seconds).
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhoamiOrganisation {
    pub id: OrganisationId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhoamiProject {
    pub id: ProjectId,
    pub name: String,
    pub environment: Environment,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhoamiCredential {
    pub id: CredentialId,
    pub description: String,
}
