//! The signed-in staff member's own security: open sessions (admins also see everyone's) and
//! two-factor sign-in (enrol an authenticator app, recovery codes, turn it off).

use crate::components::alert::{Alert, ErrorAlert};
use crate::components::field::{Field, PasswordField};
use crate::components::loaded::Loaded;
use crate::components::relative_time::RelativeTime;
use crate::components::table::{Column, Row, Table, TableLoading};
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::{Secret, SessionView, TwoFactorEnrolment, TwoFactorStatus};
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{auth::sessions, auth::two_factor, ctx, require_role},
};

/// The signed-in staff member's open sessions.
#[server(prefix = "/api", endpoint = "sessions/mine")]
pub async fn my_sessions() -> Result<Vec<SessionView>, AppError> {
    let staff = require_role(Role::Viewer).await?;
    let session = ctx::session().await?;
    sessions::list(&ctx::state(), &session, &staff, sessions::Whose::Mine).await
}

/// Every open session (admins).
#[server(prefix = "/api", endpoint = "sessions/all")]
pub async fn all_sessions() -> Result<Vec<SessionView>, AppError> {
    let admin = require_role(Role::Admin).await?;
    let session = ctx::session().await?;
    sessions::list(&ctx::state(), &session, &admin, sessions::Whose::Everyone).await
}

/// Ends one session: one's own, or anyone's for an admin.
#[server(prefix = "/api", endpoint = "sessions/end")]
pub async fn end_session(handle: i64) -> Result<(), AppError> {
    let staff = require_role(Role::Viewer).await?;
    sessions::end(&ctx::state(), &staff, handle).await
}

#[server(prefix = "/api", endpoint = "two_factor/status")]
pub async fn get_two_factor_status() -> Result<TwoFactorStatus, AppError> {
    let staff = require_role(Role::Viewer).await?;
    two_factor::status(&ctx::state(), &staff).await
}

#[server(prefix = "/api", endpoint = "two_factor/begin")]
pub async fn two_factor_begin() -> Result<TwoFactorEnrolment, AppError> {
    let staff = require_role(Role::Viewer).await?;
    two_factor::begin(&ctx::state(), &staff).await
}

/// Confirms enrolment with a first code; answers the recovery codes (shown once).
#[server(prefix = "/api", endpoint = "two_factor/confirm")]
pub async fn two_factor_confirm(code: Secret) -> Result<Vec<String>, AppError> {
    let staff = require_role(Role::Viewer).await?;
    two_factor::confirm(&ctx::state(), &staff, code).await
}

#[server(prefix = "/api", endpoint = "two_factor/disable")]
pub async fn two_factor_disable(password: Secret, code: Secret) -> Result<(), AppError> {
    let staff = require_role(Role::Viewer).await?;
    two_factor::disable(&ctx::state(), &staff, password, code).await
}

/// The links between the account pages.
#[component]
pub fn AccountNav() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Your account">
            <a href=routes::SESSIONS>"Sessions"</a>
            <a href=routes::TWO_FACTOR>"Two-factor sign-in"</a>
            <a href=routes::CHANGE_PASSWORD>"Password"</a>
        </nav>
    }
}

fn session_columns(show_owner: bool) -> Vec<Column> {
    let mut columns = vec![];
    if show_owner {
        columns.push(Column::new("Staff member"));
    }
    columns.extend([
        Column::new("Device"),
        Column::new("Address"),
        Column::new("Signed in"),
        Column::new("Last active"),
        Column::new("Action"),
    ]);
    columns
}

/// Open sessions, each with a button that ends it (the current one says so).
#[component]
pub fn SessionsTable(
    sessions: Vec<SessionView>,
    show_owner: bool,
    end: ServerAction<EndSession>,
) -> impl IntoView {
    let rows = sessions
        .into_iter()
        .map(|s| {
            let label = if s.current {
                "End (signs you out)"
            } else {
                "End session"
            };
            let device = if s.current {
                view! { {s.device.clone()} " " <span class="badge badge-ok">"this session"</span> }
                    .into_any()
            } else {
                s.device.clone().into_any()
            };
            let mut cells = vec![];
            if show_owner {
                cells.push(
                    view! { <a href=routes::staff_account(s.staff_id)>{s.staff_name.clone()}</a> " " <span class="muted">{s.staff_email.clone()}</span> }
                        .into_any(),
                );
            }
            cells.extend([
                device,
                s.ip.clone().unwrap_or_else(|| "—".into()).into_any(),
                view! { <RelativeTime at=s.signed_in_at /> }.into_any(),
                view! { <RelativeTime at=s.last_active_at /> }.into_any(),
                view! {
                    <ActionForm action=end attr:class="inline">
                        <input type="hidden" name="handle" value=s.handle.to_string() />
                        <button
                            type="submit"
                            class="button-secondary"
                            aria-label=format!("{label}: {} on {}", s.staff_email, s.device)
                        >
                            {label}
                        </button>
                    </ActionForm>
                }
                .into_any(),
            ]);
            Row::new(cells)
        })
        .collect();
    view! { <Table columns=session_columns(show_owner) rows empty="No open sessions." /> }
}

/// `/account/sessions`.
#[component]
pub fn SessionsPage() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let mine = resource(move || end.version().get(), |_| my_sessions());
    let everyone = resource(move || end.version().get(), |_| all_sessions());
    let error = Signal::derive(move || end.value().get().and_then(|r| r.err()));
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(())) = end.value().get() {
            toasts.success("The session was ended. Its next request goes to the sign-in page.");
        }
    });
    view! {
        <Title text="Sessions" />
        <h1>"Your account"</h1>
        <AccountNav />
        <ErrorAlert error />
        <section class="card" aria-labelledby="mine-heading">
            <h2 id="mine-heading">"Your sessions"</h2>
            <p class="muted">"Every browser where you are signed in. End any you do not recognise, then change your password."</p>
            <Loaded
                resource=mine
                keep_previous=true
                fallback=|| view! { <TableLoading columns=session_columns(false) rows=2 label="Loading your sessions…" /> }
                let:sessions
            >
                <SessionsTable sessions show_owner=false end />
            </Loaded>
        </section>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // Only admins get everyone's; for others the section is simply not there.
                everyone.await.ok().map(|sessions| view! {
                    <section class="card" aria-labelledby="all-heading">
                        <h2 id="all-heading">"Everyone's sessions"</h2>
                        <SessionsTable sessions show_owner=true end />
                    </section>
                })
            })}
        </Transition>
    }
}

/// `/account/two-factor`.
#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let begin = ServerAction::<TwoFactorBegin>::new();
    let confirm = ServerAction::<TwoFactorConfirm>::new();
    let disable = ServerAction::<TwoFactorDisable>::new();
    let status = resource(
        move || (confirm.version().get(), disable.version().get()),
        |_| get_two_factor_status(),
    );
    view! {
        <Title text="Two-factor sign-in" />
        <h1>"Your account"</h1>
        <AccountNav />
        <Loaded resource=status loading="Loading your two-factor sign-in…" let:status>
            {
                if let Some(Ok(codes)) = confirm.value().get_untracked() {
                    view! { <RecoveryCodes codes /> }.into_any()
                } else if status.enabled {
                    view! { <Enabled status disable /> }.into_any()
                } else {
                    view! { <Enrol status begin confirm /> }.into_any()
                }
            }
        </Loaded>
    }
}

#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <section class="card narrow" aria-labelledby="codes-heading">
            <h2 id="codes-heading">"Two-factor sign-in is on"</h2>
            <Alert
                text="Save these recovery codes now: they are shown only this once. Each one signs you in once if you lose your phone."
                warning=true
            />
            <ul class="recovery-codes" aria-label="Recovery codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ul>
            <p>
                <a class="button-primary" href=routes::HOME>"I saved them — continue"</a>
            </p>
        </section>
    }
}

#[component]
fn Enabled(status: TwoFactorStatus, disable: ServerAction<TwoFactorDisable>) -> impl IntoView {
    let error = Signal::derive(move || disable.value().get().and_then(|r| r.err()));
    let low = status.recovery_codes_left <= 3;
    view! {
        <section class="card narrow" aria-labelledby="on-heading">
            <h2 id="on-heading">"Two-factor sign-in is on"</h2>
            <p>
                "Since " {status.since.map(|at| view! { <RelativeTime at /> })} ". "
                {format!("{} unused recovery code{} left.", status.recovery_codes_left, if status.recovery_codes_left == 1 { "" } else { "s" })}
            </p>
            {low.then(|| view! {
                <Alert text="Few recovery codes are left. Turn two-factor sign-in off and on again to get new ones." warning=true />
            })}
        </section>
        {if status.required {
            view! {
                <p class="muted">"The dashboard requires two-factor sign-in for admins, so it cannot be turned off here."</p>
            }.into_any()
        } else {
            view! {
                <section class="card narrow" aria-labelledby="off-heading">
                    <h2 id="off-heading">"Turn it off"</h2>
                    <ActionForm action=disable>
                        <ErrorAlert error />
                        <PasswordField name="password" label="Your password" error />
                        <Field name="code" label="A current code (or a recovery code)" autocomplete="one-time-code" required=true error />
                        <button type="submit" class="button-danger" disabled=disable.pending()>
                            "Turn off two-factor sign-in"
                        </button>
                    </ActionForm>
                </section>
            }.into_any()
        }}
    }
}

#[component]
fn Enrol(
    status: TwoFactorStatus,
    begin: ServerAction<TwoFactorBegin>,
    confirm: ServerAction<TwoFactorConfirm>,
) -> impl IntoView {
    let begin_error = Signal::derive(move || begin.value().get().and_then(|r| r.err()));
    let error = Signal::derive(move || confirm.value().get().and_then(|r| r.err()));
    let enrolment = move || begin.value().get().and_then(Result::ok);
    view! {
        {status.required.then(|| view! {
            <Alert text="Admins must use two-factor sign-in. Set it up to continue." warning=true />
        })}
        <section class="card narrow" aria-labelledby="enrol-heading">
            <h2 id="enrol-heading">"Set up two-factor sign-in"</h2>
            <p>"After your password, signing in will ask for a 6-digit code from an authenticator app on your phone (Google Authenticator, 1Password, Authy, …)."</p>
            <Show
                when=move || enrolment().is_some()
                fallback=move || view! {
                    <ActionForm action=begin>
                        <ErrorAlert error=begin_error />
                        <button type="submit" class="button-primary" disabled=begin.pending()>
                            "Set up an authenticator app"
                        </button>
                    </ActionForm>
                }
            >
                {move || enrolment().map(|e: TwoFactorEnrolment| view! {
                    <ol class="steps">
                        <li>
                            "Scan this QR code with the app:"
                            <div class="qr" role="img" aria-label="QR code for the authenticator app" inner_html=e.qr_svg></div>
                        </li>
                        <li>
                            "Or type this key into the app: "
                            <code class="totp-secret" data-secret=e.secret.replace(' ', "")>{e.secret.clone()}</code>
                        </li>
                        <li>"Enter the 6-digit code the app shows:"</li>
                    </ol>
                    <ActionForm action=confirm>
                        <ErrorAlert error />
                        <Field name="code" label="Code from the app" autocomplete="one-time-code" inputmode="numeric" required=true error />
                        <button type="submit" class="button-primary" disabled=confirm.pending()>
                            "Turn on two-factor sign-in"
                        </button>
                    </ActionForm>
                })}
            </Show>
        </section>
    }
}
