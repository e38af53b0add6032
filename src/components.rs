//! Building blocks shared by the pages.

pub mod field;
pub mod form;
pub mod modal;
pub mod select;
pub mod toast;
