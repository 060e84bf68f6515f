//! Shared test harness: a seeded sandbox on loopback and a client pointed at it.
#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use cmr::types::{Domain, DomainStatus, User};
use cmr::{ApiKey, ClientConfig, CmrClient};
use cmr_sandbox::{spawn, LoggedRequest, RunningSandbox, Sandbox, SandboxControl};

/// Long enough that `ApiKey`'s Debug shows its last four characters, so the redaction of the
/// rest is actually tested.
pub const KEY: &str = "sk_test_4f9c2a7e1b8d3f6a0c5e";

pub struct Harness {
    pub sandbox: RunningSandbox,
    pub client: CmrClient,
}

impl Harness {
    pub fn control(&self) -> &SandboxControl {
        &self.sandbox.control
    }
}

/// A seeded sandbox and a client without practical rate limiting (contract tests make many
/// calls; the limiter has its own test).
pub fn harness() -> Harness {
    harness_with(|config| config.max_requests_per_second = 200)
}

pub fn harness_with(adjust: impl FnOnce(&mut ClientConfig)) -> Harness {
    let sandbox = spawn(Sandbox::seeded(KEY)).expect("sandbox binds to loopback");
    let mut config = ClientConfig::new(sandbox.base_url(), ApiKey::new(KEY));
    config.request_timeout = Duration::from_secs(5);
    adjust(&mut config);
    let client = CmrClient::new(config).expect("client builds");
    Harness { sandbox, client }
}

/// The one request with this method and path, checked to carry the API key.
pub fn only_request(control: &SandboxControl, method: &str, path: &str) -> LoggedRequest {
    let matching = control.requests_to(method, path);
    assert_eq!(
        matching.len(),
        1,
        "expected exactly one {method} {path}, got {:#?}",
        control.requests()
    );
    let request = matching.into_iter().next().expect("one request");
    assert_eq!(request.header("cmr-x-api-key"), Some(KEY), "API key header");
    request
}

/// The JSON body's top-level keys, sorted.
pub fn body_keys(request: &LoggedRequest) -> Vec<String> {
    let mut keys: Vec<String> = request
        .body
        .as_ref()
        .and_then(|b| b.as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

pub fn sorted(keys: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    keys.sort();
    keys
}

/// The query pairs, as (key, value) strings.
pub fn query(request: &LoggedRequest) -> Vec<(&str, &str)> {
    request
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

pub fn domains_of(control: &SandboxControl, user_id: &str) -> Vec<Domain> {
    control
        .domains()
        .into_iter()
        .filter(|d| d.extra.get("userId").and_then(|v| v.as_str()) == Some(user_id))
        .collect()
}

/// The owner (user id) of the first domain in `status`.
pub fn domain_in(control: &SandboxControl, status: DomainStatus) -> (String, Domain) {
    let domain = control
        .domains()
        .into_iter()
        .find(|d| d.status == status)
        .unwrap_or_else(|| panic!("the seed has a {status} domain"));
    let owner = domain.extra["userId"].as_str().expect("userId").to_owned();
    (owner, domain)
}

/// A seeded customer with no domains and no mailboxes.
pub fn customer_without_services(control: &SandboxControl) -> User {
    let domains = control.domains();
    let mailboxes = control.mailboxes();
    control
        .users()
        .into_iter()
        .find(|u| {
            !domains.iter().any(|d| d.extra["userId"] == u.id.as_str())
                && !mailboxes
                    .iter()
                    .any(|m| m.user_id.as_deref() == Some(&u.id))
        })
        .expect("the seed has a customer without services")
}
