//! Sending one call: URL and query encoding, rate limiting, deadline, retries, timing, tracing.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde::Serialize;
use tokio::time::Instant;

use super::envelope::{self, Answer};
use super::{CallStat, CmrClient, CmrError, API_KEY_HEADER};

/// At most this many attempts per GET (the first one included).
const MAX_ATTEMPTS: u32 = 3;
/// First backoff before jitter; doubles per attempt. Short, because a person is waiting.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// A `Retry-After` longer than this is not waited out: the caller gets `RateLimited`.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// One API call, before it is sent.
pub(crate) struct Call {
    method: Method,
    path: &'static str,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

impl Call {
    fn new(method: Method, path: &'static str) -> Call {
        Call {
            method,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn get(path: &'static str) -> Call {
        Call::new(Method::GET, path)
    }

    pub(crate) fn post(path: &'static str) -> Call {
        Call::new(Method::POST, path)
    }

    pub(crate) fn put(path: &'static str) -> Call {
        Call::new(Method::PUT, path)
    }

    pub(crate) fn patch(path: &'static str) -> Call {
        Call::new(Method::PATCH, path)
    }

    pub(crate) fn delete(path: &'static str) -> Call {
        Call::new(Method::DELETE, path)
    }

    /// Adds a query parameter. Values are percent-encoded when the URL is built, so ids with
    /// `&`, `/`, `?`, `#` or spaces arrive as one intact value.
    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Call {
        self.query.push((key, value.into()));
        self
    }

    pub(crate) fn query_opt(self, key: &'static str, value: Option<impl ToString>) -> Call {
        match value {
            Some(v) => self.query(key, v.to_string()),
            None => self,
        }
    }

    /// Sets the JSON body (encoded once, before any attempt).
    pub(crate) fn json(mut self, body: &impl Serialize) -> Result<Call, CmrError> {
        let bytes = serde_json::to_vec(body).map_err(|e| CmrError::InvalidRequest {
            message: format!("cannot encode the request body: {e}"),
        })?;
        self.body = Some(bytes);
        Ok(self)
    }

    fn encoded_query(&self) -> Option<String> {
        if self.query.is_empty() {
            return None;
        }
        let encode = |s: &str| {
            // form-urlencoding writes a space as `+`, which some servers keep literally; a
            // literal `+` is always `%2B`, so every remaining `+` is a space and `%20` is
            // understood everywhere.
            url::form_urlencoded::byte_serialize(s.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        };
        let pairs: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        Some(pairs.join("&"))
    }
}

impl CmrClient {
    /// Sends a call and reads the envelope: the only way endpoint modules reach CMR.
    pub(crate) async fn send(&self, call: Call) -> Result<Answer, CmrError> {
        let url = self.url_for(&call);
        let deadline = Instant::now() + self.inner.config.request_timeout;
        let in_flight = Mutex::new(None::<Instant>);
        let attempts = self.send_with_retries(&call, url, deadline, &in_flight);
        match tokio::time::timeout_at(deadline, attempts).await {
            Ok(result) => result,
            Err(_elapsed) => {
                let started = *in_flight.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(started) = started {
                    self.finish_attempt(&call, started, None, false);
                }
                tracing::warn!(
                    method = %call.method,
                    path = call.path,
                    timeout_ms = millis(self.inner.config.request_timeout),
                    "CMR call timed out"
                );
                Err(CmrError::Timeout)
            }
        }
    }

    pub(super) fn url_for(&self, call: &Call) -> url::Url {
        let mut url = self.inner.base.clone();
        let path = format!("{}{}", url.path().trim_end_matches('/'), call.path);
        url.set_path(&path);
        url.set_query(call.encoded_query().as_deref());
        url
    }

    async fn send_with_retries(
        &self,
        call: &Call,
        url: url::Url,
        deadline: Instant,
        in_flight: &Mutex<Option<Instant>>,
    ) -> Result<Answer, CmrError> {
        // Only reads are repeated: a repeated order, renewal or cancel can charge twice.
        let may_retry = call.method == Method::GET;
        let mut attempt = 1;
        loop {
            self.inner.limiter.acquire().await;
            let started = Instant::now();
            *in_flight.lock().unwrap_or_else(PoisonError::into_inner) = Some(started);
            let result = self.attempt(call, url.clone()).await;
            *in_flight.lock().unwrap_or_else(PoisonError::into_inner) = None;

            let status = match &result {
                Ok(answer) => Some(answer.status),
                Err(err) => err.status(),
            };
            self.finish_attempt(call, started, status, result.is_ok());
            let err = match result {
                Ok(answer) => return Ok(answer),
                Err(err) => err,
            };
            if !may_retry || attempt >= MAX_ATTEMPTS || !err.is_retryable_get() {
                return Err(err);
            }
            let wait = match &err {
                CmrError::RateLimited {
                    retry_after: Some(wait),
                    ..
                } if *wait > MAX_RETRY_AFTER => return Err(err),
                CmrError::RateLimited {
                    retry_after: Some(wait),
                    ..
                } => *wait,
                _ => backoff(attempt),
            };
            if Instant::now() + wait >= deadline {
                return Err(err);
            }
            tracing::debug!(
                method = %call.method,
                path = call.path,
                attempt,
                wait_ms = millis(wait),
                "retrying CMR call"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, call: &Call, url: url::Url) -> Result<Answer, CmrError> {
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url)
            .header(ACCEPT, "application/json")
            .header(API_KEY_HEADER, self.inner.key_header.clone());
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = request
            .send()
            .await
            .map_err(|e| CmrError::from_transport(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response
            .bytes()
            .await
            .map_err(|e| CmrError::from_transport(&e))?;
        envelope::interpret(status, retry_after, &body)
    }

    fn finish_attempt(&self, call: &Call, started: Instant, status: Option<u16>, ok: bool) {
        let latency = started.elapsed();
        self.record(CallStat {
            at: SystemTime::now(),
            latency,
            status,
            ok,
        });
        // Method, path and status only: the query may carry customer ids worth keeping out of
        // shared logs, bodies may carry passwords, and the key is never logged.
        let latency_ms = millis(latency);
        match status {
            Some(status) if ok => {
                tracing::info!(method = %call.method, path = call.path, status, latency_ms, "CMR call");
            }
            // A refusal (4xx) is an answer, not an outage.
            Some(status) if status < 500 => {
                tracing::info!(method = %call.method, path = call.path, status, latency_ms, "CMR refused the call");
            }
            _ => {
                tracing::warn!(method = %call.method, path = call.path, ?status, latency_ms, "CMR call failed");
            }
        }
    }
}

/// Exponential backoff with full jitter in [50%, 150%] of 250 ms · 2^(attempt-1), so clients
/// that failed together do not retry together.
fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_BASE * 2u32.saturating_pow(attempt.saturating_sub(1));
    base.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_in_query_values_are_percent_encoded() {
        let call = Call::get("/users").query("userId", "a&b/c?d#e f+g=h");
        assert_eq!(
            call.encoded_query().as_deref(),
            Some("userId=a%26b%2Fc%3Fd%23e%20f%2Bg%3Dh")
        );
    }

    #[test]
    fn backoff_grows_and_stays_within_its_jitter() {
        for attempt in 1..=3 {
            let nominal = BACKOFF_BASE * 2u32.pow(attempt - 1);
            let d = backoff(attempt);
            assert!(d >= nominal / 2 && d <= nominal * 3 / 2, "{attempt}: {d:?}");
        }
    }
}
