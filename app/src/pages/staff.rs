//! Staff accounts (admin only): the list, and creating an account.

use crate::components::alert::ErrorAlert;
use crate::components::field::{Field, PasswordField};
use crate::components::loaded::Loaded;
use crate::components::table::{Column, Row, Table, TableLoading};
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::model::StaffView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{ctx, require_role, staff},
};

#[server(prefix = "/api", endpoint = "staff/list")]
pub async fn list_staff() -> Result<Vec<StaffView>, AppError> {
    require_role(Role::Admin).await?;
    staff::list(&ctx::state()).await
}

#[server(prefix = "/api", endpoint = "staff/create")]
pub async fn create_staff(
    email: String,
    display_name: String,
    role: String,
    password: crate::model::Secret,
) -> Result<StaffView, AppError> {
    let admin = require_role(Role::Admin).await?;
    let role = Role::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose a role."))?;
    staff::create(&ctx::state(), &admin, &email, &display_name, role, password).await
}

const COLUMNS: [Column; 3] = [
    Column::new("Name"),
    Column::new("Email"),
    Column::new("Role"),
];

#[component]
pub fn StaffPage() -> impl IntoView {
    let create = ServerAction::<CreateStaff>::new();
    let staff = Resource::new(move || create.version().get(), |_| list_staff());
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
            "Administration: " <A href=crate::routes::INDEX_STATUS>"the partner index and its sync"</A>
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
                        .map(|s| {
                            Row::new(vec![
                                s.display_name.into_any(),
                                s.email.into_any(),
                                view! { <span class="badge">{s.role.as_str()}</span> }.into_any(),
                            ])
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
