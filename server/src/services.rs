//! The use cases, between the HTTP handlers (`routes/`) and the storage
//! (`store/`): the organisation-scoped finders (another organisation's id is
//! a 404), the rules (approval, PIN, roles, the last superadmin), the unit of
//! work (write with its typed event, then wake the delivery worker), and the
//! mapping to the contract's wire types.

pub mod accounts;
pub mod credentials;
pub mod endpoints;
pub mod events;
pub mod finders;
pub mod invitations;
pub mod members;
pub mod partner;
pub mod projects;
pub mod quotas;
pub mod retention;
pub mod settings;
pub mod wire;
pub mod work;
