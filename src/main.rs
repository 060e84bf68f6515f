//! The composition root: configuration → telemetry → database → CMR client → router → serve.
//! Also the `create-admin` command for creating or resetting an admin from a terminal.

/// mimalloc instead of glibc's malloc: server rendering allocates and frees many small
/// strings and nodes on every page, and under load glibc's allocator was a third of the
/// server's CPU (BENCHMARKS.md, tenth session, "mimalloc").
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::main().await
}

/// mimalloc 3's number for the option in `mi_option_t` (libmimalloc-sys is pinned exactly).
#[cfg(all(feature = "ssr", target_os = "linux"))]
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// mimalloc's option `arena_eager_commit` off by default (`MIMALLOC_ARENA_EAGER_COMMIT` still
/// wins): on Linux it commits a whole arena up front, about 13 MiB more resident memory at
/// rest. The first allocation reserves that arena, so this runs as the process loads, before
/// Rust's runtime starts.
#[cfg(all(feature = "ssr", target_os = "linux"))]
#[used]
#[unsafe(link_section = ".init_array")]
static MIMALLOC_DEFAULTS: extern "C" fn() = {
    extern "C" fn set() {
        // SAFETY: sets a plain integer default; allocates nothing.
        unsafe { libmimalloc_sys::mi_option_set_default(ARENA_EAGER_COMMIT, 0) };
    }
    set
};

#[cfg(not(feature = "ssr"))]
fn main() {}

#[cfg(all(test, feature = "ssr", target_os = "linux"))]
mod tests {
    use super::ARENA_EAGER_COMMIT;

    #[test]
    fn the_arena_is_not_committed_up_front_unless_the_operator_asks() {
        // SAFETY: reads a plain integer option.
        let value = unsafe { libmimalloc_sys::mi_option_get(ARENA_EAGER_COMMIT) };
        let expected = std::env::var("MIMALLOC_ARENA_EAGER_COMMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert_eq!(value, expected);
    }

    #[test]
    fn the_option_number_is_eager_arena_commit() {
        // Its neighbours in mimalloc 3's list, by their documented defaults: `verbose` (2) is
        // off and `purge_decommits` (5) on, so 4 sits between them where the header puts it.
        // SAFETY: reads plain integer options.
        let (verbose, purge_decommits) = unsafe {
            (
                libmimalloc_sys::mi_option_get(ARENA_EAGER_COMMIT - 2),
                libmimalloc_sys::mi_option_get(ARENA_EAGER_COMMIT + 1),
            )
        };
        assert_eq!((verbose, purge_decommits), (0, 1));
    }
}

#[cfg(feature = "ssr")]
mod cli {
    use app::server::auth::{bootstrap, setup};
    use app::server::clock::SystemClock;
    use app::server::config::Config;
    use app::server::{router, startup, AppState};
    use std::io::BufRead;
    use std::process::ExitCode;
    use std::sync::Arc;

    const USAGE: &str = "usage:
  cmr-admin                      run the dashboard (configuration from the environment)
  cmr-admin create-admin --email EMAIL --name NAME
                                 create an admin, or reset that account's password and make it
                                 an admin; the password is read from CMR_ADMIN_PASSWORD or
                                 from the first line of standard input; the account is
                                 enabled and its two-factor sign-in turned off (break-glass)
  cmr-admin prune-audit          delete audit entries older than AUDIT_RETENTION_DAYS (730 by
                                 default; never younger than 30 days); run it daily from cron";

    pub async fn main() -> ExitCode {
        if let Err(err) = init_logs() {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
        let config = match Config::from_env() {
            Ok(config) => config,
            Err(err) => {
                eprintln!("{err}");
                return ExitCode::FAILURE;
            }
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        let result = match args.first().map(String::as_str) {
            None | Some("serve") => serve(config).await,
            Some("create-admin") => create_admin(config, &args[1..]).await,
            Some("prune-audit") => prune_audit(config).await,
            Some("help" | "--help" | "-h") => {
                println!("{USAGE}");
                Ok(())
            }
            Some(other) => Err(format!("unknown command {other:?}\n{USAGE}").into()),
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::FAILURE
            }
        }
    }

    /// Human-readable lines by default; `LOG_FORMAT=json` for one JSON object per line (with
    /// the request id and staff id of the span it was written in).
    fn init_logs() -> Result<(), String> {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into());
        let logs = tracing_subscriber::fmt().with_env_filter(filter);
        match std::env::var("LOG_FORMAT").unwrap_or_default().trim() {
            "" | "text" => logs.init(),
            "json" => logs
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .init(),
            other => {
                return Err(format!(
                    "configuration error: LOG_FORMAT must be text or json, got {other:?}"
                ))
            }
        }
        Ok(())
    }

    /// Where the compiled site is: `LEPTOS_SITE_ROOT` when set (cargo-leptos sets it), else a
    /// `site` folder beside the binary (the release artifact), else cargo-leptos' default.
    fn site_root(configured: &str) -> Option<String> {
        if std::env::var_os("LEPTOS_SITE_ROOT").is_some() {
            return None;
        }
        let beside = std::env::current_exe().ok()?.parent()?.join("site");
        (beside.is_dir() && configured == "target/site")
            .then(|| beside.to_string_lossy().into_owned())
    }

    async fn serve(config: Config) -> Result<(), startup::StartupError> {
        let listen_addr = config.listen_addr;
        let metrics_addr = config.metrics_addr;
        let (state, sandbox) = startup::prepare(config, Arc::new(SystemClock)).await?;
        let store = router::session_store(&state);
        router::spawn_session_cleanup(store.clone());

        let mut leptos_options = leptos::config::get_configuration(None)?.leptos_options;
        leptos_options.site_addr = listen_addr;
        if let Some(root) = site_root(&leptos_options.site_root) {
            leptos_options.site_root = root.into();
        }
        if let Some(addr) = metrics_addr {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            println!("Metrics at http://{addr}/metrics");
            tokio::spawn(async move {
                let served = axum::serve(listener, app::server::metrics::router())
                    .with_graceful_shutdown(shutdown_signal())
                    .await;
                if let Err(err) = served {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            });
        }
        let app = router::build(state.clone(), store, leptos_options);

        let listener = tokio::net::TcpListener::bind(listen_addr).await?;
        announce(&state, sandbox.as_ref().map(|s| s.addr));
        bootstrap::announce_if_needed(&state).await?;
        // The peer address feeds the per-address sign-in cap.
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        // Requests in flight have finished. Background work (the index sync, order follow-up,
        // session clean-up) stops with the runtime: each of its writes is one transaction, so
        // an interrupted one is rolled back, never half-written.
        println!("CMR Admin stopped.");
        Ok(())
    }

    fn announce(state: &AppState, sandbox: Option<std::net::SocketAddr>) {
        println!("CMR Admin listening on {}", state.config.public_url);
        if let Some(addr) = sandbox {
            println!("Demo mode: no CMR_API_KEY set; CMR sandbox at http://{addr}");
        }
    }

    /// Ctrl-C, or SIGTERM (what systemd and container runtimes send).
    async fn shutdown_signal() {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate => {}
        }
    }

    async fn prune_audit(config: Config) -> Result<(), startup::StartupError> {
        let days = config.audit_retention_days;
        let db = app::server::db::connect_and_migrate(&config.database_url).await?;
        let removed = app::server::db::audit::prune(&db, days).await?;
        println!("Removed {removed} audit entries older than {days} days.");
        Ok(())
    }

    async fn create_admin(config: Config, args: &[String]) -> Result<(), startup::StartupError> {
        let flag = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        let (Some(email), Some(name)) = (flag("--email"), flag("--name")) else {
            return Err(format!("create-admin needs --email and --name\n{USAGE}").into());
        };
        let password = match std::env::var("CMR_ADMIN_PASSWORD") {
            Ok(password) => password,
            Err(_) => {
                eprintln!("Password for {email} (one line on standard input):");
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            }
        };
        let (state, _sandbox) = startup::prepare(config, Arc::new(SystemClock)).await?;
        let (id, created) = setup::create_or_reset_admin(&state, &email, &name, password)
            .await
            .map_err(|e| e.to_string())?;
        let verb = if created { "Created" } else { "Reset" };
        println!("{verb} admin account {id} for {email}.");
        Ok(())
    }
}
