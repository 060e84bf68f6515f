//! What a page reads of its address, and how it moves to another: the one seam between the
//! pages and the router. Each page is an island with no router in the browser
//! (app/src/lazy_pages.rs): the server hands the page its address as a prop (`RouteValues`),
//! the page reads it from the context `provide` makes, and every move is a page load; only a
//! search typed in place replaces the address without one. Components outside a page island
//! (rendered on the server only) read the server's router.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_params_map, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A page's address as the server matched it: what an island page gets instead of a router.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteValues {
    path: String,
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
}

impl RouteValues {
    /// The address of the route being rendered (the server's router knows it).
    pub fn here() -> Self {
        let location = use_location();
        let pairs = |map: &ParamsMap| {
            map.into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        RouteValues {
            path: location.pathname.get_untracked(),
            params: pairs(&use_params_map().get_untracked()),
            query: pairs(&use_query_map().get_untracked()),
        }
    }
}

/// The page's address, for the page island's own reads.
#[derive(Clone, Copy)]
struct Address {
    path: StoredValue<String>,
    params: StoredValue<ParamsMap>,
    query: RwSignal<ParamsMap>,
}

fn map_of(pairs: Vec<(String, String)>) -> ParamsMap {
    let mut map = ParamsMap::new();
    for (k, v) in pairs {
        map.insert(k, v);
    }
    map
}

/// Gives the page below its address (the page island calls it first).
pub fn provide(route: RouteValues) {
    provide_context(Address {
        path: StoredValue::new(route.path),
        params: StoredValue::new(map_of(route.params)),
        query: RwSignal::new(map_of(route.query)),
    });
}

/// The address's query values (`?q=…&page=…`), following the address as it changes.
pub fn query() -> Memo<ParamsMap> {
    match use_context::<Address>() {
        Some(address) => Memo::new(move |_| address.query.get()),
        None => use_query_map(),
    }
}

/// The route's path values (`:id`, `:name`).
pub fn params() -> Memo<ParamsMap> {
    match use_context::<Address>() {
        Some(address) => Memo::new(move |_| address.params.get_value()),
        None => use_params_map(),
    }
}

/// The address's path as it is now, without following it.
pub fn path_now() -> String {
    match use_context::<Address>() {
        Some(address) => address.path.get_value(),
        None => use_location().pathname.get_untracked(),
    }
}

/// Moves to another address. Made while the page is built (it reads the page's context, which
/// event handlers and timers run without), then cloned into the handlers that move.
#[derive(Clone)]
pub struct Navigator(Arc<Navigate>);

type Navigate = dyn Fn(&str, NavigateOptions) + Send + Sync;

/// The page's navigator.
pub fn navigator() -> Navigator {
    match use_context::<Address>() {
        Some(address) => Navigator(Arc::new(move |url, options| {
            page_load(address, url, options.replace)
        })),
        None => {
            let navigate = use_navigate();
            Navigator(Arc::new(move |url, options| navigate(url, options)))
        }
    }
}

/// A move is a page load, except a replaced address (a search typed in place),
/// which changes the history entry and the page's query without one.
#[cfg(feature = "hydrate")]
fn page_load(address: Address, url: &str, replace: bool) {
    use leptos_router::location::{BrowserUrl, LocationProvider};
    let window = window();
    if replace {
        if let (Ok(history), Ok(parsed)) = (window.history(), BrowserUrl::parse(url)) {
            if history
                .replace_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(url))
                .is_ok()
            {
                address.query.set(parsed.search_params().clone());
                return;
            }
        }
    }
    let _ = window.location().set_href(url);
}

#[cfg(not(feature = "hydrate"))]
fn page_load(_: Address, _: &str, _: bool) {}

impl Navigator {
    /// Opens `url` as a new entry in the history.
    pub fn go_to(&self, url: &str) {
        (self.0)(url, NavigateOptions::default());
    }

    /// Shows `url` in place of the current entry (a search as it is typed, which Back should
    /// not step through).
    pub fn replace(&self, url: &str) {
        (self.0)(
            url,
            NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
    }
}
