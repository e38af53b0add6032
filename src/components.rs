//! Building blocks shared by the pages.

pub mod copy;
pub mod field;
pub mod form;
pub mod load_error;
pub mod menu;
pub mod modal;
pub mod progress;
pub mod resend_link;
pub mod select;
pub mod table;
pub mod text;
pub mod toast;
