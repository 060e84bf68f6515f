//! `AppError`: the one error type that crosses the wire. Every server function returns it, and
//! what it says is safe to show a staff member: no internals, no secrets.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: sign in (again).
    #[error("Your session has ended. Please sign in again.")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("Your role does not allow this action.")]
    Forbidden,
    #[error("That record no longer exists.")]
    NotFound,
    /// Input that failed validation: field name → message. The form shows each at its field.
    #[error("{}", first_message(.0))]
    Invalid(BTreeMap<String, String>),
    /// Someone else changed these fields differently while the form was open. Nothing was
    /// saved; the form shows both values so the staff member can choose.
    #[error("Someone else changed {} of these fields meanwhile. Nothing was saved: choose which value to keep.", .0.len())]
    EditConflict(Vec<crate::model::profile::FieldConflict>),
    /// Refused for a reason the staff member can act on (CMR's own message, or ours).
    #[error("{0}")]
    Rejected(String),
    /// CMR (or our own sign-in throttle) asks to wait this many seconds.
    #[error("Too many requests; try again in {0} s.")]
    RateLimited(u64),
    /// The dashboard itself is at capacity (password checks, or its queue of CMR calls). Nothing
    /// was sent or changed; trying again shortly works.
    #[error("The server is busy; nothing was changed. Try again in a few seconds.")]
    Busy,
    /// CMR did not answer in time or is down. Nothing was changed.
    #[error("CMR is unavailable right now; nothing was changed. Try again in a minute.")]
    Unavailable,
    /// A change was sent but CMR's answer never came (timeout, dropped connection, server
    /// error): it may or may not have been applied. The message says what a re-read found and
    /// asks staff to check before retrying; a blind retry could apply it twice.
    #[error("{0}")]
    OutcomeUnknown(String),
    /// The CMR API key was refused: only an admin can fix the configuration.
    #[error("CMR refused the dashboard's API key. An admin must check the CMR_API_KEY setting.")]
    Misconfigured,
    /// Anything else. The reference matches a line in the server log that holds the details.
    #[error("Something went wrong on our side (reference {0}).")]
    Internal(String),
}

fn first_message(fields: &BTreeMap<String, String>) -> String {
    match fields.len() {
        0 => "Please check the form.".to_string(),
        1 => fields.values().next().cloned().unwrap_or_default(),
        n => format!("Please correct the {n} highlighted fields."),
    }
}

impl AppError {
    /// A validation error on one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(BTreeMap::from([(field.to_string(), message.into())]))
    }

    /// The message for `field`, when this error is about that field.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(fields) => fields.get(field).cloned(),
            _ => None,
        }
    }

    /// The HTTP status a server function answers with for this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Invalid(_) => 422,
            AppError::Rejected(_) | AppError::EditConflict(_) => 409,
            AppError::RateLimited(_) | AppError::Busy => 429,
            AppError::Unavailable => 503,
            // The request may have done its work: not a plain failure, not a success.
            AppError::OutcomeUnknown(_) => 502,
            AppError::Misconfigured | AppError::Internal(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request itself was malformed (bad form data, wrong types).
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => AppError::Rejected(
                "The request was malformed; reload the page and try again.".into(),
            ),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Unavailable,
            _ => AppError::Internal("client".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_field_is_found_by_its_name() {
        let err = AppError::invalid("email", "Enter an email address.");
        assert_eq!(
            err.field("email").as_deref(),
            Some("Enter an email address.")
        );
        assert_eq!(err.to_string(), "Enter an email address.");
        assert_eq!(err.field("password"), None);
    }

    #[test]
    fn errors_survive_the_wire_encoding() {
        let err = AppError::RateLimited(30);
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }
}
