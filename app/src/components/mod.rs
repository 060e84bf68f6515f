//! The UI kit: layout, form fields, alerts and toasts.

pub mod alert;
pub mod copy;
pub mod field;
pub mod history;
pub mod layout;
pub mod toast;
