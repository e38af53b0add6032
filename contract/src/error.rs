//! The JSON error body every endpoint answers with, and its codes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `{ "code": "snake_case", "message": "human sentence", "fields": {…}? }`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Machine-readable reason.
    pub code: ErrorCode,
    /// A sentence a person can read; never internals.
    pub message: String,
    /// Per-field messages for validation failures, keyed by the request's field name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// Why a request failed. Unknown codes from a newer server read as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON.
    MalformedJson,
    /// The body is JSON but has missing fields or wrong types.
    InvalidBody,
    /// The body was not sent as `application/json`.
    UnsupportedMediaType,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// One or more fields failed validation; see `fields`.
    ValidationFailed,
    /// No session, or it expired.
    Unauthenticated,
    /// Email or password is wrong.
    InvalidCredentials,
    /// The account's email address has not been confirmed yet.
    EmailUnconfirmed,
    /// The account was deactivated by an admin.
    AccountDeactivated,
    /// The security PIN is wrong.
    InvalidPin,
    /// Too many wrong PINs; the PIN is locked for a while.
    PinLocked,
    /// The signed-in user's role may not do this.
    Forbidden,
    /// The organisation is not approved yet.
    OrgNotApproved,
    /// A state-changing request lacked the request header or came from another origin.
    CsrfCheckFailed,
    /// A link's token is unknown, used, revoked or expired.
    InvalidToken,
    /// The thing does not exist (or belongs to another organisation).
    NotFound,
    /// The method is not allowed on this path.
    MethodNotAllowed,
    /// The request conflicts with the current state.
    Conflict,
    /// Too many requests; see `Retry-After`.
    RateLimited,
    /// This instance is too busy right now (too many password checks at
    /// once); see `Retry-After`.
    Busy,
    /// A project or an organisation already has as many of something as it
    /// may (credentials, endpoints, projects); the message says how many.
    QuotaExceeded,
    /// Something went wrong on our side; the log has the request id.
    Internal,
    /// A code this version of the contract doesn't know.
    #[serde(other)]
    Unknown,
}

impl ErrorBody {
    /// An error without field messages.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_on_the_wire() {
        let body = ErrorBody::new(ErrorCode::MalformedJson, "Bad JSON.");
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(json, r#"{"code":"malformed_json","message":"Bad JSON."}"#);
    }

    #[test]
    fn unknown_codes_still_parse() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"code":"brand_new","message":"x","fields":{"a":"b"}}"#)
                .unwrap();
        assert_eq!(body.code, ErrorCode::Unknown);
        assert_eq!(body.fields.unwrap()["a"], "b");
    }
}
