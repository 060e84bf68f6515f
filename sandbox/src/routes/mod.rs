//! The sandbox's HTTP surface: every endpoint under `/api/v1/integration`, with CMR's envelope.
//!
//! Each endpoint is a plain function `fn(&mut World, &Input) -> Outcome`: it runs under the
//! world lock after [`World::settle`], never awaits, and never panics on input.

use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::time::Instant;

pub(crate) use super::envelope::{money, ApiError, Done, Outcome};
use super::state::{UserRec, World};
use super::{Shared, API_PREFIX};

mod dns;
mod domains;
mod geo;
mod mailboxes;
mod orders;
mod subscriptions;
mod users;
mod wallet;

pub(crate) use domains::domain_json;
pub(crate) use mailboxes::mailbox_json;
pub(crate) use orders::order_json;
pub(crate) use subscriptions::subscription_json;
pub(crate) use users::user_json;

/// The full router: request log → faults → auth → endpoints; plus, when `inspection` is on,
/// the request log over HTTP.
pub(crate) fn router(shared: Shared, inspection: bool) -> Router {
    let api = Router::new()
        .route("/users/list", get(op(users::list)))
        .route(
            "/users",
            get(op(users::get))
                .post(op(users::create))
                .put(op(users::update))
                .delete(op(users::delete)),
        )
        .route("/geo/countries", get(op(geo::countries)))
        .route("/geo/states", get(op(geo::states)))
        .route("/domains/by-user", get(op(domains::by_user)))
        .route("/domains/renewal-price", post(op(domains::renewal_price)))
        .route("/domains/renew", post(op(domains::renew)))
        .route(
            "/domains/toggle-auto-renew",
            patch(op(domains::toggle_auto_renew)),
        )
        .route(
            "/domains/domain-forwarding",
            post(op(domains::domain_forwarding)),
        )
        .route(
            "/domains/email-forwarding",
            post(op(domains::email_forwarding)),
        )
        .route(
            "/domains/remove",
            axum::routing::delete(op(domains::remove)),
        )
        .route(
            "/dns",
            get(op(dns::list))
                .post(op(dns::add))
                .put(op(dns::update))
                .delete(op(dns::delete)),
        )
        .route("/orders/json", post(op(orders::create)))
        .route(
            "/orders/create-mailbox-order/json",
            post(op(orders::create_mailbox_order)),
        )
        .route("/orders/process", post(op(orders::process)))
        .route("/orders/status", get(op(orders::status)))
        .route("/orders/details", get(op(orders::details)))
        .route("/mailboxes", get(op(mailboxes::all)))
        .route("/mailboxes/single", get(op(mailboxes::of_user)))
        .route("/mailboxes/mailbox", get(op(mailboxes::one)))
        .route(
            "/mailboxes/admin-mailbox-details",
            get(op(mailboxes::admin_details)),
        )
        .route(
            "/mailboxes/update-mailbox-details",
            patch(op(mailboxes::update_details)),
        )
        .route(
            "/mailboxes/remove",
            axum::routing::delete(op(mailboxes::remove)),
        )
        .route("/subscriptions", get(op(subscriptions::list)))
        .route(
            "/subscriptions/renew-subscriptions",
            post(op(subscriptions::renew)),
        )
        .route(
            "/subscriptions/toggle-autorenewal",
            post(op(subscriptions::toggle_auto_renew)),
        )
        .route("/subscriptions/cancel", post(op(subscriptions::cancel)))
        .route("/wallet", get(op(wallet::details)))
        .method_not_allowed_fallback(method_not_allowed);

    let router = Router::new()
        .nest(API_PREFIX, api)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            super::faults::inject,
        ))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            super::request_log::record,
        ));
    let router = if inspection {
        // Merged after the layers: the inspection route is neither logged nor key-checked.
        router.merge(super::inspect::router())
    } else {
        router
    };
    router.with_state(shared)
}

type Op = fn(&mut World, &Input) -> Outcome;

/// Adapts an endpoint function into an axum handler.
fn op(
    f: Op,
) -> impl Fn(State<Shared>, RawQuery, Bytes) -> std::future::Ready<Response>
       + Clone
       + Send
       + Sync
       + 'static {
    move |State(shared): State<Shared>, RawQuery(query): RawQuery, body: Bytes| {
        std::future::ready(run(&shared, query.as_deref(), &body, f))
    }
}

fn run(shared: &Shared, query: Option<&str>, body: &[u8], f: Op) -> Response {
    let input = match Input::parse(query, body) {
        Ok(input) => input,
        Err(err) => return err.into_response(),
    };
    let outcome = {
        let mut world = shared.lock_world();
        world.settle(Instant::now());
        f(&mut world, &input)
    };
    match outcome {
        Ok(done) => done.into_response(),
        Err(err) => err.into_response(),
    }
}

/// CMR's auth: the partner key in `cmr-x-api-key`, else 401 "Invalid API Key".
async fn authenticate(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(crate::API_KEY_HEADER)
        .and_then(|v| v.to_str().ok());
    if presented != Some(shared.api_key.as_ref()) {
        return ApiError::new(StatusCode::UNAUTHORIZED, "Invalid API Key").into_response();
    }
    next.run(request).await
}

async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "Route not found").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed").into_response()
}

/// A request's decoded query and JSON body.
pub(crate) struct Input {
    query: Vec<(String, String)>,
    body: Value,
}

impl Input {
    fn parse(query: Option<&str>, body: &[u8]) -> Result<Input, ApiError> {
        let query = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(body)
                .map_err(|_| ApiError::bad_request("Request body is not valid JSON"))?
        };
        Ok(Input { query, body })
    }

    /// A query parameter; empty counts as absent.
    pub(crate) fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    pub(crate) fn require_param(&self, key: &str) -> Result<&str, ApiError> {
        self.param(key)
            .ok_or_else(|| ApiError::bad_request(format!("Please provide a {key}")))
    }

    /// A 1-based page number and a page size (default, max) from `page` / `limit`.
    pub(crate) fn paging(
        &self,
        default_limit: usize,
        max: usize,
    ) -> Result<(usize, usize), ApiError> {
        let number = |key: &str, default: usize| -> Result<usize, ApiError> {
            match self.param(key) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("{key} must be a positive integer"))
                    }),
            }
        };
        Ok((number("page", 1)?, number("limit", default_limit)?.min(max)))
    }

    pub(crate) fn body(&self) -> &Value {
        &self.body
    }

    pub(crate) fn body_object(&self) -> Result<&Map<String, Value>, ApiError> {
        self.body
            .as_object()
            .ok_or_else(|| ApiError::bad_request("Request body must be a JSON object"))
    }

    pub(crate) fn body_str(&self, key: &str) -> Option<&str> {
        self.body
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    pub(crate) fn require_body_str(&self, key: &str) -> Result<&str, ApiError> {
        self.body_str(key)
            .ok_or_else(|| ApiError::bad_request(format!("{key} is required")))
    }

    /// A non-empty array of strings in the body.
    pub(crate) fn require_body_strings(&self, key: &str) -> Result<Vec<String>, ApiError> {
        let items = self
            .body
            .get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::bad_request(format!("{key} must be a non-empty array")))?;
        let strings: Vec<String> = items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        if strings.is_empty() || strings.len() != items.len() {
            return Err(ApiError::bad_request(format!(
                "{key} must be a non-empty array of strings"
            )));
        }
        Ok(strings)
    }

    pub(crate) fn body_bool(&self, key: &str) -> Option<bool> {
        self.body.get(key).and_then(Value::as_bool)
    }

    /// The user named by `?userId=`: 400 without one, 404 when unknown.
    pub(crate) fn user<'w>(&self, world: &'w World) -> Result<&'w UserRec, ApiError> {
        find_user(world, self.require_param("userId")?)
    }

    /// The user named by `userId` in the JSON body (the domain renewal family).
    pub(crate) fn body_user<'w>(&self, world: &'w World) -> Result<&'w UserRec, ApiError> {
        let id = self
            .body_str("userId")
            .ok_or_else(|| ApiError::bad_request("Please provide a userId"))?;
        find_user(world, id)
    }
}

fn find_user<'w>(world: &'w World, id: &str) -> Result<&'w UserRec, ApiError> {
    world
        .user(id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "The requested user does not exist."))
}

/// Cents as a decimal string, as in `renewalPrice: "14.50"`.
pub(crate) fn money_text(cents: i64) -> String {
    cmr::types::Money::from_cents(cents).to_string()
}

/// CMR's pagination object for a 1-based page.
pub(crate) fn pagination(total: usize, page: usize, limit: usize) -> Value {
    let total_pages = total.div_ceil(limit.max(1)).max(1);
    json!({
        "totalSearchedCount": total,
        "currentPage": page,
        "nextPage": if page < total_pages { Value::from(page + 1) } else { Value::Null },
        "totalPages": total_pages,
    })
}

/// The slice of `items` on a 1-based page.
pub(crate) fn page_of<T>(items: &[T], page: usize, limit: usize) -> &[T] {
    let start = (page - 1).saturating_mul(limit).min(items.len());
    let end = start.saturating_add(limit).min(items.len());
    &items[start..end]
}
