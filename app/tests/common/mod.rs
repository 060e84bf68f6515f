//! The test harness: the real router on a loopback port, a per-test Postgres database (from
//! `#[sqlx::test]`), the CMR sandbox over real HTTP, a manual clock, and captured logs.
#![allow(dead_code)]

use app::error::AppError;
use app::model::{Role, StaffView};
use app::server::auth::password;
use app::server::clock::ManualClock;
use app::server::config::{Config, SignInLimits, WalletAlerts};
use app::server::index::sync::SyncSettings;
use app::server::{db, router, startup, AppState};
use cmr::client::ApiKey;
use cmr_sandbox::{RunningSandbox, Sandbox};
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The partner key the tests configure: it must never show up in a response or a log line.
pub const CMR_KEY: &str = "cmr_test_key_7f3a9c1e_must_never_leak";
pub const PASSWORD: &str = "a long enough test password";

pub struct TestApp {
    pub url: String,
    pub state: AppState,
    pub clock: ManualClock,
    /// Shared with a second instance started by [`spawn_beside`].
    pub sandbox: Arc<RunningSandbox>,
    pub site_root: PathBuf,
    http: reqwest::Client,
}

/// Every log line the process writes during the tests.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        log_buffer().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    // Everything down to debug, so a leak anywhere would be caught.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("debug,sqlx=info,hyper=info,h2=info,rustls=info")
        .with_writer(|| CaptureWriter)
        .with_ansi(false)
        .try_init();
}

pub async fn spawn(db: PgPool) -> TestApp {
    spawn_with(db, |_| {}).await
}

/// Like [`spawn`], after `adjust` has changed the configuration (limits, timeouts).
pub async fn spawn_with(db: PgPool, adjust: impl FnOnce(&mut Config)) -> TestApp {
    init_logs();
    let sandbox = Arc::new(cmr_sandbox::spawn(Sandbox::seeded(CMR_KEY)).unwrap());
    start(db, sandbox, adjust).await
}

/// Like [`spawn`], on a sandbox the test made (a large partner, say).
pub async fn spawn_on(db: PgPool, sandbox: Sandbox) -> TestApp {
    init_logs();
    let sandbox = Arc::new(cmr_sandbox::spawn(sandbox).unwrap());
    start(db, sandbox, |_| {}).await
}

/// A second instance of the dashboard beside `first`, as another process behind the same load
/// balancer would be: its own router, state, CMR client and in-process limiter, talking to the
/// same CMR (`first`'s sandbox) and the database behind `db` (give it its own pool with
/// [`another_pool`] to share nothing else).
pub async fn spawn_beside(first: &TestApp, db: PgPool) -> TestApp {
    start(db, Arc::clone(&first.sandbox), |_| {}).await
}

/// Another connection pool to the test database behind `db`, as another process would open
/// (with the production pool's settings). Close it before the test returns, or the test
/// database cannot be dropped afterwards.
pub async fn another_pool(db: &PgPool) -> PgPool {
    db::pool_options()
        .connect_with((*db.connect_options()).clone())
        .await
        .unwrap()
}

async fn start(
    db: PgPool,
    sandbox: Arc<RunningSandbox>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config {
        listen_addr: addr,
        public_url: url::Url::parse(&format!("http://{addr}")).unwrap(),
        database_url: "postgres://unused".into(),
        cmr_api_key: Some(ApiKey::new(CMR_KEY.to_string())),
        cmr_base_url: sandbox.base_url(),
        cmr_requests_per_second: 5,
        session_idle: Duration::from_secs(30 * 60),
        session_absolute: Duration::from_secs(12 * 3600),
        sign_in: SignInLimits::default(),
        sandbox_inspection: false,
        // Tests that want admins to need a second factor turn it on.
        two_factor_for_admins: false,
        audit_retention_days: 730,
        metrics_addr: None,
        wallet_alerts: WalletAlerts::default(),
        order_approval_above: None,
        // Tests that want the sync run it themselves (it would add calls to every request log).
        index_sync: SyncSettings {
            per_second: 0,
            ..SyncSettings::default()
        },
    };
    adjust(&mut config);
    // Built as `startup::prepare` builds it: with the budget shared through Postgres.
    let cmr = startup::cmr_client(
        &config,
        config.cmr_base_url.clone(),
        ApiKey::new(CMR_KEY.to_string()),
        &db,
    )
    .unwrap();
    let clock = ManualClock::starting_now();
    let state = AppState::new(db, cmr, config, Arc::new(clock.clone()));

    // A stand-in site directory, so /pkg/* is served as it is in production.
    let site_root = std::env::temp_dir().join(format!("cmr-admin-test-{}", addr.port()));
    std::fs::create_dir_all(site_root.join("pkg")).unwrap();
    std::fs::write(site_root.join("pkg/cmr-admin.css"), "body{}").unwrap();
    let options = LeptosOptions::builder()
        .output_name("cmr-admin")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    // As `startup::prepare` does: hear what other instances' changes made stale.
    app::server::reads_sync::listen(state.db.clone(), state.reads.clone());
    let store = router::session_store(&state);
    let app = router::build(state.clone(), store, options);
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        url: format!("http://{addr}"),
        state,
        clock,
        sandbox,
        site_root,
        http,
    }
}

/// Runs one whole pass of the partner index's sync, step by step (no pacing), on `db`.
pub async fn fill_index(app: &TestApp, db: &PgPool) {
    use app::server::index::sync::{Step, Syncer};
    let settings = SyncSettings {
        per_second: 0,
        pass_every: Duration::ZERO,
        lease: Duration::from_secs(30),
    };
    let sync = Syncer::new(db.clone(), app.state.cmr.clone(), settings);
    while sync.step().await.unwrap() != Step::PassFinished {}
}

/// The customer edit form as the browser posts it: `id`, `seen[…]` and `edited[…]`.
pub fn update_form(
    id: &str,
    seen: &cmr::types::UserProfile,
    edited: &cmr::types::UserProfile,
) -> Vec<(String, String)> {
    let mut form = vec![("id".to_string(), id.to_string())];
    for field in cmr::types::ProfileField::ALL {
        form.push((format!("seen[{field}]"), seen.get(field).into()));
        form.push((format!("edited[{field}]"), edited.get(field).into()));
    }
    form
}

/// A server function's answer: status, the session cookie it set (if any), the body.
pub struct Answer {
    pub status: u16,
    pub cookie: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn error(&self) -> AppError {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|_| panic!("not an AppError: {} {}", self.status, self.body))
    }

    pub fn is_ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl TestApp {
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Creates an account directly in the database.
    pub async fn staff(&self, email: &str, role: Role) -> StaffView {
        let hash = password::hash(PASSWORD.to_string()).await.unwrap();
        let new = db::staff::NewStaff {
            email,
            display_name: "Test Person",
            role,
            password_hash: &hash,
            now: self.state.clock.now(),
        };
        let id = db::staff::insert(&self.state.db, new)
            .await
            .unwrap()
            .unwrap();
        StaffView {
            id,
            email: email.into(),
            display_name: "Test Person".into(),
            role,
        }
    }

    /// POSTs a server function the way the browser does (same origin, form-encoded).
    pub async fn call(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Answer {
        let mut req = self
            .http
            .post(format!("{}{path}", self.url))
            .header("origin", &self.url)
            .header("sec-fetch-site", "same-origin")
            .form(form);
        if let Some(cookie) = cookie {
            req = req.header("cookie", format!("cmr_session={cookie}"));
        }
        send(req, format!("POST {path}")).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(cookie) = cookie {
            req = req.header("cookie", format!("cmr_session={cookie}"));
        }
        send(req, format!("GET {path}")).await
    }

    /// Signs in and returns the session cookie's value.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let answer = self
            .call(
                "/api/auth/sign_in",
                None,
                &[("email", email), ("password", password)],
            )
            .await;
        assert!(
            answer.is_ok(),
            "sign-in failed: {} {}",
            answer.status,
            answer.body
        );
        answer.cookie.expect("sign-in sets the session cookie")
    }

    /// True when the cookie still opens a session.
    pub async fn is_signed_in(&self, cookie: &str) -> bool {
        let answer = self.call("/api/auth/whoami", Some(cookie), &[]).await;
        match answer.status {
            200 => true,
            401 => false,
            other => panic!("whoami answered {other}: {}", answer.body),
        }
    }
}

/// Sends `req` and reads the whole answer; a request that does not finish within a minute
/// fails the test naming it (a hang would otherwise stall the whole suite without a word).
async fn send(req: reqwest::RequestBuilder, what: String) -> Answer {
    let answered = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        answer(req.send().await.unwrap()).await
    })
    .await;
    answered.unwrap_or_else(|_| panic!("{what} did not answer within 60 s"))
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("cmr_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .filter(|v| !v.is_empty());
    let body = res.text().await.unwrap();
    Answer {
        status,
        cookie,
        headers,
        body,
    }
}

/// A database of its own, outside `#[sqlx::test]`'s bookkeeping, for tests of what happens
/// before one exists (start-up, migrations, demo mode). `drop` removes it, connections and all.
pub struct ScratchDatabase {
    server: String,
    pub name: String,
    pub url: String,
}

impl ScratchDatabase {
    /// Names it `cmr_admin_{purpose}_{pid}`; it is not created.
    pub fn named(purpose: &str) -> ScratchDatabase {
        let base = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/cmr_admin_test".into());
        let server = base
            .rsplit_once('/')
            .map_or(base.as_str(), |(s, _)| s)
            .to_string();
        let name = format!("cmr_admin_{purpose}_{}", std::process::id());
        let url = format!("{server}/{name}");
        ScratchDatabase { server, name, url }
    }

    /// A connection to the server's `postgres` database, for CREATE and DROP.
    pub async fn maintenance(&self) -> PgPool {
        PgPool::connect(&format!("{}/postgres", self.server))
            .await
            .unwrap()
    }

    pub async fn create(&self) {
        let admin = self.maintenance().await;
        sqlx::query(&format!("CREATE DATABASE \"{}\"", self.name))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
    }

    pub async fn drop(self) {
        let admin = self.maintenance().await;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&admin)
        .await
        .unwrap();
        admin.close().await;
    }
}

impl TestApp {
    /// A server function call running on its own task (to fire calls while the test injects a
    /// fault); its status and body.
    pub fn call_in_background(
        &self,
        path: &str,
        cookie: &str,
        form: Vec<(String, String)>,
    ) -> tokio::task::JoinHandle<(u16, String)> {
        let (http, url, path, cookie) = (
            self.http.clone(),
            self.url.clone(),
            path.to_string(),
            cookie.to_string(),
        );
        tokio::spawn(async move {
            let res = http
                .post(format!("{url}{path}"))
                .header("origin", &url)
                .header("sec-fetch-site", "same-origin")
                .header("cookie", format!("cmr_session={cookie}"))
                .form(&form)
                .timeout(Duration::from_secs(60))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap_or_default())
        })
    }
}

/// Waits (up to 20 s) until `count` statements of this database wait on a lock of one of
/// `kinds` (`advisory`; a row: `transactionid` for the first in line, `tuple` for the rest;
/// a table: `relation`), then kills `kill` of them as a database restart or a network cut
/// would: the worst moment for a write that holds a limit.
pub async fn kill_waiting(db: &PgPool, kinds: &[&str], count: usize, kill: usize) {
    use sqlx::Connection;
    let (mut watcher, waiting) = until_waiting(db, kinds, count).await;
    for pid in waiting.into_iter().take(kill) {
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(&mut watcher)
            .await
            .unwrap();
    }
    watcher.close().await.unwrap();
}

/// Waits (up to 20 s) until `count` statements of this database wait on a lock of one of
/// `kinds` (see [`kill_waiting`]): the connection it watched from, for what comes next, and
/// the waiting backends it saw.
pub async fn until_waiting(
    db: &PgPool,
    kinds: &[&str],
    count: usize,
) -> (sqlx::PgConnection, Vec<i32>) {
    use sqlx::Connection;
    // A connection of its own: the app's pool may be busy with exactly the calls it watches.
    let mut watcher = sqlx::PgConnection::connect_with(&db.connect_options())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let waiting = waiting_on(&mut watcher, kinds).await;
        if waiting.len() >= count {
            return (watcher, waiting);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{count} statements never waited on a {kinds:?} lock (saw {})",
            waiting.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The backends of this database waiting on a lock of one of `kinds`, in pid order.
async fn waiting_on(watcher: &mut sqlx::PgConnection, kinds: &[&str]) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'
            AND wait_event = ANY($1)
          ORDER BY pid",
    )
    .bind(kinds)
    .fetch_all(watcher)
    .await
    .unwrap()
}
