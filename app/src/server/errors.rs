//! Turning server-side failures into `AppError`s: the details go to the log under a reference
//! id, the staff member sees only the reference.

use crate::error::AppError;

/// Logs an unexpected failure and returns the `AppError::Internal` that names its reference:
/// the request's id (also in its `x-request-id` header and on its log lines), or a fresh one
/// outside a request.
pub fn internal(context: &str, err: impl std::fmt::Display) -> AppError {
    let reference = super::http::request_trace::current()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_string());
    tracing::error!(reference = %reference, "{context}: {err}");
    AppError::Internal(reference)
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        internal("database", err)
    }
}

/// What staff read when a change was sent but CMR's answer never came, and nothing could be
/// re-read to tell what happened.
pub const OUTCOME_UNKNOWN: &str = "Outcome unknown: CMR did not confirm whether the change was \
     applied. Check the record before trying again; sending it again could apply it twice.";

/// What a staff member sees for each way a CMR call can fail. CMR's own message is shown
/// where it is about the request (validation, conflicts); never for server or network faults.
impl From<cmr::CmrError> for AppError {
    fn from(err: cmr::CmrError) -> Self {
        use cmr::CmrError as E;
        match err {
            E::Timeout | E::Network { .. } | E::Server { .. } => {
                tracing::warn!(error = %err, "CMR unavailable");
                AppError::Unavailable
            }
            E::Busy { .. } => AppError::Busy,
            E::OutcomeUnknown { .. } => {
                tracing::warn!(error = %err, "CMR write outcome unknown");
                AppError::OutcomeUnknown(OUTCOME_UNKNOWN.into())
            }
            E::RateLimited { retry_after, .. } => {
                AppError::RateLimited(retry_after.map_or(5, |d| d.as_secs().max(1)))
            }
            E::Unauthorized { .. } => {
                tracing::error!("CMR refused the API key");
                AppError::Misconfigured
            }
            E::Forbidden { message } => AppError::Rejected(message),
            E::NotFound { .. } => AppError::NotFound,
            E::Conflict {
                message,
                field: Some(field),
                ..
            }
            | E::Validation {
                message,
                field: Some(field),
                ..
            } => AppError::invalid(&field, message),
            E::Conflict { message, .. } | E::Validation { message, .. } => {
                AppError::Rejected(message)
            }
            E::PaymentRequired { .. } => AppError::Rejected(
                "The partner wallet does not cover this; top it up in the CMR partner dashboard."
                    .into(),
            ),
            other @ (E::UnexpectedResponse { .. } | E::InvalidRequest { .. }) => {
                internal("CMR", other)
            }
        }
    }
}
