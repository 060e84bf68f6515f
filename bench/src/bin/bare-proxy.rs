//! The benchmark's floor: a reverse proxy that forwards each GET to CMR (or the sandbox) with
//! the key, and returns the status and body as they came. No session, no server-side
//! rendering, no limiter, no decoding: what any proxy must cost, so the table can show what the
//! dashboard adds on top.
//!
//! `BARE_PROXY_LISTEN` (`127.0.0.1:0` by default; the address is printed once listening),
//! `BARE_PROXY_UPSTREAM` (the API's base URL, with its path prefix), `BARE_PROXY_KEY`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use std::process::ExitCode;
use std::sync::Arc;

struct Upstream {
    client: reqwest::Client,
    base: String,
    key: String,
}

async fn forward(State(upstream): State<Arc<Upstream>>, uri: Uri) -> (StatusCode, Bytes) {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let sent = upstream
        .client
        .get(format!("{}{path}", upstream.base))
        .header(cmr::API_KEY_HEADER, &upstream.key)
        .send()
        .await;
    match sent {
        Ok(answer) => {
            let status =
                StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            match answer.bytes().await {
                Ok(body) => (status, body),
                Err(_) => (StatusCode::BAD_GATEWAY, Bytes::new()),
            }
        }
        Err(_) => (StatusCode::BAD_GATEWAY, Bytes::new()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let var = |name: &str| std::env::var(name).ok();
    let (Some(base), Some(key)) = (var("BARE_PROXY_UPSTREAM"), var("BARE_PROXY_KEY")) else {
        eprintln!("BARE_PROXY_UPSTREAM and BARE_PROXY_KEY are required");
        return ExitCode::FAILURE;
    };
    let listen = var("BARE_PROXY_LISTEN").unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("cannot listen on {listen}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let upstream = Arc::new(Upstream {
        client: reqwest::Client::new(),
        base: base.trim_end_matches('/').to_string(),
        key,
    });
    let app = axum::Router::new().fallback(forward).with_state(upstream);
    match listener.local_addr() {
        Ok(addr) => println!("http://{addr}"),
        Err(err) => {
            eprintln!("no local address: {err}");
            return ExitCode::FAILURE;
        }
    }
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("serving failed: {err}");
            ExitCode::FAILURE
        }
    }
}
