//! One labelled input, so every form shows server-side validation the same accessible way.

use crate::error::AppError;
use leptos::prelude::*;

/// A labelled input whose error (from the server's `AppError::Invalid`) shows under it and is
/// announced to screen readers through `aria-describedby`.
#[component]
pub fn Field(
    /// The form field name; also the key of its error in `AppError::Invalid`.
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(default = false)] required: bool,
    #[prop(optional, into)] value: Option<String>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let message = move || error.get().and_then(|e| e.field(name));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                value=value
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            />
            <p class="field-error" id=error_id>
                {message}
            </p>
        </div>
    }
}

/// A new password and its repetition (`confirm_password`), both filled in by the browser's
/// password manager as a new password. The server checks both again.
#[component]
pub fn NewPasswordFields(
    /// The new password's field name (`password`, `new_password`).
    name: &'static str,
    label: &'static str,
    confirm_label: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <Field name label kind="password" autocomplete="new-password" required=true error />
        <Field
            name="confirm_password"
            label=confirm_label
            kind="password"
            autocomplete="new-password"
            required=true
            error
        />
    }
}

/// The `email` field of an account, which password managers use as the user name.
#[component]
pub fn EmailField(
    #[prop(default = "Email")] label: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    view! { <Field name="email" label kind="email" autocomplete="username" required=true error /> }
}
