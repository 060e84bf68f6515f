//! Sending one call: URL and query encoding, rate limiting (this process's limiter, then the
//! budget shared with other instances), deadline, retries, timing, tracing.
//!
//! Only reads are ever retried. A write that went wrong after it may have left (a timeout or a
//! lost connection after sending, or a 5xx answer) is [`CmrError::OutcomeUnknown`], never
//! "nothing changed": CMR may have applied it, and resending could apply it twice.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde::Serialize;
use tokio::time::Instant;

use super::budget::{current_priority, Busy, Priority, Ticket};
use super::envelope::{self, Answer, Paging};
use super::rate_limit::{parse_retry_after, DEFAULT_PAUSE, MAX_PAUSE};
use super::{CallStat, CmrClient, CmrError, API_KEY_HEADER};
use crate::types::{Page, Reply};

/// At most this many attempts per GET (the first one included).
const MAX_ATTEMPTS: u32 = 3;
/// First backoff before jitter; doubles per attempt. Short, because a person is waiting.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// A `Retry-After` longer than this is not waited out: the caller gets `RateLimited`.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// A rate-limit turn is only worth taking with this much of the deadline left (at most a
/// quarter of the whole call's time): a call let through as its deadline passes spends CMR's
/// budget and still fails.
const MIN_TIME_TO_SEND: Duration = Duration::from_millis(250);

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

    /// POST, PUT, PATCH and DELETE change something at CMR.
    fn is_write(&self) -> bool {
        self.method != Method::GET
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

/// How far a call got, to name what happened when its deadline passes.
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    /// Some attempt was let through the rate limiter (and the shared budget, if any).
    let_through: bool,
    /// When the attempt now on the wire started.
    in_flight: Option<Instant>,
}

impl CmrClient {
    /// Sends a call to a paged list: asks for `page` and `limit` (CMR's defaults when `None`)
    /// and reads `data.<key>` with its pagination (see `Paging::Asked` for a missing one).
    pub(crate) async fn send_paged<T: serde::de::DeserializeOwned>(
        &self,
        call: Call,
        key: &str,
        page: Option<u32>,
        limit: Option<u32>,
    ) -> Result<Reply<Page<T>>, CmrError> {
        let call = call.query_opt("page", page).query_opt("limit", limit);
        self.send(call)
            .await?
            .into_page(key, Paging::Asked { page, limit })
    }

    /// Sends a call and reads the envelope: the only way endpoint modules reach CMR.
    pub(crate) async fn send(&self, call: Call) -> Result<Answer, CmrError> {
        let url = self.url_for(&call);
        let timeout = self.inner.config.request_timeout;
        let deadline = Instant::now() + timeout;
        let progress = Mutex::new(Progress::default());
        let attempts = self.send_with_retries(&call, url, deadline, &progress);
        let Ok(result) = tokio::time::timeout_at(deadline, attempts).await else {
            let progress = *progress.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(started) = progress.in_flight {
                self.finish_attempt(&call, started, None, false);
            }
            // Still waiting for a turn, so nothing was sent. (The limiter refuses turns past the
            // deadline itself: getting here takes a stalled runtime.)
            if !progress.let_through {
                return Err(CmrError::Busy {
                    retry_after: DEFAULT_PAUSE,
                });
            }
            tracing::warn!(
                method = %call.method,
                path = call.path,
                timeout_ms = millis(timeout),
                "CMR call timed out"
            );
            if call.is_write() && progress.in_flight.is_some() {
                return Err(CmrError::OutcomeUnknown {
                    status: None,
                    detail: "no answer before the deadline".into(),
                });
            }
            return Err(CmrError::Timeout);
        };
        result
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
        progress: &Mutex<Progress>,
    ) -> Result<Answer, CmrError> {
        // Only reads are repeated: a repeated order, renewal or cancel can charge twice.
        let may_retry = !call.is_write();
        let timeout = self.inner.config.request_timeout;
        let last_turn = deadline - MIN_TIME_TO_SEND.min(timeout / 4);
        // Read here, in the caller's task, where `in_background` set it.
        let priority = current_priority();
        let mut attempt = 1;
        let mut failed: Option<CmrError> = None;
        loop {
            let ticket = match self.take_turn(last_turn, priority).await {
                Ok(ticket) => ticket,
                Err(busy) => {
                    tracing::info!(
                        method = %call.method,
                        path = call.path,
                        attempt,
                        ?priority,
                        "no rate-limit turn in time (or the queue is full); not sent"
                    );
                    // A retry that cannot get a turn ends with the failure that called for it.
                    return Err(failed.unwrap_or(CmrError::Busy {
                        retry_after: busy.retry_after,
                    }));
                }
            };
            let started = Instant::now();
            *progress.lock().unwrap_or_else(PoisonError::into_inner) = Progress {
                let_through: true,
                in_flight: Some(started),
            };
            let result = self.attempt(call, url.clone()).await;
            // The answer is in (or none will come): the shared budget counts from now.
            drop(ticket);
            progress
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .in_flight = None;

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
                // `attempt` has paused the limiter for every caller; the retry queues behind.
                CmrError::RateLimited { retry_after, .. } => {
                    let wait = retry_after.unwrap_or(DEFAULT_PAUSE);
                    if wait > MAX_RETRY_AFTER {
                        return Err(err);
                    }
                    wait
                }
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
            if !matches!(err, CmrError::RateLimited { .. }) {
                tokio::time::sleep(wait).await;
            }
            failed = Some(err);
            attempt += 1;
        }
    }

    /// This process's limiter first (its queue keeps arrival order, deadlines and cancellation),
    /// then the budget shared with the other instances, if any. Either may refuse: nothing is
    /// sent then.
    async fn take_turn(&self, last_turn: Instant, priority: Priority) -> Result<Ticket, Busy> {
        let waiting = Instant::now();
        let queued = Queued::join();
        let turn = async {
            self.inner.limiter.acquire(last_turn).await?;
            match &self.inner.config.shared_budget {
                Some(budget) => budget.admit(last_turn, priority).await,
                None => Ok(Ticket::untracked()),
            }
        }
        .await;
        drop(queued);
        let outcome = if turn.is_ok() { "admitted" } else { "busy" };
        metrics::histogram!("cmr_limiter_wait_seconds", "outcome" => outcome)
            .record(waiting.elapsed().as_secs_f64());
        turn
    }

    async fn attempt(&self, call: &Call, url: url::Url) -> Result<Answer, CmrError> {
        let write = call.is_write();
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
            .map_err(|e| transport_error(write, &e, None))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        if status == 429 {
            // The budget is the key's: every caller of this client waits, not only this one,
            // and so does every other instance sharing the budget.
            let pause = retry_after.unwrap_or(DEFAULT_PAUSE).min(MAX_PAUSE);
            self.inner.limiter.pause(pause);
            if let Some(budget) = &self.inner.config.shared_budget {
                budget.record_pause(pause).await;
            }
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_error(write, &e, Some(status)))?;
        match envelope::interpret(status, retry_after, &body) {
            // A 5xx does not say whether CMR acted before failing.
            Err(err)
                if write
                    && [Some(status), err.status()]
                        .into_iter()
                        .flatten()
                        .any(|s| (500..=599).contains(&s)) =>
            {
                Err(CmrError::OutcomeUnknown {
                    status: err.status().or(Some(status)),
                    detail: err.to_string(),
                })
            }
            result => result,
        }
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
        let outcome = match status {
            Some(_) if ok => "ok",
            Some(429) => "throttled",
            Some(status) if status < 500 => "refused",
            Some(_) => "server_error",
            None => "no_answer",
        };
        metrics::counter!("cmr_calls_total", "endpoint" => call.path, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("cmr_call_duration_seconds", "endpoint" => call.path)
            .record(latency.as_secs_f64());
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

/// One caller waiting for its turn, counted in `cmr_limiter_waiting` for as long as it waits,
/// also when it gives up (its future dropped).
struct Queued;

impl Queued {
    fn join() -> Queued {
        metrics::gauge!("cmr_limiter_waiting").increment(1.0);
        Queued
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        metrics::gauge!("cmr_limiter_waiting").decrement(1.0);
    }
}

/// A transport failure. For a write, anything but a failure to connect came after the request
/// may have left, so CMR may have applied it.
fn transport_error(write: bool, err: &reqwest::Error, status: Option<u16>) -> CmrError {
    let mapped = CmrError::from_transport(err);
    if write && !err.is_connect() {
        return CmrError::OutcomeUnknown {
            status,
            detail: mapped.to_string(),
        };
    }
    mapped
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
