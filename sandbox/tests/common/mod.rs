//! Shared by the sandbox's HTTP tests: a seeded sandbox on loopback called as the client
//! calls it (key header, JSON body), a receiver for its webhooks, and bounded waits.
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use cmr_sandbox::{spawn, RunningSandbox, Sandbox, SandboxControl};
use serde_json::Value;

pub const KEY: &str = "sk_test_4f9c2a7e1b8d3f6a0c5e";

/// The longest any wait here lasts: a bound for a stalled test, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(20);

pub struct Api {
    pub sandbox: RunningSandbox,
    http: reqwest::Client,
}

impl Api {
    pub fn seeded() -> Api {
        Api {
            sandbox: spawn(Sandbox::seeded(KEY)).expect("sandbox binds to loopback"),
            http: reqwest::Client::new(),
        }
    }

    pub fn control(&self) -> &SandboxControl {
        &self.sandbox.control
    }

    /// `GET` a path (relative to the API root, query included): HTTP status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let request = self.http.get(format!("{}{path}", self.sandbox.base_url()));
        answer(request).await
    }

    /// `POST` a JSON body to a path (relative to the API root, query included).
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let request = self
            .http
            .post(format!("{}{path}", self.sandbox.base_url()))
            .json(body);
        answer(request).await
    }
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        request.header(cmr::API_KEY_HEADER, KEY).send(),
    )
    .await
    .expect("answers in time")
    .expect("answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// One webhook as received: its `event` and `data`.
#[derive(Debug, Clone)]
pub struct Event {
    pub event: String,
    pub data: Value,
}

/// An HTTP endpoint on loopback keeping every webhook posted to it, in arrival order.
pub struct Receiver {
    pub url: String,
    events: Arc<Mutex<Vec<Event>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let events: Arc<Mutex<Vec<Event>>> = Arc::default();
        let store = Arc::clone(&events);
        let app = axum::Router::new().route(
            "/webhooks",
            axum::routing::post(move |body: Bytes| {
                let store = Arc::clone(&store);
                async move {
                    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
                        return StatusCode::BAD_REQUEST;
                    };
                    let event = Event {
                        event: body["event"].as_str().unwrap_or_default().to_owned(),
                        data: body["data"].clone(),
                    };
                    store
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(event);
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds to loopback");
        let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, events }
    }

    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until `done` holds for the events received so far; returns them.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
        eventually(what, || {
            let events = self.events();
            done(&events).then_some(events)
        })
        .await
    }

    /// Expires a seeded domain and waits for its `domain.expired`: the sandbox sends its
    /// events in order, so everything queued before has arrived by then.
    pub async fn drain(&self, control: &SandboxControl) -> Vec<Event> {
        let domain = control.domains().remove(0).domain_name;
        assert!(control.expire_domain(&domain));
        self.wait_for("the barrier's domain.expired", |events| {
            events
                .iter()
                .any(|e| e.event == "domain.expired" && e.data["domainName"] == domain.as_str())
        })
        .await
    }
}

/// Polls `check` every 5 ms until it gives a value, for at most [`PATIENCE`].
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
