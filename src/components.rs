//! Building blocks shared by the pages.

pub mod copy;
pub mod field;
pub mod form;
pub mod load_error;
pub mod modal;
pub mod resend_link;
pub mod select;
pub mod table;
pub mod toast;
