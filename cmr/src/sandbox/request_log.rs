//! Every request the sandbox receives, as tests want to assert on it.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::routes::ApiError;
use super::{relative_path, Shared};

/// Bodies larger than this are refused (413) rather than buffered.
const BODY_LIMIT: usize = 1 << 20;

/// One request as received.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    pub method: String,
    /// Relative to `/api/v1/integration` (as the reference writes paths), e.g. `/users/list`.
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The query string exactly as sent (still percent-encoded).
    pub raw_query: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `None` when empty or not JSON.
    pub body: Option<Value>,
}

impl LoggedRequest {
    /// Every value of a query parameter.
    pub fn params(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a query parameter.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params(key).into_iter().next()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) async fn record(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
            .into_response();
    };
    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    let entry = LoggedRequest {
        method: parts.method.to_string(),
        path: relative_path(parts.uri.path()),
        query: url::form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect(),
        raw_query,
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = value.to_str().unwrap_or("<non-ascii>");
                (name.as_str().to_owned(), value.to_owned())
            })
            .collect(),
        body: serde_json::from_slice(&bytes).ok(),
    };
    shared.lock_log().push(entry);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
