//! Timeouts, retries, rate limiting, writes with an unknown outcome, faults and key hygiene: the
//! real client against the sandbox's fault injection over loopback. Also the sandbox's own
//! inspection route. Every test is bounded well under 10 s.
#![cfg(feature = "client")]

#[path = "../common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cmr::client::{in_background, BoxFuture, Busy, Priority, SharedBudget, Ticket};
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
async fn a_post_answered_503_is_an_unknown_outcome_sent_exactly_once() {
    let h = harness();
    h.control().force_status("/users", 503, 10, None);
    let err = h.client.create_user(&NewUser::default()).await.unwrap_err();
    assert!(
        matches!(
            err,
            CmrError::OutcomeUnknown {
                status: Some(503),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_outcome_unknown());
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
async fn a_dropped_connection_on_a_write_is_an_unknown_outcome_sent_once() {
    let h = harness();
    h.control().drop_connection("/users", 1);
    let err = h.client.create_user(&NewUser::default()).await.unwrap_err();
    assert!(
        matches!(err, CmrError::OutcomeUnknown { status: None, .. }),
        "{err:?}"
    );
    assert_eq!(h.control().requests_to("POST", "/users").len(), 1);
    assert_eq!(h.client.last_call().unwrap().status, None);
}

#[tokio::test]
async fn a_write_that_times_out_after_sending_is_an_unknown_outcome() {
    let h = harness_with(|c| c.request_timeout = Duration::from_millis(300));
    h.control()
        .set_latency(Some("/users"), Duration::from_secs(2));
    let err = h.client.create_user(&NewUser::default()).await.unwrap_err();
    assert!(
        matches!(err, CmrError::OutcomeUnknown { status: None, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "CMR did not confirm whether the change was applied"
    );
    assert_eq!(h.control().requests_to("POST", "/users").len(), 1);
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
    // Nothing was sent, so a write that cannot connect is known not to have happened.
    let err = client.create_user(&NewUser::default()).await.unwrap_err();
    assert!(matches!(err, CmrError::Network { .. }), "{err:?}");
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

// ---- sharing CMR's budget under load --------------------------------------------------------

/// The most calls a 5-per-second sliding window lets start within `elapsed` (one full burst at
/// the start, then five per second), with a margin of one burst for timing.
fn budget_for(elapsed: Duration) -> usize {
    5 * elapsed.as_secs_f64().ceil() as usize + 5
}

fn list_users_calls(h: &common::Harness) -> usize {
    h.control().requests_to("GET", "/users/list").len()
}

#[tokio::test]
async fn callers_that_give_up_leave_no_backlog_for_later_calls() {
    let h = harness_with(|c| c.max_requests_per_second = 5);
    let started = Instant::now();
    let impatient: Vec<_> = (0..300)
        .map(|_| {
            let client = h.client.clone();
            tokio::spawn(async move {
                let query = UserListQuery::default();
                let call = client.list_users(&query);
                // Gives up after 1 s: the future (and its place in line) is dropped.
                let _ = tokio::time::timeout(Duration::from_secs(1), call).await;
            })
        })
        .collect();
    for caller in impatient {
        caller.await.expect("task");
    }
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(started.elapsed())).await;

    let asked = Instant::now();
    h.client
        .list_users(&UserListQuery::default())
        .await
        .expect("served, not stuck behind abandoned turns");
    let waited = asked.elapsed();
    assert!(waited < Duration::from_millis(1500), "{waited:?}");
    let seen = list_users_calls(&h);
    let allowed = budget_for(started.elapsed());
    assert!(
        seen <= allowed,
        "{seen} calls reached CMR, budget {allowed}"
    );
}

#[tokio::test]
async fn a_burst_beyond_the_budget_is_refused_at_once_and_every_call_ends_by_its_deadline() {
    let h = harness_with(|c| {
        c.max_requests_per_second = 5;
        c.request_timeout = Duration::from_secs(3);
    });
    let started = Instant::now();
    let calls: Vec<_> = (0..300)
        .map(|_| {
            let client = h.client.clone();
            tokio::spawn(async move {
                let asked = Instant::now();
                let result = client.list_users(&UserListQuery::default()).await;
                (result.map(|_| ()), asked.elapsed())
            })
        })
        .collect();
    let (mut served, mut busy) = (0, 0);
    for call in calls {
        let (result, took) = call.await.expect("task");
        assert!(took < Duration::from_millis(3300), "{took:?}");
        match result {
            Ok(()) => served += 1,
            Err(CmrError::Busy { .. }) => {
                busy += 1;
                assert!(took < Duration::from_millis(500), "busy after {took:?}");
            }
            Err(other) => panic!("{other:?} after {took:?}"),
        }
    }
    assert!(served >= 10, "{served} served");
    assert_eq!(served + busy, 300);
    assert_eq!(list_users_calls(&h), served, "a busy call sends nothing");
    let allowed = budget_for(started.elapsed());
    assert!(
        served <= allowed,
        "{served} calls reached CMR, budget {allowed}"
    );
}

#[tokio::test]
async fn a_write_that_cannot_get_a_turn_before_its_deadline_is_busy_and_not_sent() {
    let h = harness_with(|c| {
        c.max_requests_per_second = 1;
        c.request_timeout = Duration::from_millis(500);
    });
    h.client
        .wallet()
        .await
        .expect("takes the only turn this second");
    let started = Instant::now();
    let err = h.client.create_user(&NewUser::default()).await.unwrap_err();
    assert!(matches!(err, CmrError::Busy { .. }), "{err:?}");
    assert!(!err.is_outcome_unknown());
    assert_eq!(err.status(), None);
    assert!(started.elapsed() < Duration::from_millis(100));
    assert!(h.control().requests_to("POST", "/users").is_empty());
}

#[tokio::test]
async fn a_full_queue_refuses_at_once() {
    let h = harness_with(|c| {
        c.max_requests_per_second = 1;
        c.max_queue = 1;
    });
    h.client
        .wallet()
        .await
        .expect("takes the only turn this second");
    let queued = {
        let client = h.client.clone();
        tokio::spawn(async move { client.wallet().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let err = h.client.wallet().await.unwrap_err();
    assert!(matches!(err, CmrError::Busy { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(100));
    queued
        .await
        .expect("task")
        .expect("the queued call is served");
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 2);
}

#[tokio::test]
async fn a_429_pauses_every_clone_of_the_client_until_its_retry_after_passes() {
    let h = harness_with(|c| c.max_requests_per_second = 5);
    let other = h.client.clone();
    h.control()
        .force_status("/subscriptions/renew-subscriptions", 429, 1, Some(2));
    let err = h.client.renew_subscriptions(&["S"]).await.unwrap_err();
    let limited = Instant::now();
    assert!(
        matches!(err, CmrError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(2)),
        "{err:?}"
    );
    let waiting = tokio::spawn(async move { other.wallet().await.map(|_| Instant::now()) });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        h.control().requests_to("GET", "/wallet").is_empty(),
        "the other clone is held back during the pause"
    );
    let served = waiting
        .await
        .expect("task")
        .expect("served after the pause");
    let paused = served - limited;
    assert!(paused >= Duration::from_millis(1900), "{paused:?}");
    assert!(paused < Duration::from_secs(3), "{paused:?}");
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 1);
}

// ---- the budget shared with other instances ---------------------------------------------------

/// A stand-in for the dashboard's Postgres budget: records what it is asked and told, and
/// refuses every admission while `refuse` is set.
#[derive(Debug, Default)]
struct FakeBudget {
    refuse: AtomicBool,
    admitted: Mutex<Vec<Priority>>,
    pauses: Mutex<Vec<Duration>>,
}

impl SharedBudget for FakeBudget {
    fn admit(
        &self,
        _deadline: tokio::time::Instant,
        priority: Priority,
    ) -> BoxFuture<'_, Result<Ticket, Busy>> {
        Box::pin(async move {
            if self.refuse.load(Ordering::SeqCst) {
                return Err(Busy {
                    retry_after: Duration::from_secs(7),
                });
            }
            self.admitted.lock().unwrap().push(priority);
            Ok(Ticket::untracked())
        })
    }

    fn record_pause(&self, pause: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.pauses.lock().unwrap().push(pause) })
    }
}

fn with_budget(budget: &Arc<FakeBudget>, rate: u32) -> common::Harness {
    let shared: Arc<dyn SharedBudget> = budget.clone();
    harness_with(|c| {
        c.max_requests_per_second = rate;
        c.shared_budget = Some(shared);
    })
}

#[tokio::test]
async fn a_call_the_shared_budget_refuses_is_busy_and_never_sent() {
    let budget = Arc::new(FakeBudget::default());
    budget.refuse.store(true, Ordering::SeqCst);
    let h = with_budget(&budget, 5);
    let err = h.client.create_user(&NewUser::default()).await.unwrap_err();
    assert_eq!(
        err,
        CmrError::Busy {
            retry_after: Duration::from_secs(7)
        }
    );
    assert!(!err.is_outcome_unknown());
    assert!(h.control().requests().is_empty(), "nothing reached CMR");
}

#[tokio::test]
async fn every_attempt_asks_the_shared_budget_with_the_callers_priority() {
    let budget = Arc::new(FakeBudget::default());
    let h = with_budget(&budget, 200);
    h.client.wallet().await.expect("interactive call");
    in_background(h.client.wallet())
        .await
        .expect("background call");
    // A retried read asks again for its second attempt.
    h.control().force_status("/wallet", 503, 1, None);
    in_background(h.client.wallet())
        .await
        .expect("recovers on retry");
    assert_eq!(
        *budget.admitted.lock().unwrap(),
        [
            Priority::Interactive,
            Priority::Background,
            Priority::Background,
            Priority::Background
        ]
    );
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 4);
}

#[tokio::test]
async fn a_call_this_processs_limiter_refuses_never_reaches_the_shared_budget() {
    let budget = Arc::new(FakeBudget::default());
    let h = harness_with(|c| {
        c.max_requests_per_second = 1;
        c.request_timeout = Duration::from_millis(500);
        c.shared_budget = Some(budget.clone());
    });
    h.client.wallet().await.expect("the only turn this second");
    let err = h.client.wallet().await.unwrap_err();
    assert!(matches!(err, CmrError::Busy { .. }), "{err:?}");
    assert_eq!(budget.admitted.lock().unwrap().len(), 1, "asked once only");
    assert_eq!(h.control().requests_to("GET", "/wallet").len(), 1);
}

#[tokio::test]
async fn a_429_is_recorded_in_the_shared_budget_with_its_retry_after() {
    let budget = Arc::new(FakeBudget::default());
    let h = with_budget(&budget, 200);
    h.control()
        .force_status("/subscriptions/renew-subscriptions", 429, 1, Some(1));
    let err = h.client.renew_subscriptions(&["S"]).await.unwrap_err();
    assert!(matches!(err, CmrError::RateLimited { .. }), "{err:?}");
    assert_eq!(*budget.pauses.lock().unwrap(), [Duration::from_secs(1)]);
    // A Retry-After beyond the cap is recorded capped, as the local pause is.
    h.control()
        .force_status("/subscriptions/renew-subscriptions", 429, 1, Some(86_400));
    h.client.renew_subscriptions(&["S"]).await.unwrap_err();
    assert_eq!(budget.pauses.lock().unwrap()[1], Duration::from_secs(60));
}

// ---- writes whose outcome CMR did not confirm ------------------------------------------------

/// A seeded customer and the same profile with another city.
fn edited_user(h: &common::Harness) -> (cmr::types::User, cmr::types::UserProfile) {
    let user = h.control().users()[5].clone();
    let mut profile = user.profile.clone();
    profile.city = format!("{} Heights", user.profile.city);
    (user, profile)
}

fn city_at_cmr(h: &common::Harness, id: &str) -> String {
    h.control().user(id).expect("user").profile.city
}

#[tokio::test]
async fn a_put_that_failed_after_cmr_applied_it_is_an_unknown_outcome() {
    let h = harness();
    let (user, profile) = edited_user(&h);
    h.control().fail_after_apply("/users", 502, 1);
    let err = h
        .client
        .update_user(&user.id, &profile, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CmrError::OutcomeUnknown {
                status: Some(502),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(city_at_cmr(&h, &user.id), profile.city, "applied");
    assert_eq!(h.control().requests_to("PUT", "/users").len(), 1);
}

#[tokio::test]
async fn a_put_whose_connection_dropped_after_cmr_applied_it_is_an_unknown_outcome() {
    let h = harness();
    let (user, profile) = edited_user(&h);
    h.control().drop_after_apply("/users", 1);
    let err = h
        .client
        .update_user(&user.id, &profile, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CmrError::OutcomeUnknown { status: None, .. }),
        "{err:?}"
    );
    assert_eq!(city_at_cmr(&h, &user.id), profile.city, "applied");
    assert_eq!(h.control().requests_to("PUT", "/users").len(), 1);
}

#[tokio::test]
async fn a_put_refused_with_502_before_cmr_acted_is_still_an_unknown_outcome() {
    let h = harness();
    let (user, profile) = edited_user(&h);
    h.control().force_status("/users", 502, 1, None);
    let err = h
        .client
        .update_user(&user.id, &profile, &[])
        .await
        .unwrap_err();
    // The client cannot tell this 502 from the one above: both are "outcome unknown".
    assert!(
        matches!(
            err,
            CmrError::OutcomeUnknown {
                status: Some(502),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(city_at_cmr(&h, &user.id), user.profile.city, "not applied");
    assert_eq!(h.control().requests_to("PUT", "/users").len(), 1);
}
