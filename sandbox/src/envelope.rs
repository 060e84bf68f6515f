//! CMR's answer envelope as the sandbox writes it: `{status, message, data, actionId}` for a
//! success ([`Done`]) and `{status, message, data}` for a refusal ([`ApiError`]). Kept apart
//! from the endpoints so the layers around them (faults, the request log) can answer in the
//! same shape without importing the router.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

pub(crate) type Outcome = Result<Done, ApiError>;

/// A success answer.
pub(crate) struct Done {
    status: StatusCode,
    message: String,
    /// `None` leaves the `data` key out (as CMR does for some async answers).
    data: Option<Value>,
    action_id: Option<String>,
}

impl Done {
    pub(crate) fn ok(message: impl Into<String>, data: Value) -> Done {
        Done {
            status: StatusCode::OK,
            message: message.into(),
            data: Some(data),
            action_id: None,
        }
    }

    /// A success with no `data` key at all.
    pub(crate) fn bare(message: impl Into<String>) -> Done {
        Done {
            data: None,
            ..Done::ok(message, Value::Null)
        }
    }

    pub(crate) fn with_action(mut self, action_id: String) -> Done {
        self.action_id = Some(action_id);
        self
    }
}

impl IntoResponse for Done {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("status".into(), json!(self.status.as_u16()));
        body.insert("message".into(), json!(self.message));
        if let Some(data) = self.data {
            body.insert("data".into(), data);
        }
        if let Some(action_id) = self.action_id {
            body.insert("actionId".into(), json!(action_id));
        }
        json_response(self.status, &Value::Object(body))
    }
}

/// An error answer: `{status, message, data}` with `data` null unless there is detail to give.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    data: Value,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            data: Value::Null,
        }
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn with_data(mut self, data: Value) -> ApiError {
        self.data = data;
        self
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// 402 with what was needed and what there is.
    pub(crate) fn insufficient_balance(needed: i64, available: i64) -> ApiError {
        ApiError::new(StatusCode::PAYMENT_REQUIRED, "Insufficient wallet balance")
            .with_data(json!({ "required": money(needed), "available": money(available) }))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "status": self.status.as_u16(),
            "message": self.message,
            "data": self.data,
        });
        json_response(self.status, &body)
    }
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Cents as a JSON number (`8`, `14.5`), as CMR sends most prices.
pub(crate) fn money(cents: i64) -> Value {
    if cents % 100 == 0 {
        return Value::from(cents / 100);
    }
    serde_json::Number::from_f64(cents as f64 / 100.0)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Cents as a decimal string, as in `renewalPrice: "14.50"`.
pub(crate) fn money_text(cents: i64) -> String {
    cmr::types::Money::from_cents(cents).to_string()
}
