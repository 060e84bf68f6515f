//! What a page reads of its address, and how it moves to another: the one seam between the
//! pages and the router. Pages call these instead of `leptos_router`'s hooks, so a change of
//! how the client navigates (the islands mode measured for issue 15's first-load budget, where
//! a page has no client-side router and every move is a page load) changes this file, not 28
//! pages.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_params_map, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;
use std::sync::Arc;

/// The address's query values (`?q=…&page=…`), following the address as it changes.
pub fn query() -> Memo<ParamsMap> {
    use_query_map()
}

/// The route's path values (`:id`, `:name`).
pub fn params() -> Memo<ParamsMap> {
    use_params_map()
}

/// The address's path as it is now, without following it.
pub fn path_now() -> String {
    use_location().pathname.get_untracked()
}

/// Moves to another address. Made while the page is built (it needs the router, which event
/// handlers and timers run without), then cloned into the handlers that move.
#[derive(Clone)]
pub struct Navigator(Arc<Navigate>);

type Navigate = dyn Fn(&str, NavigateOptions) + Send + Sync;

/// The page's navigator.
pub fn navigator() -> Navigator {
    let navigate = use_navigate();
    Navigator(Arc::new(move |url, options| navigate(url, options)))
}

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
