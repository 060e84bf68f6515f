//! Staff accounts (admin only): the list with each account's state, creating an account, and
//! one account's page (role, disable/enable, password reset, unlock, its sessions, its history).

mod detail;
mod list;

pub use detail::StaffAccountPage;
pub use list::StaffPage;

use crate::error::AppError;
use crate::model::staff::StaffAccountDetail;
use crate::model::{Secret, StaffAccount, StaffView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{auth::sessions, ctx, db, db::staff::AccountChange, require_role, staff},
};

#[server(prefix = "/api", endpoint = "staff/list")]
pub async fn list_staff() -> Result<Vec<StaffAccount>, AppError> {
    require_role(Role::Admin).await?;
    staff::list(&ctx::state()).await
}

#[server(prefix = "/api", endpoint = "staff/create")]
pub async fn create_staff(
    email: String,
    display_name: String,
    role: String,
    password: Secret,
) -> Result<StaffView, AppError> {
    let admin = require_role(Role::Admin).await?;
    let role = parse_role(&role)?;
    staff::create(&ctx::state(), &admin, &email, &display_name, role, password).await
}

#[server(prefix = "/api", endpoint = "staff/get")]
pub async fn get_staff_account(id: i64) -> Result<StaffAccountDetail, AppError> {
    let admin = require_role(Role::Admin).await?;
    let state = ctx::state();
    let account = staff::account(&state, id).await?;
    let session = ctx::session().await?;
    let sessions = sessions::list(&state, &session, &admin, sessions::Whose::Account(id)).await?;
    let history = db::audit::for_target(&state.db, "staff", &id.to_string(), 20).await?;
    Ok(StaffAccountDetail {
        account,
        sessions,
        history,
    })
}

#[server(prefix = "/api", endpoint = "staff/role")]
pub async fn set_staff_role(id: i64, role: String) -> Result<(), AppError> {
    let admin = require_role(Role::Admin).await?;
    let role = parse_role(&role)?;
    staff::change(&ctx::state(), &admin, id, AccountChange::Role(role)).await
}

#[server(prefix = "/api", endpoint = "staff/disable")]
pub async fn disable_staff(id: i64) -> Result<(), AppError> {
    let admin = require_role(Role::Admin).await?;
    staff::change(&ctx::state(), &admin, id, AccountChange::Disable).await
}

#[server(prefix = "/api", endpoint = "staff/enable")]
pub async fn enable_staff(id: i64) -> Result<(), AppError> {
    let admin = require_role(Role::Admin).await?;
    staff::change(&ctx::state(), &admin, id, AccountChange::Enable).await
}

#[server(prefix = "/api", endpoint = "staff/reset_password")]
pub async fn reset_staff_password(id: i64, password: Secret) -> Result<(), AppError> {
    let admin = require_role(Role::Admin).await?;
    staff::reset_password(&ctx::state(), &admin, id, password).await
}

#[server(prefix = "/api", endpoint = "staff/unlock")]
pub async fn unlock_staff(id: i64) -> Result<(), AppError> {
    let admin = require_role(Role::Admin).await?;
    staff::unlock(&ctx::state(), &admin, id).await
}

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<Role, AppError> {
    Role::parse(role).ok_or_else(|| AppError::invalid("role", "Choose a role."))
}

/// How an account's state reads, the same in the list and on its page.
#[component]
pub fn AccountBadges(account: StaffAccount) -> impl IntoView {
    let mut badges = Vec::new();
    if account.disabled {
        badges.push(("badge badge-danger", "disabled"));
    }
    if account.locked_until.is_some() {
        badges.push(("badge badge-danger", "locked out"));
    }
    if account.must_change_password {
        badges.push(("badge badge-busy", "must change password"));
    }
    if account.two_factor {
        badges.push(("badge badge-ok", "two-factor"));
    }
    if badges.is_empty() {
        badges.push(("badge", "active"));
    }
    badges
        .into_iter()
        .map(|(class, text)| view! { <span class=class>{text}</span> " " })
        .collect_view()
}
