//! The whole HTTP application: Leptos pages and server functions, the health check, and the
//! layers every request passes (outermost first): metrics → a POST's own task (it runs to its
//! end when the client leaves) → request id and trace span → security headers → cross-site
//! check → session → authentication guard.

use super::auth::final_store::FinalStore;
use super::auth::guard::{authenticate, CurrentStaff};
use super::http::cross_site::{reject_cross_site, OwnOrigin};
use super::http::dictionary::ShellDictionary;
use super::http::error_status::app_error_status;
use super::http::headers::{security_headers, Https};
use super::http::request_trace::trace_requests;
use super::http::run_to_end::run_changes_to_end;
use super::AppState;
use crate::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::services::{ServeDir, ServeFile};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The session cookie's name. Over https it carries the `__Host-` prefix (Secure, whole site,
/// no Domain); browsers refuse such cookies over plain http, so local http uses the bare name.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-cmr_session"
    } else {
        "cmr_session"
    }
}

/// The app's routes, generated once per process. Leptos generates them by running the app
/// with resource loading suppressed through a process-wide flag, and a resource first polled
/// while that flag is up (another server's page, in the same process) never resolves
/// (leptos-rs/leptos#4773): tests start many servers in one process, so only the first
/// generates and the rest reuse its list.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The session store (its table comes with the migrations).
pub fn session_store(state: &AppState) -> FinalStore {
    FinalStore::new(state.db.clone())
}

pub fn build(state: AppState, store: FinalStore, leptos_options: LeptosOptions) -> Router {
    let https = state.config.is_https();
    // The store's own expiry is a backstop behind the guard's idle check (which uses the app
    // clock); it lets the background task delete abandoned sessions.
    let store_expiry = time::Duration::try_from(state.config.session_idle)
        .unwrap_or(time::Duration::minutes(30))
        + time::Duration::minutes(2);
    let sessions = SessionManagerLayer::new(store)
        .with_name(session_cookie_name(https))
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(store_expiry));

    let own_origin = OwnOrigin(Arc::new(
        state.config.public_url.origin().ascii_serialization(),
    ));
    let routes = route_list();
    let context_state = state.clone();
    let webhook_state = state.clone();
    let webhook = axum::routing::post(
        move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let state = webhook_state.clone();
            async move {
                let (status, reason) = super::webhooks::receive(state, headers, body).await;
                let result = if status.is_success() {
                    "accepted"
                } else {
                    "rejected"
                };
                metrics::counter!("webhooks_total", "result" => result, "reason" => reason)
                    .increment(1);
                (status, reason)
            }
        },
    )
    .layer(axum::extract::DefaultBodyLimit::max(
        super::webhooks::MAX_BODY,
    ));
    // Static files get explicit routes: the app's catch-all 404 route would shadow a fallback.
    let site_root = std::path::PathBuf::from(&*leptos_options.site_root);
    let pkg_dir = site_root.join(&*leptos_options.site_pkg_dir);
    let dictionary = ShellDictionary::load(
        &pkg_dir,
        &leptos_options.site_pkg_dir,
        &format!("{}.wasm", leptos_options.output_name),
    );
    let pkg = Router::new()
        .fallback_service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(axum::middleware::from_fn_with_state(
            dictionary,
            super::http::dictionary::serve,
        ));
    Router::new()
        .route(crate::routes::HEALTH, get(|| async { "ok" }))
        .route(
            crate::routes::READY,
            get(super::health::ready).with_state(state.clone()),
        )
        .route(crate::routes::WEBHOOK, webhook)
        .route(
            crate::routes::DOMAINS_EXPORT,
            get(export_domains).with_state(state.clone()),
        )
        .route(
            crate::routes::ORDERS_EXPORT,
            get(export_orders).with_state(state.clone()),
        )
        .route(
            crate::routes::SUBSCRIPTIONS_EXPORT,
            get(export_subscriptions).with_state(state.clone()),
        )
        .route(
            crate::routes::MAILBOXES_EXPORT,
            get(export_mailboxes).with_state(state.clone()),
        )
        .route(
            crate::routes::SPEND_EXPORT,
            get(export_spend).with_state(state.clone()),
        )
        .route(
            crate::routes::AUDIT_EXPORT,
            get(export_audit).with_state(state.clone()),
        )
        .nest_service(&format!("/{}", leptos_options.site_pkg_dir), pkg)
        .route_service(
            "/favicon.ico",
            ServeFile::new(site_root.join("favicon.ico")),
        )
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options)
        .layer(axum::middleware::from_fn(app_error_status))
        .layer(axum::middleware::from_fn_with_state(state, authenticate))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            own_origin,
            reject_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Https(https),
            security_headers,
        ))
        .layer(axum::middleware::from_fn(trace_requests))
        .layer(axum::middleware::from_fn(run_changes_to_end))
        .layer(axum::middleware::from_fn(super::metrics::track))
}

/// A CSV export's query parameters.
type Params = axum::extract::Query<std::collections::HashMap<String, String>>;

/// The one shape of every CSV download: signed in (any role may export what it may read),
/// then `make` builds the document from the reader and the list's filters in the query, and
/// the browser saves it as `<name>-<date>.csv`.
async fn csv_export<F, Fut>(
    state: AppState,
    staff: Option<crate::model::StaffView>,
    name: &str,
    make: F,
) -> axum::response::Response
where
    F: FnOnce(AppState, crate::model::StaffView) -> Fut,
    Fut: std::future::Future<Output = Result<String, crate::error::AppError>>,
{
    let Some(staff) = staff else {
        return super::auth::guard::error_response(&crate::error::AppError::Unauthorized);
    };
    let file = format!("{name}-{}.csv", state.clock.now().date());
    match make(state, staff).await {
        Ok(csv) => super::csv::download(&file, csv),
        Err(err) => super::auth::guard::error_response(&err),
    }
}

fn param(params: &Params, name: &str) -> String {
    params.get(name).cloned().unwrap_or_default()
}

/// `GET /domains/export.csv`: the domain list's filters, every matching row.
async fn export_domains(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::Extension(CurrentStaff(staff)): axum::Extension<CurrentStaff>,
    params: Params,
) -> axum::response::Response {
    let filter = crate::model::domain::DomainFilter {
        q: param(&params, "q"),
        status: param(&params, "status"),
        sort: crate::model::domain::DomainSort::parse(&param(&params, "sort")),
        page: 1,
        due: param(&params, "due"),
    };
    csv_export(state, staff, "domains", |state, _| async move {
        super::domains::export_csv(&state, filter).await
    })
    .await
}

/// `GET /orders/export.csv`: the order list's tab and search.
async fn export_orders(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::Extension(CurrentStaff(staff)): axum::Extension<CurrentStaff>,
    params: Params,
) -> axum::response::Response {
    let filter = crate::model::order::OrderFilter {
        tab: crate::model::order::OrderTab::parse(&param(&params, "tab")),
        q: param(&params, "q"),
        page: 1,
    };
    csv_export(state, staff, "orders", |state, _| async move {
        super::orders::export_csv(&state, &filter).await
    })
    .await
}

/// `GET /subscriptions/export.csv`: the subscription list's tab and search.
async fn export_subscriptions(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::Extension(CurrentStaff(staff)): axum::Extension<CurrentStaff>,
    params: Params,
) -> axum::response::Response {
    let filter = crate::model::subscription::SubscriptionFilter {
        tab: crate::model::subscription::SubscriptionTab::parse(&param(&params, "tab")),
        q: param(&params, "q"),
        page: 1,
    };
    csv_export(state, staff, "subscriptions", |state, _| async move {
        super::subscriptions::export_csv(&state, filter).await
    })
    .await
}

/// `GET /mailboxes/export.csv`: the mailbox list's search and status.
async fn export_mailboxes(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::Extension(CurrentStaff(staff)): axum::Extension<CurrentStaff>,
    params: Params,
) -> axum::response::Response {
    let filter = crate::model::mailbox::MailboxFilter {
        q: param(&params, "q"),
        status: param(&params, "status"),
        page: 1,
    };
    csv_export(state, staff, "mailboxes", |state, _| async move {
        super::mailboxes::export_csv(&state, filter).await
    })
    .await
}

/// `GET /wallet/spend.csv`: every item the dashboard spent wallet money on.
async fn export_spend(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::Extension(CurrentStaff(staff)): axum::Extension<CurrentStaff>,
) -> axum::response::Response {
    csv_export(state, staff, "spend", |state, _| async move {
        super::wallet::spend_csv(&state).await
    })
    .await
}

/// `GET /audit/export.csv`: the audit viewer's filters; what the reader's role may read.
async fn export_audit(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::Extension(CurrentStaff(staff)): axum::Extension<CurrentStaff>,
    params: Params,
) -> axum::response::Response {
    let filter = crate::model::audit::AuditFilter::from_query(|name| params.get(name).cloned());
    csv_export(state, staff, "audit", |state, reader| async move {
        super::audit_log::export_csv(&state, &reader, &filter).await
    })
    .await
}

/// Deletes expired sessions from the store every minute, logging (not dying on) failures.
pub fn spawn_session_cleanup(store: FinalStore) {
    use tower_sessions::ExpiredDeletion;
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(err) = store.delete_expired().await {
                tracing::warn!(error = %err, "deleting expired sessions failed");
            }
        }
    });
}
