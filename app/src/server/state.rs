use super::auth::attempt_cap::AttemptCap;
use super::auth::password::PasswordGate;
use super::auth::setup_token::SetupToken;
use super::clock::Clock;
use super::config::Config;
use super::geo::GeoCache;
use super::index::live::LiveSightings;
use super::reads::ReadCache;
use cmr::client::CmrClient;
use sqlx::PgPool;
use std::sync::Arc;

/// What every request handler and server function can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub cmr: CmrClient,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub setup: SetupToken,
    /// Countries and states (they change rarely).
    pub geo: Arc<GeoCache>,
    /// Shared, briefly kept CMR reads (see `reads`).
    pub reads: Arc<ReadCache>,
    /// Bounds concurrent password hashing (memory and CPU).
    pub passwords: PasswordGate,
    /// Sign-in attempts per minute, per client address and overall.
    pub sign_in_cap: AttemptCap,
    /// What live reads saw, on its way to the partner-wide index.
    pub sightings: LiveSightings,
    /// The readiness check's last look at the CMR key.
    pub key_check: Arc<super::health::KeyCheck>,
    /// Sessions this instance confirmed a moment ago (reads from them may start early).
    pub recent_sessions: Arc<super::auth::recent_sessions::RecentSessions>,
}

impl AppState {
    /// The state for `config`; the gates are sized from its sign-in limits. Starts the index's
    /// writer task, so it runs inside a Tokio runtime.
    pub fn new(db: PgPool, cmr: CmrClient, config: Config, clock: Arc<dyn Clock>) -> AppState {
        let limits = config.sign_in;
        AppState {
            sightings: LiveSightings::start(db.clone()),
            db,
            cmr,
            config: Arc::new(config),
            clock,
            setup: SetupToken::default(),
            geo: Default::default(),
            reads: Default::default(),
            passwords: PasswordGate::new(limits.hash_workers, limits.hash_queue),
            sign_in_cap: AttemptCap::new(limits.per_ip_per_minute, limits.per_minute),
            key_check: Default::default(),
            recent_sessions: Default::default(),
        }
    }

    /// True when the dashboard talks to the built-in sandbox instead of CMR.
    pub fn demo_mode(&self) -> bool {
        self.config.demo_mode()
    }
}
