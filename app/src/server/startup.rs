//! Start-up: from a validated `Config` to a ready `AppState` (database migrated, CMR client
//! pointed at CMR, or at an in-process sandbox in demo mode).

use super::clock::Clock;
use super::cmr_budget::PgBudget;
use super::config::Config;
use super::index::sync::Syncer;
use super::{db, AppState};
use cmr::client::{ApiKey, ClientConfig, CmrClient, CmrError};
use cmr_sandbox::{RunningSandbox, Sandbox};
use rand::RngCore;
use sqlx::PgPool;
use std::sync::Arc;

pub type StartupError = Box<dyn std::error::Error + Send + Sync>;

/// The state, plus the demo sandbox when one was started (keep it alive as long as the state).
pub async fn prepare(
    config: Config,
    clock: Arc<dyn Clock>,
) -> Result<(AppState, Option<RunningSandbox>), StartupError> {
    let db = db::connect_and_migrate(&config.database_url)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let (cmr, sandbox) = match &config.cmr_api_key {
        Some(key) => {
            let client = cmr_client(&config, config.cmr_base_url.clone(), key.clone(), &db)?;
            (client, None)
        }
        None => {
            // Demo mode: a seeded sandbox on a loopback port with a throwaway key, reached over
            // real HTTP exactly as CMR would be.
            let mut bytes = [0u8; 24];
            rand::thread_rng().fill_bytes(&mut bytes);
            let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let mut sandbox = Sandbox::seeded(key.clone());
            if config.sandbox_inspection {
                sandbox = sandbox.with_inspection();
            }
            let running = cmr_sandbox::spawn(sandbox)?;
            // Its lifecycle webhooks come to this dashboard, as CMR's would.
            let mut own = config.listen_addr;
            if own.ip().is_unspecified() {
                own.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            let webhooks = format!("http://{own}{}", crate::routes::WEBHOOK);
            running.control.send_webhooks_to(Some(webhooks));
            let client = cmr_client(&config, running.base_url(), ApiKey::new(key), &db)?;
            (client, Some(running))
        }
    };
    let state = AppState::new(db, cmr, config, clock);
    super::reads_sync::listen(state.db.clone(), state.reads.clone());
    super::webhooks::apply_pending(state.clone());
    if state.config.index_sync.per_second > 0 {
        Syncer::new(state.db.clone(), state.cmr.clone(), state.config.index_sync).spawn();
    }
    Ok((state, sandbox))
}

/// The CMR client as every instance builds it: this process's limiter at the configured rate,
/// then the budget all instances share in `db` at the same rate (in demo mode too, so the demo
/// and the tests run the same path as production). Inside the runtime: the budget listens for
/// other instances' pauses.
pub fn cmr_client(
    config: &Config,
    base_url: String,
    key: ApiKey,
    db: &PgPool,
) -> Result<CmrClient, CmrError> {
    let rate = config.cmr_requests_per_second;
    let mut client = ClientConfig::new(base_url, key);
    client.max_requests_per_second = rate;
    let budget = PgBudget::new(db.clone(), rate);
    budget.hear_pauses();
    client.shared_budget = Some(Arc::new(budget));
    CmrClient::new(client)
}
