//! Signed webhooks for the sandbox's lifecycle changes (an order completed or failed, a
//! domain renewed, a mailbox ready, a subscription renewed, a domain expired by the test
//! control), sent to the URL given to
//! [`SandboxControl::send_webhooks_to`](super::SandboxControl::send_webhooks_to) as CMR
//! sends them: `{event, eventId, data}`, `cmr-x-timestamp` (Unix seconds) and
//! `cmr-x-signature`, the hex HMAC-SHA256 of `timestamp.body` keyed with the API key.
//!
//! The lifecycle moves with time, so the sender settles the world itself every
//! [`TICK`] rather than waiting for a request to do it. A delivery that fails is tried twice
//! more (after 1 s and 5 s; CMR waits longer), then dropped.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::Shared;

pub(crate) const TICK: Duration = Duration::from_millis(250);

/// Events waiting beyond this are dropped (nobody is listening).
const OUTBOX_LIMIT: usize = 1_000;

pub(crate) fn spawn_sender(shared: Shared) -> JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("a plain HTTP client");
        loop {
            tokio::time::sleep(TICK).await;
            let url = shared.webhook_url();
            let events: Vec<(String, String)> = {
                let mut world = shared.lock_world();
                world.settle(Instant::now());
                let outbox = std::mem::take(&mut world.outbox);
                if url.is_none() {
                    continue;
                }
                outbox
                    .into_iter()
                    .map(|(event, data)| {
                        let id = format!("evt_{}", world.ids.cmr_id());
                        let body = json!({ "event": event, "eventId": id, "data": data });
                        (id, body.to_string())
                    })
                    .collect()
            };
            let Some(url) = url else { continue };
            for (id, body) in events {
                deliver(&http, &url, shared.api_key(), &id, body).await;
            }
        }
    })
}

/// Keeps the outbox bounded when no one takes events out.
pub(crate) fn trim(outbox: &mut Vec<(&'static str, serde_json::Value)>) {
    if outbox.len() > OUTBOX_LIMIT {
        let excess = outbox.len() - OUTBOX_LIMIT;
        outbox.drain(..excess);
    }
}

async fn deliver(http: &reqwest::Client, url: &str, key: &str, id: &str, body: String) {
    for wait in [
        Duration::ZERO,
        Duration::from_secs(1),
        Duration::from_secs(5),
    ] {
        tokio::time::sleep(wait).await;
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let sent = http
            .post(url)
            .header("content-type", "application/json")
            .header("cmr-x-timestamp", timestamp.to_string())
            .header(
                "cmr-x-signature",
                signature(key, timestamp, body.as_bytes()),
            )
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => return,
            Ok(answer) => {
                tracing::warn!(event_id = id, status = %answer.status(), "webhook refused")
            }
            Err(error) => tracing::warn!(event_id = id, %error, "webhook not delivered"),
        }
    }
}

fn signature(key: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
