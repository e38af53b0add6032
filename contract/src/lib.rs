//! Wire types shared by the portal app and server: one source of truth for the
//! shapes on the wire, the role → permission table and the validation rules.
//!
//! Timestamps are Unix seconds (`i64`), as in Stripe's API: cheap to carry and
//! formatted by the app in the user's locale.

pub mod accounts;
pub mod credentials;
#[cfg(feature = "sqlx")]
mod db_types;
pub mod error;
pub mod events;
pub mod ids;
pub mod pages;
pub mod partner;
pub mod projects;
#[doc(hidden)]
pub mod redact;
pub mod roles;
pub mod team;
pub mod validation;
pub mod webhooks;

pub use error::{ErrorBody, ErrorCode};
pub use roles::{Permission, Role};
pub use validation::FieldErrors;

/// Every state-changing `/api` request must carry this header (value
/// [`REQUEST_HEADER_VALUE`]). A cross-site form can't set custom headers, so
/// together with the same-origin `Origin` check it stops CSRF.
pub const REQUEST_HEADER: &str = "x-portal-request";
/// The value of [`REQUEST_HEADER`].
pub const REQUEST_HEADER_VALUE: &str = "1";
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "portal_session";
