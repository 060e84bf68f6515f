//! Customers: list, profile, create, edit, delete, and the "paste anything" lookup. The server
//! functions are here; the pages are in the submodules.

mod create;
mod edit;
mod form;
mod list;
mod lookup;
mod profile;

pub use create::NewCustomerPage;
pub use edit::EditCustomerPage;
pub use list::CustomersPage;
pub use lookup::LookupBox;
pub use profile::CustomerPage;

use crate::error::AppError;
use crate::model::audit::AuditView;
use crate::model::customer::{
    CustomerDetail, CustomerList, CustomerSort, EditableProfile, SaveOutcome,
};
use cmr::types::UserProfile;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    routes,
    server::{ctx, customers, reads::Freshness, require_role},
};

#[server(prefix = "/api", endpoint = "customers/list")]
pub async fn list_customers(
    q: String,
    page: u32,
    sort: CustomerSort,
    /// `Some(true)` from the refresh control: read CMR now instead of a kept answer.
    fresh: Option<bool>,
) -> Result<CustomerList, AppError> {
    require_role(Role::Viewer).await?;
    let freshness = Freshness::asked(fresh);
    customers::list(&ctx::state(), &q, page, sort, freshness).await
}

#[server(prefix = "/api", endpoint = "customers/get")]
pub async fn get_customer(id: String, fresh: Option<bool>) -> Result<CustomerDetail, AppError> {
    let staff = require_role(Role::Viewer).await?;
    let freshness = Freshness::asked(fresh);
    customers::detail(&ctx::state(), &staff, &id, freshness).await
}

/// A customer's timeline (staff changes and CMR's events) from the database: the profile asks
/// again every few seconds, so an event CMR sends shows up without reading CMR again.
#[server(prefix = "/api", endpoint = "customers/timeline")]
pub async fn customer_timeline(id: String) -> Result<Vec<AuditView>, AppError> {
    require_role(Role::Viewer).await?;
    customers::timeline(&ctx::state(), &id).await
}

/// Just the profile, with the fields CMR did not show (for the edit form).
#[server(prefix = "/api", endpoint = "customers/profile")]
pub async fn get_profile(id: String) -> Result<EditableProfile, AppError> {
    require_role(Role::Editor).await?;
    customers::editable(&ctx::state(), &id).await
}

/// A fresh idempotency key for a form that creates something (one per form shown).
#[server(prefix = "/api", endpoint = "forms/key")]
pub async fn form_key() -> Result<String, AppError> {
    require_role(Role::Viewer).await?;
    Ok(uuid::Uuid::new_v4().to_string())
}

#[server(prefix = "/api", endpoint = "customers/create")]
pub async fn create_customer(
    profile: UserProfile,
    idempotency_key: String,
) -> Result<String, AppError> {
    let staff = require_role(Role::Editor).await?;
    let id = customers::create(&ctx::state(), &staff, profile, &idempotency_key).await?;
    leptos_axum::redirect(&routes::customer(&id));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "customers/update")]
pub async fn update_customer(
    id: String,
    seen: UserProfile,
    edited: UserProfile,
) -> Result<SaveOutcome, AppError> {
    let staff = require_role(Role::Editor).await?;
    let outcome = customers::update(&ctx::state(), &staff, &id, seen, edited).await?;
    if let SaveOutcome::Saved(_) = outcome {
        leptos_axum::redirect(&routes::customer(&id));
    }
    Ok(outcome)
}

#[server(prefix = "/api", endpoint = "customers/delete")]
pub async fn delete_customer(id: String, confirm_email: String) -> Result<(), AppError> {
    let staff = require_role(Role::Admin).await?;
    customers::delete(&ctx::state(), &staff, &id, &confirm_email).await?;
    leptos_axum::redirect(routes::CUSTOMERS);
    Ok(())
}

#[server(prefix = "/api", endpoint = "customers/lookup")]
pub async fn lookup_customer(q: String) -> Result<String, AppError> {
    require_role(Role::Viewer).await?;
    let id = customers::lookup(&ctx::state(), &q).await?;
    leptos_axum::redirect(&routes::customer(&id));
    Ok(id)
}
