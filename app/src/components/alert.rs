//! Alerts: one place decides how a problem looks. An `AppError` gets one sentence a staff
//! member can act on; an unknown outcome is a warning, not an error (the change may well have
//! happened).

use crate::error::AppError;
use leptos::prelude::*;

/// The error, or nothing while there is none. A session that ended elsewhere (signed out,
/// disabled by an admin, expired) answers the page's next request with `Unauthorized`: the
/// page is then loaded again, so the server sends the browser to sign in and back afterwards.
#[component]
pub fn ErrorAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    Effect::new(move |_| {
        if matches!(error.get(), Some(AppError::Unauthorized)) {
            reload();
        }
    });
    move || {
        error.get().map(|err| {
            let warning = matches!(err, AppError::OutcomeUnknown(_));
            view! { <Alert text=err.to_string() warning /> }
        })
    }
}

fn reload() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = leptos::web_sys::window() {
        let _ = window.location().reload();
    }
}

/// A problem that is not an `AppError` (a section CMR could not load), in the same look.
#[component]
pub fn Alert(#[prop(into)] text: String, #[prop(optional)] warning: bool) -> impl IntoView {
    let class = if warning {
        "alert alert-warning"
    } else {
        "alert alert-error"
    };
    view! {
        <div class=class role="alert">
            {text}
        </div>
    }
}
