//! Fault injection: latency, forced statuses, malformed bodies, dropped connections and canned
//! answers, each for a path and a number of requests.

use std::io;
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

use super::routes::{json_response, ApiError};
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
    Canned {
        status: u16,
        body: String,
    },
}

#[derive(Debug)]
struct Fault {
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

    pub(crate) fn add(&mut self, path: &str, times: u32, kind: FaultKind) {
        if times > 0 {
            self.actions.push(Fault {
                path: normalize(path),
                remaining: times,
                kind,
            });
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Faults::default();
    }

    /// The delay and the (counted) action for one request to `path`.
    fn plan(&mut self, path: &str) -> (Duration, Option<FaultKind>) {
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
            .find(|f| f.path == path && f.remaining > 0)
            .map(|f| {
                f.remaining -= 1;
                f.kind.clone()
            });
        self.actions.retain(|f| f.remaining > 0);
        (delay, action)
    }
}

pub(crate) async fn inject(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let (delay, action) = shared.lock_faults().plan(request.uri().path());
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
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = match code {
                StatusCode::TOO_MANY_REQUESTS => "Rate limit exceeded",
                _ => code.canonical_reason().unwrap_or("Injected fault"),
            };
            let mut response = ApiError::new(code, message).into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
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
        FaultKind::Drop => match request.extensions().get::<ConnectInfo<PeerAddr>>() {
            // Served by `spawn`: the listener closes this connection before anything is written.
            Some(ConnectInfo(PeerAddr(peer))) => {
                shared.doomed.doom(*peer);
                StatusCode::OK.into_response()
            }
            // Served elsewhere: abort mid-body, the closest a router alone can get.
            None => Response::new(Body::new(FailingBody)),
        },
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
        assert!(faults.plan("/api/v1/integration/users").1.is_some());
        assert!(faults.plan("/users").1.is_some());
        assert!(faults.plan("/users").1.is_none());
    }

    #[test]
    fn latency_matches_by_prefix_and_none_means_everywhere() {
        let mut faults = Faults::default();
        faults.set_latency(Some("/users"), Duration::from_millis(5));
        assert_eq!(faults.plan("/users/list").0, Duration::from_millis(5));
        assert_eq!(faults.plan("/wallet").0, Duration::ZERO);
        faults.set_latency(None, Duration::from_millis(9));
        assert_eq!(faults.plan("/wallet").0, Duration::from_millis(9));
        faults.set_latency(None, Duration::ZERO);
        assert_eq!(faults.plan("/wallet").0, Duration::ZERO);
    }
}
