//! The UI kit: form fields, alerts, toasts, history. It imports no page.

pub mod alert;
pub mod copy;
pub mod field;
pub mod history;
pub mod toast;
