//! The one error type of the API. Every failure, including axum's own body
//! rejections, renders as the contract's `ErrorBody`; internal errors are
//! logged with the request's span (which carries its id) and never shown.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_contract::{ErrorBody, ErrorCode, FieldErrors};

use crate::store::{Constraint, StoreError};

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<u64>,
    source: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody::new(code, message),
            retry_after: None,
            source: None,
        }
    }

    pub fn validation(errors: FieldErrors) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
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
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "Your session has ended. Sign in again.",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let secs = retry_after_secs.max(1);
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("Too many attempts. Try again in {}.", human_duration(secs)),
        );
        e.retry_after = Some(secs);
        e
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Something went wrong on our side. Try again; if it keeps happening, contact support.",
        );
        e.source = Some(source.into());
        e
    }

    /// The same error (fields, `Retry-After`) under another status, code and message.
    pub fn with_status(
        mut self,
        status: StatusCode,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        self.status = status;
        self.body.code = code;
        self.body.message = message.into();
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
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
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                "This address already has an account. Sign in instead.",
            ),
            StoreError::Conflict(Constraint::Other) => Self::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                "Something changed meanwhile. Reload the page and try again.",
            ),
            StoreError::Database(e) => Self::internal(e),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        use JsonRejection::*;
        match rejection {
            JsonSyntaxError(_) => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedJson,
                "The request body is not valid JSON.",
            ),
            JsonDataError(e) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidBody,
                describe_data_error(&e.body_text()),
            ),
            MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "Send the request body as application/json.",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "The request body is too large.",
            ),
            other => Self::new(
                other.status(),
                ErrorCode::InvalidBody,
                "The request body could not be read.",
            ),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
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
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
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
