use crate::error::AppError;
use leptos::prelude::*;

/// How an error looks on a page: one sentence a staff member can act on.
#[component]
pub fn ErrorAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|err| {
            view! {
                <div class="alert alert-error" role="alert">
                    {err.to_string()}
                </div>
            }
        })
    }
}
