//! The request log's arrival times, which the dashboard's tests use to check that no second
//! ever held more calls than CMR allows: each request is stamped when it arrives, not when it
//! is answered, precisely enough to tell calls a few milliseconds apart.

use std::time::Duration;

use cmr_sandbox::{spawn, Sandbox};
use tokio::time::Instant;

const KEY: &str = "sk_test_4f9c2a7e1b8d3f6a0c5e";

async fn get_wallet(http: &reqwest::Client, base_url: &str) -> u16 {
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        http.get(format!("{base_url}/wallet"))
            .header(cmr::API_KEY_HEADER, KEY)
            .send(),
    )
    .await
    .expect("answers in time")
    .expect("answers");
    response.status().as_u16()
}

#[tokio::test]
async fn each_request_is_stamped_when_it_arrives_not_when_it_is_answered() {
    let sandbox = spawn(Sandbox::seeded(KEY)).expect("sandbox binds to loopback");
    let base_url = sandbox.base_url();
    let http = reqwest::Client::new();
    // Warm the connection so the gaps measured below are the test's, not a handshake's.
    assert_eq!(get_wallet(&http, &base_url).await, 200);
    sandbox.control.clear_requests();

    let before = Instant::now();
    assert_eq!(get_wallet(&http, &base_url).await, 200);
    tokio::time::sleep(Duration::from_millis(30)).await;
    // Held 300 ms by a latency fault: still stamped when it came in.
    sandbox
        .control
        .set_latency(Some("/wallet"), Duration::from_millis(300));
    let slow_sent = Instant::now();
    assert_eq!(get_wallet(&http, &base_url).await, 200);
    let after = Instant::now();

    let log = sandbox.control.requests();
    assert_eq!(log.len(), 2, "{log:#?}");
    let (first, slow) = (log[0].received_at, log[1].received_at);
    assert!(before <= first && first <= slow && slow <= after);
    let gap = slow - first;
    assert!(
        gap >= Duration::from_millis(30) && gap < Duration::from_millis(150),
        "{gap:?} between two requests sent 30 ms apart"
    );
    let stamped_after_sending = slow - slow_sent;
    assert!(
        stamped_after_sending < Duration::from_millis(100),
        "stamped {stamped_after_sending:?} after it was sent, not after the 300 ms latency"
    );
    assert!(after - slow >= Duration::from_millis(300));
    sandbox.shutdown();
}
