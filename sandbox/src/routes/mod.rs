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
use tokio::time::Instant;

use crate::envelope::{ApiError, Outcome};
use crate::state::World;
use crate::{Shared, API_PREFIX};
use input::Input;

mod dns;
mod domains;
mod geo;
mod input;
mod mailboxes;
mod orders;
mod paging;
mod subscriptions;
mod users;
mod wallet;
mod workspaces;

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
        .route(
            "/domains/has-workspace",
            post(op(workspaces::has_workspace)),
        )
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
