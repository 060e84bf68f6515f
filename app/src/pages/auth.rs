//! Sign-in, first-run setup, sign-out and "change my password".

use crate::components::alert::ErrorAlert;
use crate::components::field::{EmailField, Field, NewPasswordFields, PasswordField};
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::location;
use crate::model::{Secret, StaffView};
use leptos::prelude::*;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::auth::{account, setup, sign_in},
    server::ctx,
    server::require_role,
};

/// Public. Checks the credentials, starts a fresh session and goes to `next` (a local path).
#[server(prefix = "/api", endpoint = "auth/sign_in")]
pub async fn sign_in(
    email: String,
    password: Secret,
    next: Option<String>,
) -> Result<(), AppError> {
    let state = ctx::state();
    let session = ctx::session().await?;
    let client = ctx::client_ip().await;
    let device = ctx::device().await;
    let next = safe_next(next.as_deref());
    match sign_in::sign_in(&state, &session, client, device, &email, password).await? {
        sign_in::SignedIn::Done(_) => leptos_axum::redirect(&next),
        sign_in::SignedIn::CodeNeeded => leptos_axum::redirect(&format!(
            "{}?{}",
            crate::routes::SIGN_IN_CODE,
            crate::routes::query(&[("next", next.clone())])
        )),
    }
    Ok(())
}

/// Public, but it completes only the sign-in whose password its own session already proved.
#[server(prefix = "/api", endpoint = "auth/sign_in_code")]
pub async fn sign_in_code(code: Secret, next: Option<String>) -> Result<(), AppError> {
    let state = ctx::state();
    let session = ctx::session().await?;
    let client = ctx::client_ip().await;
    sign_in::complete_with_code(&state, &session, client, code).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Public, but only with the one-time token printed at start-up. Creates the first admin.
#[server(prefix = "/api", endpoint = "setup/complete")]
pub async fn complete_setup(
    token: Secret,
    email: String,
    display_name: String,
    password: Secret,
    confirm_password: Secret,
) -> Result<(), AppError> {
    let state = ctx::state();
    let session = ctx::session().await?;
    let form = setup::FirstAdmin {
        email: &email,
        display_name: &display_name,
        password,
        confirm: confirm_password,
    };
    setup::complete_setup(&state, &session, ctx::device().await, &token, form).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api", endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let staff = require_role(Role::Viewer).await?;
    sign_in::sign_out(&ctx::state(), &ctx::session().await?, &staff).await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Who is signed in (for the header).
#[server(prefix = "/api", endpoint = "auth/whoami")]
pub async fn whoami() -> Result<StaffView, AppError> {
    require_role(Role::Viewer).await
}

#[server(prefix = "/api", endpoint = "auth/change_password")]
pub async fn change_password(
    current_password: Secret,
    new_password: Secret,
    confirm_password: Secret,
) -> Result<(), AppError> {
    let staff = require_role(Role::Viewer).await?;
    account::change_password(
        &ctx::state(),
        &ctx::session().await?,
        &staff,
        current_password,
        new_password,
        confirm_password,
    )
    .await
}

/// Only a local path may follow sign-in: no `//evil.example` or `https://…` (open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/sign-in")
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The centred card of the pages shown before sign-in (no navigation around them).
#[component]
fn AuthCard(heading: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="auth-page">
            <main class="card auth-card" id="main">
                <h1>{heading}</h1>
                {children()}
            </main>
        </div>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let query = location::query();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in" />
        <AuthCard heading="Sign in to CMR Admin">
            <ActionForm action=action>
                <ErrorAlert error />
                <input type="hidden" name="next" value=next />
                <EmailField error />
                <PasswordField name="password" label="Password" error />
                <button type="submit" class="button-primary" disabled=action.pending()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </AuthCard>
    }
}

/// The second step of signing in: the code from the authenticator app (or a recovery code).
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let action = ServerAction::<SignInCode>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let query = location::query();
    let next = move || query.read().get("next").unwrap_or_default();
    let start_again = move || matches!(error.get(), Some(AppError::Rejected(ref m)) if m == crate::model::staff::SIGN_IN_STARTS_AGAIN);
    view! {
        <Title text="Two-factor code" />
        <AuthCard heading="Enter your code">
            <p class="muted">
                "Open the authenticator app you enrolled and enter the 6-digit code it shows for CMR Admin. Lost your phone? Enter one of your recovery codes instead."
            </p>
            <ActionForm action=action>
                <ErrorAlert error />
                <input type="hidden" name="next" value=next />
                <Field
                    name="code"
                    label="Code"
                    autocomplete="one-time-code"
                    inputmode="numeric"
                    required=true
                    error=error
                />
                <button type="submit" class="button-primary" disabled=action.pending()>
                    {move || if action.pending().get() { "Checking…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <Show when=start_again>
                <p>
                    <a href=crate::routes::SIGN_IN>"Back to sign-in"</a>
                </p>
            </Show>
            <p class="muted">
                <a href=crate::routes::SIGN_IN>"Sign in as someone else"</a>
            </p>
        </AuthCard>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<CompleteSetup>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let query = location::query();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="First-run setup" />
        <AuthCard heading="Create the first admin">
            <p class="muted">
                "This link works once, while no staff account exists. The admin you create here can add everyone else."
            </p>
            <ActionForm action=action>
                <ErrorAlert error />
                <input type="hidden" name="token" value=token />
                <EmailField error />
                <Field
                    name="display_name"
                    label="Your name"
                    autocomplete="name"
                    required=true
                    error=error
                />
                <NewPasswordFields
                    name="password"
                    label="Password (at least 12 characters)"
                    confirm_label="Repeat the password"
                    error
                />
                <button type="submit" class="button-primary" disabled=action.pending()>
                    "Create admin and sign in"
                </button>
            </ActionForm>
        </AuthCard>
    }
}

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let toasts = use_toasts();
    // A new form (empty fields) after each successful change.
    let form_key = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            toasts.success("Your password was changed. Other sessions were signed out.");
            form_key.update(|k| *k += 1);
        }
    });
    view! {
        <Title text="Change password" />
        <h1>"Your account"</h1>
        <crate::pages::account::AccountNav />
        <section class="card narrow" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change your password"</h2>
            <p class="muted">
                "If an admin reset your password, choose your own here before anything else. Changing it signs out your other sessions."
            </p>
            {move || {
                form_key.track();
                view! {
                    <ActionForm action=action>
                        <ErrorAlert error />
                        <PasswordField name="current_password" label="Current password" error />
                        <NewPasswordFields
                            name="new_password"
                            label="New password (at least 12 characters)"
                            confirm_label="Repeat the new password"
                            error
                        />
                        <button type="submit" class="button-primary" disabled=action.pending()>
                            "Change password"
                        </button>
                    </ActionForm>
                }
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/customers?page=2")), "/customers?page=2");
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
