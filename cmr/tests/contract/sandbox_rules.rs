//! The sandbox's own HTTP behaviour, checked with a plain HTTP client.

use cmr_sandbox::{spawn, Sandbox};
use serde_json::{json, Value};
use time::macros::datetime;

use crate::common::{harness, KEY};

async fn raw(url: String, key: Option<&str>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    if let Some(key) = key {
        request = request.header("cmr-x-api-key", key);
    }
    let response = request.send().await.expect("sandbox answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

#[tokio::test]
async fn a_missing_or_wrong_key_gets_cmrs_401_body() {
    let h = harness();
    let url = format!("{}/wallet", h.sandbox.base_url());
    let expected = json!({"status": 401, "message": "Invalid API Key", "data": null});
    assert_eq!(raw(url.clone(), None).await, (401, expected.clone()));
    assert_eq!(raw(url.clone(), Some("nope")).await, (401, expected));
    assert_eq!(raw(url, Some(KEY)).await.0, 200);
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let h = harness();
    let (status, body) = raw(format!("{}/no/such/route", h.sandbox.base_url()), Some(KEY)).await;
    assert_eq!(status, 404);
    assert_eq!(body["status"], 404);
    assert_eq!(body["data"], Value::Null);
}

#[tokio::test]
async fn the_envelope_mirrors_the_http_status() {
    let h = harness();
    let (status, body) = raw(
        format!("{}/users?userId=NOPE", h.sandbox.base_url()),
        Some(KEY),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"status": 404, "message": "The requested user does not exist.", "data": null})
    );
}

#[tokio::test]
async fn a_partial_update_changes_only_the_fields_sent() {
    let h = harness();
    let user = h.control().users()[4].clone();
    let url = format!("{}/users?userId={}", h.sandbox.base_url(), user.id);
    let response = reqwest::Client::new()
        .put(url)
        .header("cmr-x-api-key", KEY)
        .json(&json!({"city": "Tacoma"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let mut expected = user.profile.clone();
    expected.city = "Tacoma".into();
    assert_eq!(h.control().user(&user.id).unwrap().profile, expected);
}

#[tokio::test]
async fn the_seed_is_identical_for_the_same_day() {
    let day = datetime!(2026-11-23 00:00 UTC);
    let a = spawn(Sandbox::seeded_at(KEY, day)).unwrap();
    let b = spawn(Sandbox::seeded_at(KEY, day)).unwrap();
    assert_eq!(a.control.users(), b.control.users());
    assert_eq!(a.control.domains(), b.control.domains());
    assert_eq!(a.control.mailboxes(), b.control.mailboxes());
    assert_eq!(a.control.subscriptions(), b.control.subscriptions());
}

#[tokio::test]
async fn an_empty_sandbox_has_no_customers_and_no_money() {
    let running = spawn(Sandbox::empty(KEY)).unwrap();
    assert!(running.control.users().is_empty());
    assert_eq!(running.control.wallet_balance(), cmr::types::Money::ZERO);
    assert!(running.base_url().starts_with("http://127.0.0.1:"));
    assert!(running.base_url().ends_with("/api/v1/integration"));
}
