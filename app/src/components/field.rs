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
    /// The on-screen keyboard to offer (`numeric` for codes).
    #[prop(optional)]
    inputmode: Option<&'static str>,
    #[prop(default = false)] required: bool,
    #[prop(optional, into)] value: Option<String>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let (id, error_id) = field_ids(name);
    let message = move || error.get().and_then(|e| e.field(name));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
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

/// The ids of a field's input and of its error line (which the input names in
/// `aria-describedby`, so screen readers announce the error with the field).
pub fn field_ids(name: &str) -> (String, String) {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    (id, error_id)
}

/// A password field: the current one (sign-in) or a new one (password managers offer to
/// generate and save it).
#[component]
pub fn PasswordField(
    name: &'static str,
    label: &'static str,
    #[prop(default = false)] new: bool,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let autocomplete = if new {
        "new-password"
    } else {
        "current-password"
    };
    view! { <Field name label kind="password" autocomplete required=true error /> }
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
        <PasswordField name label new=true error />
        <PasswordField name="confirm_password" label=confirm_label new=true error />
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
