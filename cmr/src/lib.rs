//! The Cold Mail Reseller (CMR) integration API: its wire shapes and the client that speaks it.
//!
//! * [`types`] — request and response shapes; always compiled, serde only, wasm-safe.
//! * [`client`] (feature `client`) — the typed HTTP client the server uses to talk to CMR.
//!
//! The stateful in-process fake of CMR that tests and the demo mode run against is its own
//! crate, `cmr-sandbox` (`sandbox/` in this workspace): it uses [`types`] and the two constants
//! below, never the client.
//!
//! Shapes the API reference could not confirm are listed in `INFERRED.md` next to this crate.

pub mod types;

/// The header CMR reads the partner API key from.
pub const API_KEY_HEADER: &str = "cmr-x-api-key";

/// Path of the integration API under CMR's host (and the sandbox's).
pub const API_PATH_PREFIX: &str = "/api/v1/integration";

#[cfg(feature = "client")]
pub mod client;

#[cfg(feature = "client")]
pub use client::{ApiKey, CallStat, ClientConfig, CmrClient, CmrError, PRODUCTION_BASE_URL};
