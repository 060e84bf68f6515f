//! The UI kit: form fields, alerts, toasts, status badges, the pager, history. It imports no
//! page.

pub mod alert;
pub mod badge;
pub mod copy;
pub mod field;
pub mod history;
pub mod pager;
pub mod toast;
