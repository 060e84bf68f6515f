//! The sandbox's inspection route (its request log over HTTP, for the browser tests): unknown
//! unless asked for, in process and in the standalone `cmr-sandbox` binary (which serves it
//! only with `CMR_SANDBOX_INSPECT=1`). Cargo hands `CARGO_BIN_EXE_cmr-sandbox` only to tests
//! of the package that builds the binary, so these tests live here.

use std::time::Duration;

const KEY: &str = "sk_test_4f9c2a7e1b8d3f6a0c5e";

const INSPECT_PATH: &str = "/__sandbox/requests";

/// GETs `path` on the sandbox's host (outside the API prefix), with or without the key.
async fn get_on_host(base_url: &str, path: &str, with_key: bool) -> (u16, String) {
    let origin = base_url
        .strip_suffix(cmr::API_PATH_PREFIX)
        .expect("base URL ends with the API prefix");
    let mut request = reqwest::Client::new().get(format!("{origin}{path}"));
    if with_key {
        request = request.header(cmr::API_KEY_HEADER, KEY);
    }
    let response = tokio::time::timeout(Duration::from_secs(5), request.send())
        .await
        .expect("answers in time")
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// The standalone `cmr-sandbox` binary on an ephemeral port; killed when dropped.
struct SandboxProcess {
    child: std::process::Child,
    base_url: String,
}

impl SandboxProcess {
    fn start(inspect: Option<&str>) -> SandboxProcess {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};

        let mut command = Command::new(env!("CARGO_BIN_EXE_cmr-sandbox"));
        command
            .env("CMR_SANDBOX_ADDR", "127.0.0.1:0")
            .env("CMR_SANDBOX_KEY", KEY)
            .env_remove("CMR_SANDBOX_INSPECT")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(value) = inspect {
            command.env("CMR_SANDBOX_INSPECT", value);
        }
        let mut child = command.spawn().expect("the sandbox binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let mut process = SandboxProcess {
            child,
            base_url: String::new(),
        };
        process.base_url = receiver
            .recv_timeout(Duration::from_secs(10))
            .expect("the sandbox binary prints its URL")
            .trim()
            .to_owned();
        process
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_sandbox_binary_serves_inspection_only_with_cmr_sandbox_inspect_1() {
    let plain = SandboxProcess::start(None);
    assert_eq!(
        get_on_host(&plain.base_url, INSPECT_PATH, true).await.0,
        404
    );
    let other_value = SandboxProcess::start(Some("yes"));
    assert_eq!(
        get_on_host(&other_value.base_url, INSPECT_PATH, true)
            .await
            .0,
        404
    );
    let inspecting = SandboxProcess::start(Some("1"));
    let (status, body) = get_on_host(&inspecting.base_url, INSPECT_PATH, false).await;
    assert_eq!((status, body.as_str()), (200, "[]"));
}

/// One API call, made as the client would make it (the key in its header).
async fn call_wallet(base_url: &str) {
    let response = reqwest::Client::new()
        .get(format!("{base_url}/wallet"))
        .header(cmr::API_KEY_HEADER, KEY)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_inspection_route_is_an_unknown_path_unless_asked_for() {
    let sandbox = cmr_sandbox::spawn(cmr_sandbox::Sandbox::seeded(KEY)).expect("binds");
    call_wallet(&sandbox.base_url()).await;
    let base = sandbox.base_url();
    for with_key in [true, false] {
        let unknown = get_on_host(&base, "/__sandbox/nothing-here", with_key).await;
        let inspect = get_on_host(&base, INSPECT_PATH, with_key).await;
        assert_eq!(inspect, unknown, "with key: {with_key}");
    }
    assert_eq!(get_on_host(&base, INSPECT_PATH, true).await.0, 404);
}

#[tokio::test]
async fn with_inspection_the_request_log_is_served_without_headers() {
    let sandbox = cmr_sandbox::spawn(cmr_sandbox::Sandbox::seeded(KEY).with_inspection())
        .expect("sandbox binds to loopback");
    call_wallet(&sandbox.base_url()).await;
    let (status, body) = get_on_host(&sandbox.base_url(), INSPECT_PATH, false).await;
    assert_eq!(status, 200, "{body}");
    let log: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(log[0]["method"], "GET");
    assert_eq!(log[0]["path"], "/wallet");
    assert!(!body.contains(KEY), "{body}");
}
