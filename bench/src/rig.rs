//! One set of programs for one CMR latency: the standalone sandbox, the bare proxy in front
//! of it, and the dashboard (the release artifact) on a database of its own, with a signed-in
//! admin. Everything listens on loopback ports picked at start.

use crate::procs::{free_port, Proc};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const KEY: &str = "bench-sandbox-key";
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "a long enough benchmark password";

/// Where the programs are and where their logs go.
pub struct Programs {
    pub dashboard: PathBuf,
    pub sandbox: PathBuf,
    pub proxy: PathBuf,
    /// `postgres://user@host:port`, without a database.
    pub database_server: String,
    pub logs: PathBuf,
}

pub struct Rig {
    sandbox: Proc,
    proxy: Proc,
    pub dashboard: Proc,
    pub client: Client,
}

/// How the benchmark reaches the three programs (cheap to clone into tasks).
#[derive(Clone)]
pub struct Client {
    /// The sandbox's API base URL (with CMR's path prefix).
    cmr: String,
    sandbox_root: String,
    proxy_url: String,
    pub app: String,
    pub http: reqwest::Client,
    /// The signed-in admin's session cookie value.
    pub cookie: String,
}

impl Rig {
    /// Starts all three with every CMR answer delayed by `latency_ms`, on a new database
    /// `database` (the dashboard creates it and applies its migrations).
    pub async fn start(
        programs: &Programs,
        latency_ms: u64,
        database: &str,
    ) -> Result<Rig, String> {
        let log = |name: &str| programs.logs.join(format!("{name}-{latency_ms}ms.log"));
        let sandbox_port = free_port();
        let mut sandbox = Proc::start(
            "the sandbox",
            &programs.sandbox,
            &[],
            &[
                ("CMR_SANDBOX_ADDR", format!("127.0.0.1:{sandbox_port}")),
                ("CMR_SANDBOX_KEY", KEY.into()),
                ("CMR_SANDBOX_INSPECT", "1".into()),
                // Enough customers that every scenario opens profiles nobody opened before.
                ("CMR_SANDBOX_EXTRA_CUSTOMERS", "60".into()),
                ("CMR_SANDBOX_LATENCY_MS", latency_ms.to_string()),
            ],
            &log("sandbox"),
        )?;
        sandbox.listening(sandbox_port).await?;
        let sandbox_root = format!("http://127.0.0.1:{sandbox_port}");
        let cmr = format!("{sandbox_root}{}", cmr::API_PATH_PREFIX);

        let proxy_port = free_port();
        let mut proxy = Proc::start(
            "the bare proxy",
            &programs.proxy,
            &[],
            &[
                ("BARE_PROXY_LISTEN", format!("127.0.0.1:{proxy_port}")),
                ("BARE_PROXY_UPSTREAM", cmr.clone()),
                ("BARE_PROXY_KEY", KEY.into()),
            ],
            &log("proxy"),
        )?;
        proxy.listening(proxy_port).await?;

        let port = free_port();
        let app = format!("http://127.0.0.1:{port}");
        let env = [
            (
                "DATABASE_URL",
                format!("{}/{database}", programs.database_server),
            ),
            ("LISTEN_ADDR", format!("127.0.0.1:{port}")),
            ("PUBLIC_URL", app.clone()),
            ("CMR_API_KEY", KEY.into()),
            ("CMR_BASE_URL", cmr.clone()),
            // The production log level, whatever the caller's shell says.
            ("RUST_LOG", "info,sqlx=warn,tower_sessions=warn".into()),
            ("LOG_FORMAT", "text".into()),
            // People's calls only: the background index sync would share CMR's budget.
            ("CMR_INDEX_SYNC_PER_SECOND", "0".into()),
            // One machine signs in many times on purpose.
            ("SIGN_IN_PER_IP_PER_MINUTE", "10000".into()),
            ("SIGN_IN_PER_MINUTE", "10000".into()),
            ("TWO_FACTOR_FOR_ADMINS", "false".into()),
            ("CMR_ADMIN_PASSWORD", PASSWORD.into()),
        ];
        let created = tokio::process::Command::new(&programs.dashboard)
            .args(["create-admin", "--email", EMAIL, "--name", "Bench"])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .map_err(|e| format!("cannot run create-admin: {e}"))?;
        if !created.status.success() {
            return Err(format!(
                "create-admin failed: {}",
                String::from_utf8_lossy(&created.stderr)
            ));
        }
        let env: Vec<_> = env
            .into_iter()
            .filter(|(k, _)| *k != "CMR_ADMIN_PASSWORD")
            .collect();
        let mut dashboard = Proc::start(
            "the dashboard",
            &programs.dashboard,
            &[],
            &env,
            &log("dashboard"),
        )?;
        dashboard.listening(port).await?;

        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        while !matches!(http.get(format!("{app}/readyz")).send().await, Ok(r) if r.status() == 200)
        {
            if started.elapsed() > Duration::from_secs(60) {
                return Err("the dashboard was not ready within 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut client = Client {
            cmr,
            sandbox_root,
            proxy_url: format!("http://127.0.0.1:{proxy_port}"),
            app,
            http,
            cookie: String::new(),
        };
        client.cookie = client.sign_in().await?;
        Ok(Rig {
            sandbox,
            proxy,
            dashboard,
            client,
        })
    }

    /// Stops the three; whether the dashboard shut down cleanly on SIGTERM.
    pub async fn stop(self) -> bool {
        let clean = self.dashboard.stop("TERM").await;
        self.proxy.stop("INT").await;
        self.sandbox.stop("INT").await;
        clean
    }
}

impl Client {
    /// Signs the benchmark's admin in; the new session's cookie value.
    pub async fn sign_in(&self) -> Result<String, String> {
        let form = [("email", EMAIL), ("password", PASSWORD)];
        let answer = self
            .form_request("/api/auth/sign_in", None, &form)
            .send()
            .await
            .map_err(|e| format!("sign-in: {e}"))?;
        if !answer.status().is_success() {
            return Err(format!("sign-in answered {}", answer.status()));
        }
        answer
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("cmr_session=")?.split(';').next())
            .map(str::to_string)
            .ok_or_else(|| "sign-in set no session cookie".to_string())
    }

    /// A server function call as the dashboard's own pages make it (same origin).
    fn form_request(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let request = self
            .http
            .post(format!("{}{path}", self.app))
            .header("origin", &self.app)
            .header("sec-fetch-site", "same-origin")
            .form(form);
        match cookie {
            Some(cookie) => request.header("cookie", format!("cmr_session={cookie}")),
            None => request,
        }
    }

    /// A server function call by the signed-in admin, read to the end; its status.
    pub async fn call(&self, path: &str, form: &[(&str, &str)]) -> Result<u16, String> {
        let request = self.form_request(path, Some(&self.cookie), form);
        read_to_end(request, &format!("POST {path}")).await
    }

    /// A signed-in page, read to its last byte (streamed parts included); its status.
    pub async fn page(&self, path: &str) -> Result<u16, String> {
        let request = self
            .http
            .get(format!("{}{path}", self.app))
            .header("cookie", format!("cmr_session={}", self.cookie));
        read_to_end(request, &format!("GET {path}")).await
    }

    /// A GET through the bare proxy (`path` below CMR's prefix), read to the end; its status.
    pub async fn proxied(&self, path: &str) -> Result<u16, String> {
        let request = self.http.get(format!("{}{path}", self.proxy_url));
        read_to_end(request, &format!("proxy {path}")).await
    }

    /// Every request that has reached the sandbox, oldest first, as `path?query` (GETs only;
    /// the dashboard's reads are GETs).
    pub async fn cmr_log(&self) -> Result<Vec<String>, String> {
        let log: Vec<serde_json::Value> = self
            .http
            .get(format!("{}/__sandbox/requests", self.sandbox_root))
            .send()
            .await
            .map_err(|e| format!("the sandbox's request log: {e}"))?
            .json()
            .await
            .map_err(|e| format!("the sandbox's request log: {e}"))?;
        Ok(log
            .iter()
            .filter(|r| r["method"] == "GET")
            .map(|r| {
                let path = r["path"].as_str().unwrap_or_default();
                let path = path.strip_prefix(cmr::API_PATH_PREFIX).unwrap_or(path);
                match r["query"].as_str().filter(|q| !q.is_empty()) {
                    Some(query) => format!("{path}?{query}"),
                    None => path.to_string(),
                }
            })
            .collect())
    }

    /// Every customer's id, from the sandbox directly (not through the dashboard).
    pub async fn customer_ids(&self) -> Result<Vec<String>, String> {
        let listed: serde_json::Value = self
            .http
            .get(format!("{}/users/list?page=1&limit=100", self.cmr))
            .header(cmr::API_KEY_HEADER, KEY)
            .send()
            .await
            .map_err(|e| format!("listing customers: {e}"))?
            .json()
            .await
            .map_err(|e| format!("listing customers: {e}"))?;
        Ok(listed["data"]["users"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u["id"].as_str().map(str::to_string))
            .collect())
    }
}

/// Sends `request` and reads the answer to its last byte (what a browser waits for); its
/// status. `what` names the request in an error.
pub async fn read_to_end(request: reqwest::RequestBuilder, what: &str) -> Result<u16, String> {
    let answer = request.send().await.map_err(|e| format!("{what}: {e}"))?;
    let status = answer.status().as_u16();
    answer.bytes().await.map_err(|e| format!("{what}: {e}"))?;
    Ok(status)
}
