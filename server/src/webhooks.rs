//! Webhooks: signing secrets kept encrypted, Standard Webhooks signatures,
//! events written with their deliveries in the caller's transaction, and the
//! worker that delivers them.

pub mod deliver;
pub mod events;
pub mod fairness;
pub mod health;
pub mod signing;
pub mod ssrf;
pub mod vault;
