use crate::error::AppError;
use leptos::prelude::*;

/// How an error looks on a page: one sentence a staff member can act on. An unknown outcome
/// is a warning, not an error: the change may well have happened.
#[component]
pub fn ErrorAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|err| {
            let class = match err {
                AppError::OutcomeUnknown(_) => "alert alert-warning",
                _ => "alert alert-error",
            };
            view! {
                <div class=class role="alert">
                    {err.to_string()}
                </div>
            }
        })
    }
}
