//! A stateful in-process fake of the CMR integration API, for tests and demos.
//!
//! It speaks CMR's HTTP contract (paths, `cmr-x-api-key`, the `{status, message, data,
//! actionId}` envelope, the documented validation and conflict rules) over a real socket, keeps
//! state with lifecycles that advance over time, and offers fault injection and a request log
//! through [`SandboxControl`] (and, with [`Sandbox::with_inspection`], over HTTP). Nothing in
//! the client knows it is not CMR.
//!
//! It shares only the wire shapes ([`cmr::types`]) and the key header and path prefix with the
//! `cmr` crate, never the client: what it answers comes from CMR's documentation, so the client's
//! contract tests check the client against it rather than against itself. The `cmr-sandbox`
//! binary serves the seeded sandbox on its own, for local development and end-to-end tests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let running = cmr_sandbox::spawn(cmr_sandbox::Sandbox::seeded("sandbox-key"))?;
//! println!("CMR sandbox at {}", running.base_url());
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::{OffsetDateTime, Time};

mod control;
mod envelope;
mod faults;
mod geo_data;
mod ids;
mod inspect;
mod order_outcome;
mod request_log;
mod routes;
mod seed;
mod server;
mod state;
mod webhooks;

pub use control::SandboxControl;
pub use request_log::{LoggedRequest, REQUEST_LOG_CAPACITY};
pub use server::{spawn, spawn_at, RunningSandbox};
pub use state::LifecycleTimings;

use faults::Faults;
use request_log::RequestLog;
use server::DoomedPeers;
use state::World;

pub(crate) use cmr::{API_KEY_HEADER, API_PATH_PREFIX as API_PREFIX};

/// A sandbox's state; serve it with [`Sandbox::router`] or [`spawn`].
pub struct Sandbox {
    shared: Shared,
    /// Serve `GET /__sandbox/requests` (see [`Sandbox::with_inspection`]).
    inspection: bool,
}

/// What the router, the middleware and the control handle share.
#[derive(Clone)]
pub(crate) struct Shared {
    world: Arc<Mutex<World>>,
    faults: Arc<Mutex<Faults>>,
    log: Arc<Mutex<RequestLog>>,
    doomed: Arc<DoomedPeers>,
    api_key: Arc<str>,
    /// Where lifecycle webhooks go (`None`: nowhere).
    webhook_url: Arc<Mutex<Option<String>>>,
}

impl Shared {
    fn new(api_key: String, world: World) -> Shared {
        Shared {
            world: Arc::new(Mutex::new(world)),
            faults: Arc::default(),
            log: Arc::default(),
            doomed: Arc::default(),
            api_key: api_key.into(),
            webhook_url: Arc::default(),
        }
    }

    pub(crate) fn webhook_url(&self) -> Option<String> {
        self.webhook_url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_webhook_url(&self, url: Option<String>) {
        *self
            .webhook_url
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = url;
    }

    pub(crate) fn api_key(&self) -> &str {
        &self.api_key
    }

    // A panic while holding a lock must not take every later request down with it.
    pub(crate) fn lock_world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn lock_faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn lock_log(&self) -> MutexGuard<'_, RequestLog> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sandbox {
    /// The demo world (40 customers, domains in every status, …) as of today (UTC).
    pub fn seeded(api_key: impl Into<String>) -> Sandbox {
        let today = OffsetDateTime::now_utc().replace_time(Time::MIDNIGHT);
        Sandbox::seeded_at(api_key, today)
    }

    /// The demo world with dates relative to `today`: identical ids and data on every run.
    pub fn seeded_at(api_key: impl Into<String>, today: OffsetDateTime) -> Sandbox {
        let mut world = World::empty();
        seed::seed(&mut world, today);
        Sandbox::serving(Shared::new(api_key.into(), world))
    }

    /// The demo world plus `customers` generated customers with three domains each and their
    /// mailboxes: a large partner, for scale measurements (`seed::seed_large`).
    pub fn seeded_large(api_key: impl Into<String>, customers: usize) -> Sandbox {
        let today = OffsetDateTime::now_utc().replace_time(Time::MIDNIGHT);
        let mut world = World::empty();
        seed::seed(&mut world, today);
        seed::seed_large(&mut world, today, customers);
        Sandbox::serving(Shared::new(api_key.into(), world))
    }

    /// No customers, an empty wallet.
    pub fn empty(api_key: impl Into<String>) -> Sandbox {
        Sandbox::serving(Shared::new(api_key.into(), World::empty()))
    }

    fn serving(shared: Shared) -> Sandbox {
        Sandbox {
            shared,
            inspection: false,
        }
    }

    /// Also serves `GET /__sandbox/requests`, the request log over HTTP without the key check,
    /// for tests in another process. Off by default, where that path is an unknown route like
    /// any other: a sandbox run for a demo should not publish what it was sent.
    pub fn with_inspection(mut self) -> Sandbox {
        self.inspection = true;
        self
    }

    /// A handle on this sandbox's state, faults and request log.
    pub fn control(&self) -> SandboxControl {
        SandboxControl::new(self.shared.clone())
    }

    /// Every endpoint under `/api/v1/integration`. Served outside [`spawn`], a
    /// `drop_connection` fault aborts the response body instead of closing before the headers.
    pub fn router(&self) -> axum::Router {
        routes::router(self.shared.clone(), self.inspection)
    }
}

/// `/api/v1/integration/users` → `/users`; other paths unchanged.
pub(crate) fn relative_path(path: &str) -> String {
    match path.strip_prefix(API_PREFIX) {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => path.to_owned(),
    }
}
