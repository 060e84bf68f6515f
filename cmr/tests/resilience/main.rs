//! Timeouts, retries, rate limiting, faults and key hygiene: the real client against the
//! sandbox's fault injection over loopback. Every test is bounded well under 10 s.
#![cfg(all(feature = "client", feature = "sandbox"))]

#[path = "../common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use cmr::types::{NewUser, UserListQuery};
use cmr::{ApiKey, ClientConfig, CmrClient, CmrError};

use common::{harness, harness_with, KEY};

#[tokio::test]
async fn the_deadline_fires_even_when_cmr_is_slow() {
    let h = harness_with(|c| c.request_timeout = Duration::from_millis(300));
    h.control().set_latency(None, Duration::from_secs(2));
    let started = Instant::now();
    let err = h.client.wallet().await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err, CmrError::Timeout);
    assert!(elapsed >= Duration::from_millis(290), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
    let stat = h.client.last_call().expect("recorded");
    assert_eq!((stat.status, stat.ok), (None, false));
    assert!(stat.latency >= Duration::from_millis(250));
}

#[tokio::test]
async fn latency_can_target_one_path_only() {
    let h = harness_with(|c| c.request_timeout = Duration::from_millis(500));
    h.control()
        .set_latency(Some("/users"), Duration::from_secs(2));
    h.client.wallet().await.expect("other paths are fast");
    let err = h
        .client
        .list_users(&UserListQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err, CmrError::Timeout);
}

#[tokio::test]
async fn a_get_answered_503_is_tried_exactly_three_times() {
    let h = harness();
    h.control().force_status("/wallet", 503, 10, None);
    let started = Instant::now();
    let err = h.client.wallet().await.unwrap_err();
    assert!(
        matches!(err, CmrError::Server { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 3);
    // Two jittered backoffs: at least 125 ms + 250 ms, at most 375 ms + 750 ms.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(370), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn a_get_recovers_from_a_transient_503() {
    let h = harness();
    h.control().force_status("/wallet", 503, 1, None);
    h.client.wallet().await.expect("second attempt succeeds");
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 2);
}

#[tokio::test]
async fn a_post_answered_503_is_sent_exactly_once() {
    let h = harness();
    h.control().force_status("/users", 503, 10, None);
    let err = h.client.create_user(&NewUser::default()).await.unwrap_err();
    assert!(
        matches!(err, CmrError::Server { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(h.control().requests_to("POST", "/users").len(), 1);
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_before_retrying() {
    let h = harness();
    h.control().force_status("/wallet", 429, 1, Some(1));
    let started = Instant::now();
    h.client.wallet().await.expect("succeeds after waiting");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 2);
}

#[tokio::test]
async fn a_429_on_a_write_is_returned_with_its_retry_after() {
    let h = harness();
    h.control()
        .force_status("/subscriptions/renew-subscriptions", 429, 1, Some(1));
    let err = h.client.renew_subscriptions(&["S"]).await.unwrap_err();
    assert_eq!(
        err,
        CmrError::RateLimited {
            retry_after: Some(Duration::from_secs(1)),
            message: "Rate limit exceeded".into()
        }
    );
    assert_eq!(
        h.control()
            .requests_to("POST", "/subscriptions/renew-subscriptions")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_not_waited_for() {
    let h = harness();
    h.control().force_status("/wallet", 429, 5, Some(120));
    let started = Instant::now();
    let err = h.client.wallet().await.unwrap_err();
    assert!(matches!(err, CmrError::RateLimited { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 1);
}

#[tokio::test]
async fn a_malformed_body_is_an_unexpected_response_with_its_status() {
    let h = harness();
    h.control().malformed_body("/wallet", 1);
    let err = h.client.wallet().await.unwrap_err();
    assert_eq!(err, CmrError::UnexpectedResponse { status: 200 });
    assert_eq!(err.to_string(), "unexpected response from CMR (HTTP 200)");
    assert_eq!(
        h.control().requests_to("GET", "/wallet").len(),
        1,
        "not retried"
    );
    let stat = h.client.last_call().unwrap();
    assert_eq!((stat.status, stat.ok), (Some(200), false));
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_get() {
    let h = harness();
    h.control().drop_connection("/wallet", 1);
    h.client.wallet().await.expect("second attempt succeeds");
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 2);
}

#[tokio::test]
async fn a_dropped_connection_on_a_write_is_a_network_error_sent_once() {
    let h = harness();
    h.control().drop_connection("/users", 1);
    let err = h.client.create_user(&NewUser::default()).await.unwrap_err();
    assert!(matches!(err, CmrError::Network { .. }), "{err:?}");
    assert_eq!(h.control().requests_to("POST", "/users").len(), 1);
    assert_eq!(h.client.last_call().unwrap().status, None);
}

#[tokio::test]
async fn an_unreachable_cmr_is_a_network_error() {
    // Bind then release a loopback port so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = ClientConfig::new(
        format!("http://127.0.0.1:{port}/api/v1/integration"),
        ApiKey::new(KEY),
    );
    config.request_timeout = Duration::from_secs(5);
    let client = CmrClient::new(config).unwrap();
    let started = Instant::now();
    let err = client.wallet().await.unwrap_err();
    assert!(matches!(err, CmrError::Network { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized() {
    let h = harness_with(|c| c.api_key = ApiKey::new("definitely-not-the-key"));
    let err = h.client.wallet().await.unwrap_err();
    assert_eq!(
        err,
        CmrError::Unauthorized {
            message: "Invalid API Key".into()
        }
    );
    assert_eq!(
        h.control().requests_to("GET", "/wallet").len(),
        1,
        "not retried"
    );
}

#[tokio::test]
async fn the_key_never_appears_in_debug_output_or_errors() {
    let h = harness_with(|c| c.request_timeout = Duration::from_millis(200));
    let debug = format!("{:?} {:?}", h.client, h.client.config());
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("****0c5e"), "{debug}");
    assert!(!format!("{}", h.client.config().api_key).contains(KEY));

    h.control().set_latency(None, Duration::from_secs(1));
    let timeout = h.client.wallet().await.unwrap_err();
    h.control().clear_faults();
    h.control().force_status("/wallet", 401, 1, None);
    let unauthorized = h.client.wallet().await.unwrap_err();
    h.control().force_status("/wallet", 503, 3, None);
    let server = h.client.wallet().await.unwrap_err();
    for err in [timeout, unauthorized, server] {
        let text = format!("{err} {err:?}");
        assert!(!text.contains(KEY), "{text}");
    }
    // ...while the key did go to CMR, in its header.
    assert!(h
        .control()
        .requests()
        .iter()
        .all(|r| r.header("cmr-x-api-key") == Some(KEY) && !r.raw_query.contains(KEY)));
}

#[tokio::test]
async fn the_rate_limiter_holds_eleven_calls_to_five_a_second_across_clones() {
    let h = harness_with(|c| c.max_requests_per_second = 5);
    let started = Instant::now();
    let calls: Vec<_> = (0..11)
        .map(|_| {
            let client = h.client.clone();
            tokio::spawn(async move { client.wallet().await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("call");
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1950), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 11);
}

#[tokio::test]
async fn the_last_call_records_latency_and_status() {
    let h = harness();
    assert!(h.client.last_call().is_none());
    h.client.wallet().await.unwrap();
    let ok = h.client.last_call().unwrap();
    assert_eq!((ok.status, ok.ok), (Some(200), true));
    assert!(ok.latency < Duration::from_secs(1));
    let _ = h.client.get_user("NOPE").await.unwrap_err();
    let not_found = h.client.last_call().unwrap();
    assert_eq!((not_found.status, not_found.ok), (Some(404), false));
    assert!(not_found.at >= ok.at);
}

#[tokio::test]
async fn an_invalid_base_url_or_empty_key_is_refused_up_front() {
    let bad_url = CmrClient::new(ClientConfig::new("not a url", ApiKey::new(KEY)));
    assert!(matches!(bad_url, Err(CmrError::InvalidRequest { .. })));
    let empty_key = CmrClient::new(ClientConfig::new(
        "http://127.0.0.1:9/api/v1/integration",
        ApiKey::new(""),
    ));
    assert!(matches!(empty_key, Err(CmrError::InvalidRequest { .. })));
    assert_eq!(
        cmr::PRODUCTION_BASE_URL,
        "https://customers.coldmailreseller.com/api/v1/integration"
    );
}
