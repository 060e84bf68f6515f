//! Configuration from environment variables. A missing or malformed value stops start-up with
//! one line naming the variable; the CMR key is held in a type that never prints itself.

use super::index::sync::SyncSettings;
use cmr::client::ApiKey;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the dashboard listens (`LISTEN_ADDR`).
    pub listen_addr: SocketAddr,
    /// The address staff type in the browser (`PUBLIC_URL`). `https://` turns on secure cookies
    /// with the `__Host-` prefix and HSTS.
    pub public_url: url::Url,
    pub database_url: String,
    /// `None` runs the dashboard on the built-in sandbox (demo mode).
    pub cmr_api_key: Option<ApiKey>,
    pub cmr_base_url: String,
    /// `CMR_REQUESTS_PER_SECOND`: CMR calls per second for all instances together (CMR allows
    /// 5 per key).
    pub cmr_requests_per_second: u32,
    /// Sign-out after this long without a request.
    pub session_idle: Duration,
    /// Sign-out this long after sign-in, active or not.
    pub session_absolute: Duration,
    /// How much sign-in work anonymous callers may cause.
    pub sign_in: SignInLimits,
    /// The partner-wide index's background sync (`CMR_INDEX_SYNC_PER_SECOND`,
    /// `CMR_INDEX_PASS_MINUTES`).
    pub index_sync: SyncSettings,
    /// When the header's balance turns amber, then red (`WALLET_LOW_BELOW`,
    /// `WALLET_CRITICAL_BELOW`).
    pub wallet_alerts: WalletAlerts,
    /// `ORDER_APPROVAL_ABOVE`: orders costing more than this (or whose price CMR did not
    /// state) wait for a second admin's approval. `None`: one admin confirms any order.
    pub order_approval_above: Option<cmr::types::Money>,
    /// `CMR_SANDBOX_INSPECT`: in demo mode, serve the sandbox's request log over HTTP for the
    /// browser tests. Off by default: a demo someone starts has no such route.
    pub sandbox_inspection: bool,
    /// `TWO_FACTOR_FOR_ADMINS`: admins must enrol an authenticator app before anything else.
    /// On by default with a CMR key (an admin can spend the wallet); off in demo mode.
    pub two_factor_for_admins: bool,
    /// `METRICS_ADDR`: where Prometheus metrics are served (`GET /metrics`); `None`: nowhere.
    /// Never the public listener.
    pub metrics_addr: Option<SocketAddr>,
    /// `AUDIT_RETENTION_DAYS`: how long audit entries are kept; `cmr-admin prune-audit` removes
    /// older ones (never anything younger than 30 days); 30 to 10000, 730 by default.
    pub audit_retention_days: u32,
}

/// Balances (in the wallet's currency) below which the header warns: amber below `low`, red
/// below `critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletAlerts {
    pub low_below: cmr::types::Money,
    pub critical_below: cmr::types::Money,
}

impl Default for WalletAlerts {
    fn default() -> Self {
        WalletAlerts {
            low_below: cmr::types::Money::from_cents(50_000), // 500.00
            critical_below: cmr::types::Money::from_cents(10_000), // 100.00
        }
    }
}

/// Caps on anonymous sign-in work: attempts per minute (per client address and in all), and
/// how many password checks (19 MiB of memory each) may run or wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    /// `SIGN_IN_PER_IP_PER_MINUTE`: attempts one client address may make per minute.
    pub per_ip_per_minute: u32,
    /// `SIGN_IN_PER_MINUTE`: attempts from everyone together per minute.
    pub per_minute: u32,
    /// `TRUST_X_FORWARDED_FOR`: behind a reverse proxy, the client address is the last entry
    /// of `X-Forwarded-For` (the proxy's own view) instead of the proxy's address.
    pub trust_forwarded_for: bool,
    /// Password checks that run at once (the machine's cores by default).
    pub hash_workers: usize,
    /// Password checks that may wait for a worker; beyond that, "busy, try again".
    pub hash_queue: usize,
}

impl Default for SignInLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        SignInLimits {
            per_ip_per_minute: 60,
            per_minute: 600,
            trust_forwarded_for: false,
            hash_workers: cores,
            hash_queue: cores * 4,
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let listen_addr: SocketAddr = match get("LISTEN_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
            Some(raw) => raw.trim().parse().map_err(|_| ConfigError {
                variable: "LISTEN_ADDR",
                problem: format!("must be an address like 127.0.0.1:3000, got {raw:?}"),
            })?,
        };

        let public_url = match get("PUBLIC_URL") {
            None => url::Url::parse(&format!("http://{listen_addr}")).expect("valid url"),
            Some(raw) => parse_http_url("PUBLIC_URL", &raw)?,
        };

        let database_url = get("DATABASE_URL").ok_or(ConfigError {
            variable: "DATABASE_URL",
            problem: "is not set (e.g. postgres://postgres@127.0.0.1:5432/cmr_admin)".into(),
        })?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError {
                variable: "DATABASE_URL",
                problem: "must start with postgres:// or postgresql://".into(),
            });
        }

        let cmr_api_key = match get("CMR_API_KEY") {
            None => None,
            Some(key) if key.trim().len() < 8 || key.trim().chars().any(char::is_whitespace) => {
                return Err(ConfigError {
                    variable: "CMR_API_KEY",
                    problem: "looks malformed (too short or contains spaces)".into(),
                })
            }
            Some(key) => Some(ApiKey::new(key.trim().to_string())),
        };

        let cmr_base_url = match get("CMR_BASE_URL") {
            None => cmr::client::PRODUCTION_BASE_URL.to_string(),
            Some(raw) => parse_http_url("CMR_BASE_URL", &raw)?
                .as_str()
                .trim_end_matches('/')
                .to_string(),
        };

        let cmr_requests_per_second = whole(&get, "CMR_REQUESTS_PER_SECOND", 5)? as u32;

        // The sync's share must leave people room: at most the whole rate less one call.
        let index_defaults = SyncSettings::default();
        let sync_per_second = match get("CMR_INDEX_SYNC_PER_SECOND") {
            None => index_defaults.per_second.min(cmr_requests_per_second - 1),
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if n < cmr_requests_per_second => n,
                _ => {
                    return Err(ConfigError {
                        variable: "CMR_INDEX_SYNC_PER_SECOND",
                        problem: format!(
                            "must be a whole number from 0 (off) to {} (CMR_REQUESTS_PER_SECOND less one), got {raw:?}",
                            cmr_requests_per_second - 1
                        ),
                    })
                }
            },
        };
        let index_sync = SyncSettings {
            per_second: sync_per_second,
            pass_every: Duration::from_secs(60 * whole(&get, "CMR_INDEX_PASS_MINUTES", 15)?),
            ..index_defaults
        };

        let session_idle = Duration::from_secs(60 * whole(&get, "SESSION_IDLE_MINUTES", 30)?);
        let session_absolute =
            Duration::from_secs(3600 * whole(&get, "SESSION_ABSOLUTE_HOURS", 12)?);

        let defaults = SignInLimits::default();
        let sign_in = SignInLimits {
            per_ip_per_minute: whole(
                &get,
                "SIGN_IN_PER_IP_PER_MINUTE",
                defaults.per_ip_per_minute.into(),
            )? as u32,
            per_minute: whole(&get, "SIGN_IN_PER_MINUTE", defaults.per_minute.into())? as u32,
            trust_forwarded_for: flag(&get, "TRUST_X_FORWARDED_FOR")?,
            ..defaults
        };

        let money = |variable: &'static str, default: cmr::types::Money| match get(variable) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse::<cmr::types::Money>()
                .ok()
                .filter(|m| !m.is_negative())
                .ok_or_else(|| ConfigError {
                    variable,
                    problem: format!("must be an amount like 250.00, got {raw:?}"),
                }),
        };
        let alert_defaults = WalletAlerts::default();
        let wallet_alerts = WalletAlerts {
            low_below: money("WALLET_LOW_BELOW", alert_defaults.low_below)?,
            critical_below: money("WALLET_CRITICAL_BELOW", alert_defaults.critical_below)?,
        };
        if wallet_alerts.critical_below > wallet_alerts.low_below {
            return Err(ConfigError {
                variable: "WALLET_CRITICAL_BELOW",
                problem: "must not be above WALLET_LOW_BELOW".into(),
            });
        }

        let order_approval_above = match get("ORDER_APPROVAL_ABOVE") {
            None => None,
            Some(_) => Some(money("ORDER_APPROVAL_ABOVE", cmr::types::Money::ZERO)?),
        };

        let two_factor_for_admins = match get("TWO_FACTOR_FOR_ADMINS") {
            None => cmr_api_key.is_some(),
            Some(_) => flag(&get, "TWO_FACTOR_FOR_ADMINS")?,
        };
        let metrics_addr = match get("METRICS_ADDR") {
            None => None,
            Some(raw) => match raw.trim().parse::<SocketAddr>() {
                Ok(addr) if addr != listen_addr && addr.port() != listen_addr.port() => Some(addr),
                Ok(_) => {
                    return Err(ConfigError {
                        variable: "METRICS_ADDR",
                        problem: "must not be the dashboard's own port (metrics are not public)"
                            .into(),
                    })
                }
                Err(_) => {
                    return Err(ConfigError {
                        variable: "METRICS_ADDR",
                        problem: format!("must be an address like 127.0.0.1:9100, got {raw:?}"),
                    })
                }
            },
        };
        let audit_retention_days = whole(&get, "AUDIT_RETENTION_DAYS", 730)?;
        if audit_retention_days < 30 {
            return Err(ConfigError {
                variable: "AUDIT_RETENTION_DAYS",
                problem: "must be at least 30 (the log's own floor)".into(),
            });
        }

        Ok(Config {
            metrics_addr,
            two_factor_for_admins,
            audit_retention_days: audit_retention_days as u32,
            wallet_alerts,
            order_approval_above,
            sign_in,
            index_sync,
            sandbox_inspection: flag(&get, "CMR_SANDBOX_INSPECT")?,
            listen_addr,
            public_url,
            database_url,
            cmr_api_key,
            cmr_base_url,
            cmr_requests_per_second,
            session_idle,
            session_absolute,
        })
    }

    /// Served over https: secure cookies with the `__Host-` prefix, and HSTS.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    pub fn demo_mode(&self) -> bool {
        self.cmr_api_key.is_none()
    }
}

fn parse_http_url(variable: &'static str, raw: &str) -> Result<url::Url, ConfigError> {
    match url::Url::parse(raw.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(ConfigError {
            variable,
            problem: format!("must be an http(s) URL, got {raw:?}"),
        }),
    }
}

/// A whole number between 1 and 10000, or `default` when the variable is unset.
fn whole(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
) -> Result<u64, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<u64>() {
            Ok(n) if (1..=10_000).contains(&n) => Ok(n),
            _ => Err(ConfigError {
                variable,
                problem: format!("must be a whole number between 1 and 10000, got {raw:?}"),
            }),
        },
    }
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`), `false` when unset.
fn flag(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<bool, ConfigError> {
    match get(variable).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "true" | "1" | "yes") => Ok(true),
        Some(v) if matches!(v.as_str(), "false" | "0" | "no") => Ok(false),
        Some(raw) => Err(ConfigError {
            variable,
            problem: format!("must be true or false, got {raw:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const DB: (&str, &str) = ("DATABASE_URL", "postgres://postgres@127.0.0.1/cmr_admin");

    #[test]
    fn defaults_apply_when_only_the_database_is_set() {
        let c = config(&[DB]).unwrap();
        assert_eq!(c.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.session_idle, Duration::from_secs(30 * 60));
        assert_eq!(c.session_absolute, Duration::from_secs(12 * 3600));
        assert!(c.demo_mode());
        assert!(!c.is_https());
        assert_eq!(c.cmr_base_url, cmr::client::PRODUCTION_BASE_URL);
        assert_eq!(c.cmr_requests_per_second, 5);
    }

    #[test]
    fn a_missing_database_url_names_the_variable() {
        let err = config(&[]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        assert!(err
            .to_string()
            .starts_with("configuration error: DATABASE_URL"));
    }

    #[test]
    fn malformed_values_name_their_variable() {
        for (var, value) in [
            ("LISTEN_ADDR", "localhost"),
            ("PUBLIC_URL", "ftp://x"),
            ("CMR_BASE_URL", "not a url"),
            ("SESSION_IDLE_MINUTES", "0"),
            ("SESSION_ABSOLUTE_HOURS", "twelve"),
            ("CMR_API_KEY", "short"),
            ("CMR_REQUESTS_PER_SECOND", "0"),
            ("SIGN_IN_PER_IP_PER_MINUTE", "0"),
            ("TRUST_X_FORWARDED_FOR", "maybe"),
            ("WALLET_LOW_BELOW", "lots"),
            ("WALLET_LOW_BELOW", "-5"),
            ("WALLET_CRITICAL_BELOW", "9999"),
            ("ORDER_APPROVAL_ABOVE", "a lot"),
        ] {
            let err = config(&[DB, (var, value)]).unwrap_err();
            assert_eq!(err.variable, var);
        }
    }

    #[test]
    fn wallet_thresholds_read_as_amounts() {
        let c = config(&[
            DB,
            ("WALLET_LOW_BELOW", "1000"),
            ("WALLET_CRITICAL_BELOW", "250.50"),
        ])
        .unwrap();
        assert_eq!(c.wallet_alerts.low_below.cents(), 100_000);
        assert_eq!(c.wallet_alerts.critical_below.cents(), 25_050);
        assert_eq!(
            config(&[DB]).unwrap().wallet_alerts,
            WalletAlerts::default()
        );
    }

    #[test]
    fn the_order_approval_limit_is_off_unless_set() {
        assert_eq!(config(&[DB]).unwrap().order_approval_above, None);
        let c = config(&[DB, ("ORDER_APPROVAL_ABOVE", "250")]).unwrap();
        assert_eq!(c.order_approval_above.map(|m| m.cents()), Some(25_000));
    }

    #[test]
    fn the_api_key_never_prints_itself() {
        let c = config(&[DB, ("CMR_API_KEY", "cmr_live_supersecret_123")]).unwrap();
        assert!(!format!("{c:?}").contains("supersecret"));
        assert!(!c.demo_mode());
    }
}
