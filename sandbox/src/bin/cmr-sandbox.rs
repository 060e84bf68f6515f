//! Serves the seeded CMR sandbox for local development and end-to-end tests.
//!
//! `CMR_SANDBOX_ADDR` (default `127.0.0.1:4010`) and `CMR_SANDBOX_KEY` (default `sandbox-key`).
//! `CMR_SANDBOX_INSPECT=1` also serves `GET /__sandbox/requests` (the request log, for tests);
//! without it that path is an unknown route.

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
    let mut sandbox = Sandbox::seeded(key);
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
    println!("{}", running.base_url());
    match tokio::signal::ctrl_c().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cannot wait for Ctrl-C: {err}");
            ExitCode::FAILURE
        }
    }
}
