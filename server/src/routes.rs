//! The API's routes, one module per area; each exposes `router()` with its
//! handlers registered for both routing and the OpenAPI document.

pub mod accounts;
pub mod credentials;
pub mod endpoints;
pub mod health;
pub mod partner;
pub mod projects;
pub mod settings;
pub mod team;
