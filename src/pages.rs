//! One module per screen; `layout` is the frame of the signed-in pages.

pub mod confirm;
pub mod invite;
pub mod layout;
pub mod not_found;
pub mod overview;
pub mod project;
pub mod projects;
pub mod settings;
pub mod sign_in;
pub mod sign_up;
pub mod team;
pub mod webhook;
