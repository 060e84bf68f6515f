//! `/staff`: every account with its state, and creating an account.

use super::{list_staff, AccountBadges, CreateStaff};
use crate::components::alert::ErrorAlert;
use crate::components::field::{Field, PasswordField};
use crate::components::loaded::Loaded;
use crate::components::table::{Column, Row, Table, TableLoading};
use crate::components::toast::use_toasts;
use crate::resource::resource;
use leptos::prelude::*;
use leptos_meta::Title;

const COLUMNS: [Column; 5] = [
    Column::new("Name"),
    Column::new("Email"),
    Column::new("Role"),
    Column::new("State"),
    Column::new("Sessions"),
];

#[component]
pub fn StaffPage() -> impl IntoView {
    let create = ServerAction::<CreateStaff>::new();
    let staff = resource(move || create.version().get(), |_| list_staff());
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            toasts.success(format!("Account created for {}.", created.email));
        }
    });
    view! {
        <Title text="Staff" />
        <h1>"Staff"</h1>
        <p class="muted">
            "Administration: " <a href=crate::routes::INDEX_STATUS>"the partner index and its sync"</a>
        </p>
        <section class="card">
            <h2>"Accounts"</h2>
            <Loaded
                resource=staff
                keep_previous=true
                fallback=|| view! { <TableLoading columns=COLUMNS.to_vec() rows=3 label="Loading staff accounts…" /> }
                let:accounts
            >
                {
                    let rows = accounts
                        .into_iter()
                        .map(|account| {
                            let badges = view! { <AccountBadges account=account.clone() /> };
                            let s = account.staff;
                            Row::new(vec![
                                s.display_name.into_any(),
                                s.email.into_any(),
                                view! { <span class="badge">{s.role.as_str()}</span> }.into_any(),
                                badges.into_any(),
                                account.open_sessions.to_string().into_any(),
                            ])
                            .link(crate::routes::staff_account(s.id))
                        })
                        .collect();
                    view! { <Table columns=COLUMNS.to_vec() rows empty="No staff accounts yet." /> }
                }
            </Loaded>
        </section>
        <section class="card narrow">
            <h2>"Add an account"</h2>
            <ActionForm action=create>
                <ErrorAlert error />
                <Field name="email" label="Email" kind="email" required=true error=error />
                <Field name="display_name" label="Name" required=true error=error />
                <div class="field">
                    <label for="field-role">"Role"</label>
                    <select id="field-role" name="role">
                        <option value="viewer">"Viewer — reads everything"</option>
                        <option value="editor">"Editor — also changes customer data"</option>
                        <option value="admin">"Admin — also spends money and manages staff"</option>
                    </select>
                </div>
                <PasswordField
                    name="password"
                    label="Initial password (at least 12 characters)"
                    new=true
                    error
                />
                <button type="submit" class="button-primary" disabled=create.pending()>
                    "Create account"
                </button>
            </ActionForm>
        </section>
    }
}
