//! `/staff/:id`: one account for an admin: its state, role, disable/enable, a password reset,
//! unlocking, its open sessions and what was done to it.

use super::{
    get_staff_account, AccountBadges, DisableStaff, EnableStaff, ResetStaffPassword, SetStaffRole,
    UnlockStaff,
};
use crate::components::alert::ErrorAlert;
use crate::components::confirm::ConfirmPanel;
use crate::components::field::PasswordField;
use crate::components::history::History;
use crate::components::loaded::Loaded;
use crate::components::relative_time::RelativeTime;
use crate::components::toast::use_toasts;
use crate::location;
use crate::model::staff::StaffAccountDetail;
use crate::model::Role;
use crate::pages::account::{EndSession, SessionsTable};
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

/// Every action on the page, so any of them refreshes the account.
#[derive(Clone, Copy)]
struct Actions {
    role: ServerAction<SetStaffRole>,
    disable: ServerAction<DisableStaff>,
    enable: ServerAction<EnableStaff>,
    reset: ServerAction<ResetStaffPassword>,
    unlock: ServerAction<UnlockStaff>,
    end: ServerAction<EndSession>,
}

impl Actions {
    fn version(&self) -> usize {
        self.role.version().get()
            + self.disable.version().get()
            + self.enable.version().get()
            + self.reset.version().get()
            + self.unlock.version().get()
            + self.end.version().get()
    }
}

#[component]
pub fn StaffAccountPage() -> impl IntoView {
    let params = location::params();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let actions = Actions {
        role: ServerAction::new(),
        disable: ServerAction::new(),
        enable: ServerAction::new(),
        reset: ServerAction::new(),
        unlock: ServerAction::new(),
        end: ServerAction::new(),
    };
    let account = resource(
        move || (id.get(), actions.version()),
        |(id, _)| get_staff_account(id),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        let done = [
            actions.role.value().get().map(|r| r.map(|()| "The role was changed.")),
            actions.disable.value().get().map(|r| r.map(|()| "The account was disabled and its sessions ended.")),
            actions.enable.value().get().map(|r| r.map(|()| "The account was enabled.")),
            actions.reset.value().get().map(|r| r.map(|()| "The password was reset. Hand the temporary password over in person or by phone.")),
            actions.unlock.value().get().map(|r| r.map(|()| "The account was unlocked.")),
            actions.end.value().get().map(|r| r.map(|()| "The session was ended.")),
        ];
        for message in done.into_iter().flatten().flatten() {
            toasts.success(message);
        }
    });
    view! {
        <Loaded
            resource=account
            loading="Loading the account…"
            heading="Staff account"
            after_error=|| view! { <a href=routes::STAFF>"Back to the staff list"</a> }
            let:detail
        >
            <Account detail actions />
        </Loaded>
    }
}

#[component]
fn Account(detail: StaffAccountDetail, actions: Actions) -> impl IntoView {
    let account = detail.account.clone();
    let staff = account.staff.clone();
    let badges = view! { <AccountBadges account=account.clone() /> };
    let error = Signal::derive(move || {
        [
            actions.role.value().get().and_then(|r| r.err()),
            actions.disable.value().get().and_then(|r| r.err()),
            actions.enable.value().get().and_then(|r| r.err()),
            actions.unlock.value().get().and_then(|r| r.err()),
            actions.end.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    let reset_error = Signal::derive(move || actions.reset.value().get().and_then(|r| r.err()));
    let id = staff.id;
    view! {
        <Title text=staff.display_name.clone() />
        <p><a href=routes::STAFF>"← Staff"</a></p>
        <h1>{staff.display_name.clone()} " " {badges}</h1>
        <ErrorAlert error />
        <section class="card" aria-labelledby="account-heading">
            <h2 id="account-heading">"Account"</h2>
            <dl class="facts">
                <dt>"Email"</dt>
                <dd>{staff.email.clone()}</dd>
                <dt>"Two-factor sign-in"</dt>
                <dd>{if account.two_factor { "on" } else { "off" }}</dd>
                <dt>"Open sessions"</dt>
                <dd>{account.open_sessions}</dd>
                {account.locked_until.map(|at| view! {
                    <dt>"Locked out until"</dt>
                    <dd><RelativeTime at /></dd>
                })}
            </dl>
            {account.locked_until.map(|_| view! {
                <ActionForm action=actions.unlock>
                    <input type="hidden" name="id" value=id.to_string() />
                    <button type="submit" class="button-primary">"Unlock now"</button>
                </ActionForm>
            })}
        </section>
        <section class="card narrow" aria-labelledby="role-heading">
            <h2 id="role-heading">"Role"</h2>
            <ActionForm action=actions.role>
                <input type="hidden" name="id" value=id.to_string() />
                <div class="field">
                    <label for="field-role">"Role"</label>
                    <select id="field-role" name="role">
                        {[Role::Viewer, Role::Editor, Role::Admin].into_iter().map(|role| view! {
                            <option value=role.as_str() selected=role == staff.role>{role_label(role)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button-primary" disabled=actions.role.pending()>"Save role"</button>
            </ActionForm>
        </section>
        <section class="card narrow" aria-labelledby="access-heading">
            <h2 id="access-heading">"Access"</h2>
            {if account.disabled {
                view! {
                    <p>"This account is disabled: it cannot sign in."</p>
                    <ActionForm action=actions.enable>
                        <input type="hidden" name="id" value=id.to_string() />
                        <button type="submit" class="button-primary">"Enable the account"</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <ConfirmPanel summary="Disable the account…">
                        <p>{format!("{} is signed out everywhere at once and cannot sign in until an admin enables the account again.", staff.display_name)}</p>
                        <ActionForm action=actions.disable>
                            <input type="hidden" name="id" value=id.to_string() />
                            <button type="submit" class="button-danger" disabled=actions.disable.pending()>"Disable and sign out"</button>
                        </ActionForm>
                    </ConfirmPanel>
                }.into_any()
            }}
            <ConfirmPanel summary="Reset the password…">
                <p>"Set a temporary password. The account is signed out everywhere and must choose its own password at the next sign-in."</p>
                <ActionForm action=actions.reset>
                    <input type="hidden" name="id" value=id.to_string() />
                    <ErrorAlert error=reset_error />
                    <PasswordField name="password" label="Temporary password (at least 12 characters)" new=true error=reset_error />
                    <button type="submit" class="button-danger" disabled=actions.reset.pending()>"Reset the password"</button>
                </ActionForm>
            </ConfirmPanel>
        </section>
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Open sessions"</h2>
            <SessionsTable sessions=detail.sessions.clone() show_owner=false end=actions.end />
        </section>
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <History entries=detail.history.clone() empty="Nothing was done to this account yet." />
        </section>
    }
}

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Viewer => "Viewer — reads everything",
        Role::Editor => "Editor — also changes customer data",
        Role::Admin => "Admin — also spends money and manages staff",
    }
}
