//! The errors of the API, and the one place they become HTTP answers. The
//! use cases say what went wrong in their own words (`Failure`, an error
//! code, a sentence); this module alone picks the status. Every failure,
//! including axum's own body rejections, renders as the contract's
//! `ErrorBody` on the portal API, and as an RFC 6749 body on the partner
//! API (`OAuthFailure`); internal errors are logged with the request's span
//! (which carries its id) and never shown.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_contract::partner::OAuthError;
use portal_contract::webhooks::PAYLOAD_MAX;
use portal_contract::{ErrorBody, ErrorCode, FieldErrors};

use crate::store::{Constraint, StoreError};
use crate::tokens::AUDIENCE;

/// What kind of failure, as a use case sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The request can't be read as asked.
    BadRequest,
    /// Nobody is signed in (or the credentials are wrong).
    Unauthenticated,
    /// Signed in, and not allowed to.
    Forbidden,
    /// Nothing with that id here.
    NotFound,
    /// The address exists, not for this method.
    MethodNotAllowed,
    /// What it would change is not in a state that allows it.
    Conflict,
    /// It worked once and doesn't any more (a used or expired link).
    Gone,
    /// Larger than allowed.
    TooLarge,
    /// Not sent as JSON.
    UnsupportedMediaType,
    /// The values break a rule.
    Invalid,
    /// Too many attempts; later.
    RateLimited,
    /// Too busy now; later.
    Unavailable,
    /// Ours.
    Internal,
}

impl Failure {
    /// The HTTP status of the failure.
    fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Gone => StatusCode::GONE,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The failure an axum rejection's status means.
    pub fn of_status(status: StatusCode) -> Self {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => Self::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Self::Invalid,
            s if s.is_server_error() => Self::Internal,
            _ => Self::BadRequest,
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    failure: Failure,
    body: ErrorBody,
    retry_after: Option<u64>,
    source: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(failure: Failure, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            failure,
            body: ErrorBody::new(code, message),
            retry_after: None,
            source: None,
        }
    }

    pub fn validation(errors: FieldErrors) -> Self {
        let mut e = Self::new(
            Failure::Invalid,
            ErrorCode::ValidationFailed,
            "Some fields need your attention.",
        );
        e.body.fields = Some(errors.0);
        e
    }

    /// A 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.check(field, Err(message.into()));
        Self::validation(errors)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Failure::NotFound, ErrorCode::NotFound, message)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            Failure::Unauthenticated,
            ErrorCode::Unauthenticated,
            "Your session has ended. Sign in again.",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Failure::Forbidden, ErrorCode::Forbidden, message)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let secs = retry_after_secs.max(1);
        let mut e = Self::new(
            Failure::RateLimited,
            ErrorCode::RateLimited,
            format!("Too many attempts. Try again in {}.", human_duration(secs)),
        );
        e.retry_after = Some(secs);
        e
    }

    /// 503: too many password checks at once on this instance; a second later.
    pub fn busy() -> Self {
        let mut e = Self::new(
            Failure::Unavailable,
            ErrorCode::Busy,
            "The portal is busy. Try again in a moment.",
        );
        e.retry_after = Some(1);
        e
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            Failure::Internal,
            ErrorCode::Internal,
            "Something went wrong on our side. Try again; if it keeps happening, contact support.",
        );
        e.source = Some(source.into());
        e
    }

    /// The same error (fields, `Retry-After`) as another failure, code and message.
    pub fn with(mut self, failure: Failure, code: ErrorCode, message: impl Into<String>) -> Self {
        self.failure = failure;
        self.body.code = code;
        self.body.message = message.into();
        self
    }

    pub fn failure(&self) -> Failure {
        self.failure
    }
}

/// Names the field a body failed on, without repeating its value: serde's
/// own text quotes the value, which may be a password or a PIN.
fn describe_data_error(text: &str) -> String {
    let text = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .unwrap_or(text);
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_owned);
    if let Some(field) = text.strip_prefix("missing field ").and_then(quoted) {
        return format!("The request body is missing the field `{field}`.");
    }
    match text.split_once(": ") {
        Some((path, problem)) if !path.contains(' ') => {
            if problem.starts_with("unknown variant") {
                format!("The field `{path}` has a value that isn't allowed.")
            } else if let Some(field) = problem.strip_prefix("missing field ").and_then(quoted) {
                format!("The request body is missing the field `{path}.{field}`.")
            } else {
                format!("The field `{path}` has the wrong type.")
            }
        }
        _ => "The request body has the wrong shape.".into(),
    }
}

fn human_duration(secs: u64) -> String {
    match secs {
        1 => "1 second".into(),
        s if s < 60 => format!("{s} seconds"),
        s if s < 120 => "1 minute".into(),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

/// The one place where the store's unique violations become answers.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(Constraint::ProjectName) => Self::field(
                "name",
                "Your organisation already has a project with this name.",
            ),
            StoreError::Conflict(Constraint::UserEmail) => Self::new(
                Failure::Conflict,
                ErrorCode::Conflict,
                "This address already has an account. Sign in instead.",
            ),
            StoreError::Conflict(Constraint::Other) => Self::new(
                Failure::Conflict,
                ErrorCode::Conflict,
                "Something changed meanwhile. Reload the page and try again.",
            ),
            StoreError::Database(e) => Self::internal(e),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        if e.downcast_ref::<crate::crypto::Busy>().is_some() {
            return Self::busy();
        }
        Self::internal(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        use JsonRejection::*;
        match rejection {
            JsonSyntaxError(_) => Self::new(
                Failure::BadRequest,
                ErrorCode::MalformedJson,
                "The request body is not valid JSON.",
            ),
            JsonDataError(e) => Self::new(
                Failure::Invalid,
                ErrorCode::InvalidBody,
                describe_data_error(&e.body_text()),
            ),
            MissingJsonContentType(_) => Self::new(
                Failure::UnsupportedMediaType,
                ErrorCode::UnsupportedMediaType,
                "Send the request body as application/json.",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                Failure::TooLarge,
                ErrorCode::PayloadTooLarge,
                "The request body is too large.",
            ),
            other => Self::new(
                Failure::of_status(other.status()),
                ErrorCode::InvalidBody,
                "The request body could not be read.",
            ),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(
            Failure::BadRequest,
            ErrorCode::InvalidBody,
            format!("The query string is not valid: {}", rejection.body_text()),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(source) = &self.source {
            tracing::error!(error = ?source, "internal error");
        }
        let mut response = (self.failure.status(), axum::Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// An RFC 6749 / RFC 6750 error answer.
#[derive(Debug)]
pub struct OAuthFailure {
    pub failure: Failure,
    pub body: OAuthError,
    pub challenge: Option<String>,
    pub retry_after: Option<u64>,
}

impl OAuthFailure {
    pub fn new(failure: Failure, error: &str, description: impl Into<String>) -> Self {
        Self {
            failure,
            body: OAuthError {
                error: error.into(),
                error_description: description.into(),
            },
            challenge: None,
            retry_after: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(Failure::BadRequest, "invalid_request", description)
    }

    /// One answer for an unknown client id, a wrong secret, and a revoked or
    /// expired credential, so none can be told from another.
    pub fn invalid_client() -> Self {
        let mut e = Self::new(
            Failure::Unauthenticated,
            "invalid_client",
            "The client id or secret is wrong, or the credential was revoked or has expired.",
        );
        e.challenge = Some(format!("Basic realm=\"{AUDIENCE}\""));
        e
    }

    pub fn invalid_token(description: &str) -> Self {
        let mut e = Self::new(Failure::Unauthenticated, "invalid_token", description);
        e.challenge = Some(format!(
            "Bearer realm=\"{AUDIENCE}\", error=\"invalid_token\", error_description=\"{description}\""
        ));
        e
    }

    /// 429 for too many `what` ("token requests", "events").
    pub fn rate_limited(what: &str, secs: u64) -> Self {
        let mut e = Self::new(
            Failure::RateLimited,
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
    pub fn payload_too_large() -> Self {
        Self::new(
            Failure::TooLarge,
            "payload_too_large",
            format!(
                "The event is too large: its data may be at most {} KB of JSON.",
                PAYLOAD_MAX / 1024
            ),
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error on the partner API");
        Self::new(
            Failure::Internal,
            "server_error",
            "Something went wrong on our side. Try again.",
        )
    }
}

impl From<StoreError> for OAuthFailure {
    fn from(e: StoreError) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        let mut response = (self.failure.status(), axum::Json(self.body)).into_response();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_errors_name_the_field_but_never_its_value() {
        let prefix = "Failed to deserialize the JSON body into the target type: ";
        let wrong_type = format!(
            "{prefix}pin: invalid type: integer `482915`, expected a string at line 1 column 12"
        );
        assert_eq!(
            describe_data_error(&wrong_type),
            "The field `pin` has the wrong type."
        );
        let missing = format!("{prefix}missing field `password` at line 1 column 20");
        assert_eq!(
            describe_data_error(&missing),
            "The request body is missing the field `password`."
        );
        let variant = format!(
            "{prefix}role: unknown variant `owner`, expected one of `superadmin`, `admin` at line 1"
        );
        assert_eq!(
            describe_data_error(&variant),
            "The field `role` has a value that isn't allowed."
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(42), "42 seconds");
        assert_eq!(human_duration(61), "1 minute");
        assert_eq!(human_duration(600), "10 minutes");
    }
}
