//! The UI kit: layout, form fields, alerts and toasts.

pub mod alert;
pub mod field;
pub mod layout;
pub mod toast;
