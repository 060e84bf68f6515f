//! The typed CMR HTTP client.
//!
//! One [`CmrClient`] per process (it is a cheap `Arc` clone): one pooled `reqwest::Client`,
//! one rate limiter (and 429 pause) shared by every clone, optionally a [`SharedBudget`] shared
//! with the other instances, the API key only ever in the `cmr-x-api-key` header.
//! Each area of the API adds its methods in its own module (`users.rs`, `domains.rs`, …);
//! `http.rs` sends, retries and times calls; `envelope.rs` is the one place CMR's
//! `{status, message, data, actionId}` envelope is read.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;

mod api_key;
mod budget;
mod envelope;
mod error;
mod http;
mod rate_limit;

mod dns;
mod domains;
mod geo;
mod mailboxes;
mod orders;
mod subscriptions;
mod users;
mod wallet;

pub use api_key::ApiKey;
pub use budget::{
    current_priority, in_background, BoxFuture, Busy, Priority, SharedBudget, Ticket,
};
pub use error::CmrError;

use rate_limit::RateLimiter;

/// CMR's production API root; every path in the reference is relative to it.
pub const PRODUCTION_BASE_URL: &str = "https://customers.coldmailreseller.com/api/v1/integration";

pub use crate::API_KEY_HEADER;

/// How to reach CMR.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API root, e.g. [`PRODUCTION_BASE_URL`] or a sandbox's `base_url()`.
    pub base_url: String,
    pub api_key: ApiKey,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Deadline for a whole call: waiting for a rate-limit slot, every attempt and every
    /// backoff. A page must answer even when CMR does not.
    pub request_timeout: Duration,
    /// Client-side pacing; CMR allows 5 per second per key. `0` disables pacing (a 429 still
    /// pauses every call).
    pub max_requests_per_second: u32,
    /// At most this many calls wait for a rate-limit slot; beyond it a call fails at once with
    /// [`CmrError::Busy`] instead of queueing behind work it cannot overtake.
    pub max_queue: usize,
    /// The budget every instance of the dashboard shares (CMR's limit is the key's), asked
    /// after this process's limiter before each attempt and told about every 429. `None`: this
    /// process is the only one using the key.
    pub shared_budget: Option<Arc<dyn SharedBudget>>,
}

impl ClientConfig {
    /// Defaults: connect 3 s, whole call 15 s, 5 requests per second, 64 waiting calls, no
    /// shared budget.
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            api_key,
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(15),
            max_requests_per_second: 5,
            max_queue: 64,
            shared_budget: None,
        }
    }
}

/// The outcome of the most recent HTTP exchange with CMR, for a reachability indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallStat {
    /// When the exchange ended.
    pub at: SystemTime,
    pub latency: Duration,
    /// `None` when no HTTP answer arrived (timeout, connection failure).
    pub status: Option<u16>,
    /// A 2xx answer with a readable body. (Any `status` means CMR was reachable.)
    pub ok: bool,
}

/// Typed access to the CMR integration API. Clone freely: clones share the connection pool,
/// the rate limiter, the shared budget and the last-call record.
#[derive(Clone)]
pub struct CmrClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: url::Url,
    config: ClientConfig,
    key_header: HeaderValue,
    limiter: RateLimiter,
    last_call: Mutex<Option<CallStat>>,
}

impl CmrClient {
    pub fn new(config: ClientConfig) -> Result<CmrClient, CmrError> {
        let base =
            url::Url::parse(config.base_url.trim()).map_err(|e| CmrError::InvalidRequest {
                message: format!("base URL is not a URL: {e}"),
            })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(CmrError::InvalidRequest {
                message: "base URL must be an http(s) URL".into(),
            });
        }
        if config.api_key.expose().trim().is_empty() {
            return Err(CmrError::InvalidRequest {
                message: "the CMR API key is empty".into(),
            });
        }
        let mut key_header = HeaderValue::from_str(config.api_key.expose()).map_err(|_| {
            CmrError::InvalidRequest {
                message: "the CMR API key contains characters not allowed in a header".into(),
            }
        })?;
        // Keeps the key out of reqwest/hyper debug output and HTTP/2 header compression tables.
        key_header.set_sensitive(true);
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            // Backstop only: `http.rs` enforces the real deadline across attempts.
            .timeout(config.request_timeout)
            .user_agent(concat!("cmr-admin/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CmrError::InvalidRequest {
                message: format!("cannot build the HTTP client: {}", e.without_url()),
            })?;
        Ok(CmrClient {
            inner: Arc::new(Inner {
                http,
                base,
                limiter: RateLimiter::per_second(config.max_requests_per_second, config.max_queue),
                key_header,
                config,
                last_call: Mutex::new(None),
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The most recent HTTP exchange (every attempt counts), `None` before the first.
    pub fn last_call(&self) -> Option<CallStat> {
        *self
            .inner
            .last_call
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, stat: CallStat) {
        *self
            .inner
            .last_call
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(stat);
    }
}

impl fmt::Debug for CmrClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CmrClient")
            .field("base_url", &self.inner.base.as_str())
            .field("api_key", &self.inner.config.api_key)
            .field("request_timeout", &self.inner.config.request_timeout)
            .field(
                "max_requests_per_second",
                &self.inner.config.max_requests_per_second,
            )
            .field("shared_budget", &self.inner.config.shared_budget.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{MailboxUpdate, NewUser, UserListQuery};

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn call_futures_are_send_so_axum_handlers_can_await_them() {
        let config = ClientConfig::new("http://127.0.0.1:9/api/v1/integration", ApiKey::new("k"));
        let client = CmrClient::new(config).expect("client");
        let query = UserListQuery::default();
        assert_send(&client.list_users(&query));
        let user = NewUser::default();
        assert_send(&client.create_user(&user));
        assert_send(&client.renew_domains("u", &["a.com"]));
        let updates = [MailboxUpdate::default()];
        assert_send(&client.update_mailbox_details("u", &updates));
        assert_send(&client);
    }

    #[test]
    fn the_base_url_may_end_with_a_slash() {
        let config = ClientConfig::new("http://127.0.0.1:9/api/v1/integration/", ApiKey::new("k"));
        let client = CmrClient::new(config).expect("client");
        let url = client.url_for(&http::Call::get("/wallet"));
        assert_eq!(url.as_str(), "http://127.0.0.1:9/api/v1/integration/wallet");
    }
}
