//! Fault injection: latency, forced statuses, malformed bodies, dropped connections and canned
//! answers, each for a path and a number of requests.
//!
//! Most faults answer *instead of* the endpoint, so CMR never acted. The "after apply" faults
//! let the endpoint run (and change state) and then replace its answer with an error or a
//! closed connection: the case a client must report as "outcome unknown", not "nothing
//! changed". This layer sits outside auth and the endpoints (`routes::router`), so it sees
//! their answer.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Frame;

use super::envelope::{json_response, ApiError};
use super::server::PeerAddr;
use super::{relative_path, Shared};

#[derive(Debug, Clone)]
pub(crate) enum FaultKind {
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    Malformed,
    Drop,
    /// The endpoint runs, then the answer is replaced by `status` with CMR's error envelope.
    StatusAfterApply {
        status: u16,
    },
    /// The endpoint runs, then the connection is closed without an answer.
    DropAfterApply,
    Canned {
        status: u16,
        body: String,
    },
}

#[derive(Debug)]
struct Fault {
    /// `None`: any method.
    method: Option<String>,
    path: String,
    remaining: u32,
    kind: FaultKind,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// (path prefix or every path, delay)
    latency: Vec<(Option<String>, Duration)>,
    actions: Vec<Fault>,
}

/// Paths may be given with or without `/api/v1/integration`, with or without a trailing `/`.
pub(crate) fn normalize(path: &str) -> String {
    let relative = relative_path(path);
    let trimmed = relative.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

impl Faults {
    pub(crate) fn set_latency(&mut self, prefix: Option<&str>, delay: Duration) {
        let prefix = prefix.map(normalize);
        self.latency.retain(|(p, _)| *p != prefix);
        if !delay.is_zero() {
            self.latency.push((prefix, delay));
        }
    }

    /// `path` may start with a method (`"PUT /users"`): a write's fault then spares the read
    /// that usually comes first on the same path.
    pub(crate) fn add(&mut self, path: &str, times: u32, kind: FaultKind) {
        let (method, path) = match path.trim().split_once(' ') {
            Some((method, rest)) if method.bytes().all(|b| b.is_ascii_alphabetic()) => {
                (Some(method.to_ascii_uppercase()), rest)
            }
            _ => (None, path),
        };
        if times > 0 {
            self.actions.push(Fault {
                method,
                path: normalize(path),
                remaining: times,
                kind,
            });
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Faults::default();
    }

    /// The delay and the (counted) action for one `method` request to `path`.
    fn plan(&mut self, method: &str, path: &str) -> (Duration, Option<FaultKind>) {
        let path = normalize(path);
        let delay = self
            .latency
            .iter()
            .filter(|(prefix, _)| prefix.as_deref().is_none_or(|p| path.starts_with(p)))
            .map(|(_, d)| *d)
            .max()
            .unwrap_or_default();
        let action = self
            .actions
            .iter_mut()
            .find(|f| {
                f.path == path && f.remaining > 0 && f.method.as_deref().is_none_or(|m| m == method)
            })
            .map(|f| {
                f.remaining -= 1;
                f.kind.clone()
            });
        self.actions.retain(|f| f.remaining > 0);
        (delay, action)
    }
}

pub(crate) async fn inject(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let (delay, action) = shared
        .lock_faults()
        .plan(request.method().as_str(), request.uri().path());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let Some(action) = action else {
        return next.run(request).await;
    };
    match action {
        FaultKind::Status {
            status,
            retry_after,
        } => {
            let mut response = error_answer(status);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        FaultKind::StatusAfterApply { status } => {
            let _applied = next.run(request).await;
            error_answer(status)
        }
        FaultKind::DropAfterApply => {
            let peer = connection_of(&request);
            let _applied = next.run(request).await;
            drop_connection(&shared, peer)
        }
        FaultKind::Malformed => {
            let mut response = (
                StatusCode::OK,
                r#"{"status":200,"message":"OK","data":{"items":[{"#,
            )
                .into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        FaultKind::Canned { status, body } => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            match serde_json::from_str(&body) {
                Ok(json) => json_response(code, &json),
                Err(_) => (code, body).into_response(),
            }
        }
        FaultKind::Drop => drop_connection(&shared, connection_of(&request)),
    }
}

/// `status` with CMR's error envelope (and the reason phrase as its message).
fn error_answer(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = match code {
        StatusCode::TOO_MANY_REQUESTS => "Rate limit exceeded",
        _ => code.canonical_reason().unwrap_or("Injected fault"),
    };
    ApiError::new(code, message).into_response()
}

/// The peer of the connection a request came on, when served by `spawn`.
fn connection_of(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<PeerAddr>>()
        .map(|ConnectInfo(PeerAddr(peer))| *peer)
}

fn drop_connection(shared: &Shared, peer: Option<SocketAddr>) -> Response {
    match peer {
        // Served by `spawn`: the listener closes this connection before anything is written.
        Some(peer) => {
            shared.doomed.doom(peer);
            StatusCode::OK.into_response()
        }
        // Served elsewhere: abort mid-body, the closest a router alone can get.
        None => Response::new(Body::new(FailingBody)),
    }
}

/// A body whose first frame is an error, which makes hyper abort the connection.
struct FailingBody;

impl HttpBody for FailingBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "sandbox: injected connection drop",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_applies_the_given_number_of_times() {
        let mut faults = Faults::default();
        faults.add("/api/v1/integration/users/", 2, FaultKind::Malformed);
        assert!(faults.plan("GET", "/api/v1/integration/users").1.is_some());
        assert!(faults.plan("GET", "/users").1.is_some());
        assert!(faults.plan("GET", "/users").1.is_none());
    }

    #[test]
    fn a_fault_may_name_its_method() {
        let mut faults = Faults::default();
        faults.add("PUT /users", 1, FaultKind::Malformed);
        assert!(faults.plan("GET", "/users").1.is_none(), "the read passes");
        assert!(faults.plan("PUT", "/users").1.is_some());
        assert!(faults.plan("PUT", "/users").1.is_none());
    }

    #[test]
    fn latency_matches_by_prefix_and_none_means_everywhere() {
        let mut faults = Faults::default();
        faults.set_latency(Some("/users"), Duration::from_millis(5));
        assert_eq!(
            faults.plan("GET", "/users/list").0,
            Duration::from_millis(5)
        );
        assert_eq!(faults.plan("GET", "/wallet").0, Duration::ZERO);
        faults.set_latency(None, Duration::from_millis(9));
        assert_eq!(faults.plan("GET", "/wallet").0, Duration::from_millis(9));
        faults.set_latency(None, Duration::ZERO);
        assert_eq!(faults.plan("GET", "/wallet").0, Duration::ZERO);
    }
}
