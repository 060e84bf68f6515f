use super::auth::bootstrap::SetupToken;
use super::clock::Clock;
use super::config::Config;
use super::geo_cache::GeoCache;
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
}

impl AppState {
    /// True when the dashboard talks to the built-in sandbox instead of CMR.
    pub fn demo_mode(&self) -> bool {
        self.config.demo_mode()
    }
}
