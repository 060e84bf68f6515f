//! The requests the sandbox receives, as tests want to assert on them.
//!
//! A ring buffer of the most recent [`REQUEST_LOG_CAPACITY`]: a demo sandbox serves a
//! dashboard for days, and an unbounded log would grow with every call. Tests see far fewer
//! requests than that, so for them nothing is ever dropped.

use std::collections::VecDeque;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::time::Instant;

use super::envelope::ApiError;
use super::{relative_path, Shared};

/// Bodies larger than this are refused (413) rather than buffered.
const BODY_LIMIT: usize = 1 << 20;

/// How many requests the log keeps; a request beyond it drops the oldest.
pub const REQUEST_LOG_CAPACITY: usize = 10_000;

/// The most recent requests, oldest first.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: VecDeque<LoggedRequest>,
    capacity: usize,
}

impl Default for RequestLog {
    fn default() -> RequestLog {
        RequestLog::with_capacity(REQUEST_LOG_CAPACITY)
    }
}

impl RequestLog {
    fn with_capacity(capacity: usize) -> RequestLog {
        RequestLog {
            entries: VecDeque::new(),
            capacity,
        }
    }

    fn push(&mut self, entry: LoggedRequest) {
        if self.capacity == 0 {
            return;
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &LoggedRequest> {
        self.entries.iter()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// One request as received.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    /// When the request reached the sandbox (its head, before the body was read, before any
    /// fault or the key check): what a rate limiter on CMR's side would count. Monotonic, on
    /// tokio's clock like the sandbox's lifecycles.
    pub received_at: Instant,
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
    let received_at = Instant::now();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
            .into_response();
    };
    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    let entry = LoggedRequest {
        received_at,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: usize) -> LoggedRequest {
        LoggedRequest {
            received_at: Instant::now(),
            method: "GET".into(),
            path: format!("/r{n}"),
            query: Vec::new(),
            raw_query: String::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    fn paths(log: &RequestLog) -> Vec<String> {
        log.iter().map(|r| r.path.clone()).collect()
    }

    #[test]
    fn a_request_beyond_the_capacity_drops_the_oldest() {
        let mut log = RequestLog::with_capacity(3);
        for n in 0..5 {
            log.push(request(n));
        }
        assert_eq!(paths(&log), ["/r2", "/r3", "/r4"]);
        log.clear();
        log.push(request(9));
        assert_eq!(paths(&log), ["/r9"]);
    }

    #[test]
    fn the_log_keeps_the_most_recent_ten_thousand_requests() {
        let mut log = RequestLog::default();
        for n in 0..=REQUEST_LOG_CAPACITY {
            log.push(request(n));
        }
        assert_eq!(log.iter().count(), REQUEST_LOG_CAPACITY);
        assert_eq!(log.iter().next().map(|r| r.path.as_str()), Some("/r1"));
        assert_eq!(log.iter().last().map(|r| r.path.as_str()), Some("/r10000"));
    }
}
