//! Serves the seeded CMR sandbox for local development and end-to-end tests.
//!
//! `CMR_SANDBOX_ADDR` (default `127.0.0.1:4010`) and `CMR_SANDBOX_KEY` (default `sandbox-key`).
//! `CMR_SANDBOX_INSPECT=1` also serves `GET /__sandbox/requests` (the request log, for tests);
//! without it that path is an unknown route. `CMR_SANDBOX_EXTRA_CUSTOMERS=2000` adds that many
//! generated customers (three domains each, about ten mailboxes): a large partner.
//! `CMR_SANDBOX_WEBHOOK_URL` receives signed webhooks for lifecycle changes.
//! `CMR_SANDBOX_LATENCY_MS=100` delays every answer that long (a realistic CMR, for the
//! benchmark).

use std::net::SocketAddr;
use std::process::ExitCode;

use cmr_sandbox::{spawn_at, Sandbox};

#[tokio::main]
async fn main() -> ExitCode {
    let addr = std::env::var("CMR_SANDBOX_ADDR").unwrap_or_else(|_| "127.0.0.1:4010".to_owned());
    let key = std::env::var("CMR_SANDBOX_KEY").unwrap_or_else(|_| "sandbox-key".to_owned());
    let addr: SocketAddr = match addr.parse() {
        Ok(addr) => addr,
        Err(err) => {
            eprintln!("CMR_SANDBOX_ADDR {addr:?} is not a socket address: {err}");
            return ExitCode::FAILURE;
        }
    };
    let extra = match std::env::var("CMR_SANDBOX_EXTRA_CUSTOMERS") {
        Err(_) => 0,
        Ok(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if n <= 100_000 => n,
            _ => {
                eprintln!("CMR_SANDBOX_EXTRA_CUSTOMERS {raw:?} is not a number up to 100000");
                return ExitCode::FAILURE;
            }
        },
    };
    let mut sandbox = if extra > 0 {
        Sandbox::seeded_large(key, extra)
    } else {
        Sandbox::seeded(key)
    };
    if std::env::var("CMR_SANDBOX_INSPECT").as_deref() == Ok("1") {
        sandbox = sandbox.with_inspection();
    }
    let running = match spawn_at(sandbox, addr) {
        Ok(running) => running,
        Err(err) => {
            eprintln!("cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(raw) = std::env::var("CMR_SANDBOX_LATENCY_MS") {
        match raw.trim().parse::<u64>() {
            Ok(ms) if ms <= 60_000 => running
                .control
                .set_latency(None, std::time::Duration::from_millis(ms)),
            _ => {
                eprintln!(
                    "CMR_SANDBOX_LATENCY_MS {raw:?} is not a number of milliseconds up to 60000"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    if let Ok(url) = std::env::var("CMR_SANDBOX_WEBHOOK_URL") {
        running.control.send_webhooks_to(Some(url));
    }
    println!("{}", running.base_url());
    match tokio::signal::ctrl_c().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cannot wait for Ctrl-C: {err}");
            ExitCode::FAILURE
        }
    }
}
