//! The one error type of the client.
//!
//! Every variant that comes from an answer keeps CMR's own `message` (safe to show staff).
//! Nothing here ever holds the API key, a request body or a URL with its query.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::types::ProfileField;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CmrError {
    /// A read's deadline passed. (A write that was sent and then timed out is
    /// [`CmrError::OutcomeUnknown`].)
    #[error("CMR did not answer in time")]
    Timeout,
    /// No HTTP answer: connection refused, reset or closed early. For a write, only when the
    /// connection could not be opened, so nothing was sent.
    #[error("could not reach CMR: {detail}")]
    Network { detail: String },
    /// The client's own pacing refused the call: CMR's per-key budget is taken by other calls
    /// from this dashboard (or CMR asked to slow down) until after the call's deadline, or too
    /// many calls are already waiting. Nothing was sent. `retry_after` is a hint.
    #[error("CMR is busy with other requests from this dashboard; try again in a few seconds")]
    Busy { retry_after: Duration },
    /// A write (POST, PUT, PATCH, DELETE) was sent but CMR did not confirm it: the deadline
    /// passed or the connection was lost after sending (`status: None`), or CMR answered 5xx
    /// (`status: Some(..)`). CMR may have applied it: check before sending it again.
    #[error("CMR did not confirm whether the change was applied")]
    OutcomeUnknown { status: Option<u16>, detail: String },
    /// HTTP 429. `retry_after` from the `Retry-After` header when given in seconds.
    #[error("CMR rate limit reached: {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// HTTP 401: the key is missing, wrong, or for the other environment.
    #[error("CMR rejected the API key: {message}")]
    Unauthorized { message: String },
    /// HTTP 403: the key is fine but the resource or operation is not allowed.
    #[error("CMR refused the operation: {message}")]
    Forbidden { message: String },
    /// HTTP 404.
    #[error("not found at CMR: {message}")]
    NotFound { message: String },
    /// HTTP 409, e.g. "Email already exists" (`field: Some("email")`), or a user that still
    /// has domains/mailboxes (`details: {domainCount, mailboxCount}`).
    #[error("CMR reported a conflict: {message}")]
    Conflict {
        message: String,
        field: Option<String>,
        details: Option<Value>,
    },
    /// HTTP 400/422 (and other 4xx): the request broke a rule. `field` is the camelCase field
    /// CMR named, when it named one.
    #[error("CMR rejected the request: {message}")]
    Validation {
        status: u16,
        message: String,
        field: Option<String>,
    },
    /// HTTP 402: the partner wallet cannot cover the charge.
    #[error("CMR wallet balance is insufficient: {message}")]
    PaymentRequired { message: String },
    /// HTTP 5xx to a read. (To a write it is [`CmrError::OutcomeUnknown`].)
    #[error("CMR server error (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    /// The body was not the JSON CMR documents.
    #[error("unexpected response from CMR (HTTP {status})")]
    UnexpectedResponse { status: u16 },
    /// The client could not be built or the request could not be encoded; nothing was sent.
    #[error("invalid CMR request: {message}")]
    InvalidRequest { message: String },
}

impl CmrError {
    /// Whether a GET may be sent again: timeouts of one attempt, connection failures, 5xx and
    /// 429. Writes are never retried automatically (a retried order is a double charge).
    pub fn is_retryable_get(&self) -> bool {
        matches!(
            self,
            CmrError::Timeout
                | CmrError::Network { .. }
                | CmrError::Server { .. }
                | CmrError::RateLimited { .. }
        )
    }

    /// The HTTP status, when CMR answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            CmrError::Timeout
            | CmrError::Network { .. }
            | CmrError::Busy { .. }
            | CmrError::InvalidRequest { .. } => None,
            CmrError::OutcomeUnknown { status, .. } => *status,
            CmrError::RateLimited { .. } => Some(429),
            CmrError::Unauthorized { .. } => Some(401),
            CmrError::Forbidden { .. } => Some(403),
            CmrError::NotFound { .. } => Some(404),
            CmrError::Conflict { .. } => Some(409),
            CmrError::PaymentRequired { .. } => Some(402),
            CmrError::Validation { status, .. }
            | CmrError::Server { status, .. }
            | CmrError::UnexpectedResponse { status } => Some(*status),
        }
    }

    /// Whether a write may have been applied although CMR did not confirm it: staff must be
    /// told to check, and the write must not be resent blindly.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, CmrError::OutcomeUnknown { .. })
    }

    /// CMR's own message, when there is one.
    pub fn message(&self) -> Option<&str> {
        match self {
            CmrError::RateLimited { message, .. }
            | CmrError::Unauthorized { message }
            | CmrError::Forbidden { message }
            | CmrError::NotFound { message }
            | CmrError::Conflict { message, .. }
            | CmrError::Validation { message, .. }
            | CmrError::PaymentRequired { message }
            | CmrError::Server { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The request field CMR blamed, when it named one.
    pub fn field(&self) -> Option<&str> {
        match self {
            CmrError::Conflict { field, .. } | CmrError::Validation { field, .. } => {
                field.as_deref()
            }
            _ => None,
        }
    }

    /// An error answer with a readable envelope. `envelope` holds the remaining top-level keys.
    pub(crate) fn from_answer(
        status: u16,
        message: String,
        data: Value,
        envelope: &Map<String, Value>,
        retry_after: Option<Duration>,
    ) -> CmrError {
        match status {
            401 => CmrError::Unauthorized { message },
            402 => CmrError::PaymentRequired { message },
            403 => CmrError::Forbidden { message },
            404 => CmrError::NotFound { message },
            409 => CmrError::Conflict {
                field: blamed_field(&message, &data, envelope),
                details: (!data.is_null()).then_some(data),
                message,
            },
            429 => CmrError::RateLimited {
                retry_after,
                message,
            },
            400..=499 => CmrError::Validation {
                status,
                field: blamed_field(&message, &data, envelope),
                message,
            },
            500..=599 => CmrError::Server { status, message },
            _ => CmrError::UnexpectedResponse { status },
        }
    }

    /// An error status whose body is not CMR's JSON. `text` is the body when it reads as plain
    /// text (see `envelope::refusal_text`): a 4xx then keeps CMR's words and maps exactly as the
    /// same message in an envelope would. A 4xx without such text (e.g. a proxy's HTML page)
    /// still says it was refused rather than "unexpected": nothing suggests CMR acted.
    pub(crate) fn from_bare_status(
        status: u16,
        retry_after: Option<Duration>,
        text: Option<String>,
    ) -> CmrError {
        match (status, text) {
            (401, _) => CmrError::Unauthorized {
                message: "Unauthorized".into(),
            },
            (429, _) => CmrError::RateLimited {
                retry_after,
                message: "Too many requests".into(),
            },
            (400..=499, Some(text)) => {
                CmrError::from_answer(status, text, Value::Null, &Map::new(), retry_after)
            }
            (409, None) => CmrError::Conflict {
                message: "CMR refused the request (HTTP 409)".into(),
                field: None,
                details: None,
            },
            (400..=499, None) => CmrError::Validation {
                status,
                message: format!("CMR refused the request (HTTP {status})"),
                field: None,
            },
            (500..=599, _) => CmrError::Server {
                status,
                message: "CMR is unavailable".into(),
            },
            _ => CmrError::UnexpectedResponse { status },
        }
    }

    pub(crate) fn from_transport(err: &reqwest::Error) -> CmrError {
        if err.is_timeout() && !err.is_connect() {
            return CmrError::Timeout;
        }
        // The source chain says *why* ("connection refused"); the URL (with its query) is
        // deliberately left out.
        let mut detail = if err.is_connect() {
            "connection failed".to_owned()
        } else {
            "connection error".to_owned()
        };
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            detail.push_str(": ");
            detail.push_str(&cause.to_string());
            source = cause.source();
        }
        CmrError::Network { detail }
    }
}

/// Request fields CMR may name in a message besides the user profile's.
const OTHER_FIELDS: [&str; 20] = [
    "userId",
    "domain",
    "domains",
    "domainId",
    "domainName",
    "records",
    "recordId",
    "recordType",
    "mailboxId",
    "mailboxData",
    "mailboxes",
    "userName",
    "username",
    "subscriptionId",
    "subscriptionIds",
    "orderId",
    "countryCode",
    "serviceProvider",
    "billingCycle",
    "forwardTo",
];

/// The field an error is about: an explicit `field`, the first key of `errors`, or the first
/// known field name the message mentions ("firstName is required", "Email already exists").
fn blamed_field(message: &str, data: &Value, envelope: &Map<String, Value>) -> Option<String> {
    let explicit = [envelope.get("field"), data.get("field")]
        .into_iter()
        .flatten()
        .find_map(Value::as_str)
        .map(str::to_owned);
    let from_errors = || {
        [envelope.get("errors"), data.get("errors")]
            .into_iter()
            .flatten()
            .find_map(field_of_errors)
    };
    explicit
        .or_else(from_errors)
        .or_else(|| known_field_in(message))
}

fn field_of_errors(errors: &Value) -> Option<String> {
    match errors {
        Value::Object(map) => map.keys().next().cloned(),
        Value::Array(items) => items.iter().find_map(|item| match item {
            Value::Object(map) => ["field", "param", "path", "property"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_str))
                .map(str::to_owned),
            Value::String(text) => known_field_in(text),
            _ => None,
        }),
        Value::String(text) => known_field_in(text),
        _ => None,
    }
}

fn known_field_in(message: &str) -> Option<String> {
    message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .find_map(|word| {
            ProfileField::ALL
                .map(ProfileField::wire_name)
                .into_iter()
                .chain(OTHER_FIELDS.iter().copied())
                .find(|field| field.eq_ignore_ascii_case(word))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, message: &str, data: Value) -> CmrError {
        CmrError::from_answer(status, message.into(), data, &Map::new(), None)
    }

    #[test]
    fn a_duplicate_email_conflict_names_the_email_field() {
        let err = answer(409, "Email already exists", Value::Null);
        assert_eq!(err.field(), Some("email"));
        assert!(matches!(err, CmrError::Conflict { details: None, .. }));
    }

    #[test]
    fn a_validation_message_naming_a_field_is_attributed_to_it() {
        assert_eq!(
            answer(422, "firstName is required", Value::Null).field(),
            Some("firstName")
        );
        assert_eq!(
            answer(400, "Please provide a userId", Value::Null).field(),
            Some("userId")
        );
        assert_eq!(answer(422, "Parameter Error", Value::Null).field(), None);
    }

    #[test]
    fn an_explicit_field_or_errors_key_wins_over_the_message() {
        let mut envelope = Map::new();
        envelope.insert(
            "errors".into(),
            json!([{"field": "postalCode", "msg": "bad"}]),
        );
        let err = CmrError::from_answer(422, "email bad".into(), Value::Null, &envelope, None);
        assert_eq!(err.field(), Some("postalCode"));
        let err = answer(422, "x", json!({"errors": {"phoneCc": "digits only"}}));
        assert_eq!(err.field(), Some("phoneCc"));
    }

    #[test]
    fn a_refused_delete_keeps_its_counts() {
        let err = answer(
            409,
            "User still has domains or mailboxes",
            json!({"domainCount": 2, "mailboxCount": 5}),
        );
        let CmrError::Conflict { details, .. } = err else {
            panic!("expected a conflict")
        };
        assert_eq!(details, Some(json!({"domainCount": 2, "mailboxCount": 5})));
    }

    #[test]
    fn statuses_map_to_their_variants() {
        assert!(matches!(
            answer(401, "Invalid API Key", Value::Null),
            CmrError::Unauthorized { .. }
        ));
        assert!(matches!(
            answer(402, "x", Value::Null),
            CmrError::PaymentRequired { .. }
        ));
        assert!(matches!(
            answer(403, "x", Value::Null),
            CmrError::Forbidden { .. }
        ));
        assert!(matches!(
            answer(404, "x", Value::Null),
            CmrError::NotFound { .. }
        ));
        assert!(matches!(
            answer(429, "x", Value::Null),
            CmrError::RateLimited { .. }
        ));
        assert!(matches!(
            answer(503, "x", Value::Null),
            CmrError::Server { status: 503, .. }
        ));
    }

    #[test]
    fn an_unexpected_response_says_so_with_its_status() {
        let err = CmrError::UnexpectedResponse { status: 200 };
        assert_eq!(err.to_string(), "unexpected response from CMR (HTTP 200)");
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        assert!(CmrError::Timeout.is_retryable_get());
        assert!(answer(502, "x", Value::Null).is_retryable_get());
        assert!(!answer(422, "x", Value::Null).is_retryable_get());
        assert!(!CmrError::UnexpectedResponse { status: 200 }.is_retryable_get());
        let busy = CmrError::Busy {
            retry_after: Duration::from_secs(1),
        };
        assert!(!busy.is_retryable_get());
    }

    #[test]
    fn busy_and_outcome_unknown_say_what_happened_to_the_request() {
        let busy = CmrError::Busy {
            retry_after: Duration::from_secs(1),
        };
        assert_eq!(busy.status(), None);
        assert!(!busy.is_outcome_unknown());
        assert_eq!(
            busy.to_string(),
            "CMR is busy with other requests from this dashboard; try again in a few seconds"
        );
        let unknown = CmrError::OutcomeUnknown {
            status: Some(502),
            detail: "Bad Gateway".into(),
        };
        assert_eq!(unknown.status(), Some(502));
        assert!(unknown.is_outcome_unknown());
        assert!(!unknown.is_retryable_get());
        assert_eq!(
            unknown.to_string(),
            "CMR did not confirm whether the change was applied"
        );
    }
}
