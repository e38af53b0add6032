//! Extractors whose rejections are the API's own error, so a malformed body
//! gets the same JSON error shape as everything else.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_contract::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Failure};

/// `axum::Json` with [`ApiError`] as its rejection, for bodies that are
/// JSON objects: every request body of the API is one, and serde would
/// otherwise read a struct from an array (`[]` as a patch that changes
/// nothing).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                Failure::UnsupportedMediaType,
                ErrorCode::UnsupportedMediaType,
                "Send the request body as application/json.",
            ));
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        Failure::TooLarge,
                        ErrorCode::PayloadTooLarge,
                        "The request body is too large.",
                    )
                } else {
                    ApiError::new(
                        Failure::of_status(rejection.status()),
                        ErrorCode::InvalidBody,
                        "The request body could not be read.",
                    )
                }
            })?;
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok()
        {
            return Err(ApiError::new(
                Failure::Invalid,
                ErrorCode::InvalidBody,
                "The request body must be a JSON object.",
            ));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&body)?;
        Ok(Json(value))
    }
}

/// `application/json`, or a `+json` type, as `axum::Json` accepts.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(Ok(value)) = headers.get(header::CONTENT_TYPE).map(|v| v.to_str()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` with [`ApiError`] as its rejection.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
