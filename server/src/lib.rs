//! Partner Portal server: the REST API under `/api` and `/v1`, and the app's
//! `dist/` with SPA fallback.

pub mod app;
pub mod auth;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod extract;
pub mod keyfile;
pub mod limits;
pub mod mail;
pub mod openapi;
#[cfg(test)]
mod redaction_tests;
pub mod routes;
pub mod security;
pub mod services;
pub mod spa;
pub mod state;
pub mod step_up;
pub mod store;
pub mod telemetry;
pub mod tokens;
pub mod usage;
pub mod webhooks;
