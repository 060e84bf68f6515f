//! Mailboxes: the partner-wide list and a mailbox's page (rename, credentials, removal). The
//! server functions are here; the pages are in the submodules.

mod detail;
mod list;

pub use detail::MailboxPage;
pub use list::MailboxesPage;

use crate::error::AppError;
use crate::model::mailbox::{
    Credentials, ItemResult, MailboxBulkUpdate, MailboxDetail, MailboxFilter, MailboxList,
    MailboxRename,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    routes,
    server::{ctx, mailboxes, require_role},
};

#[server(prefix = "/api", endpoint = "mailboxes/list")]
pub async fn list_mailboxes(filter: MailboxFilter) -> Result<MailboxList, AppError> {
    let staff = require_role(Role::Viewer).await?;
    mailboxes::list(&ctx::state(), &staff, filter).await
}

/// The same change for several mailboxes (editors), with a result per mailbox.
#[server(prefix = "/api", endpoint = "mailboxes/update_many")]
pub async fn update_mailboxes(request: MailboxBulkUpdate) -> Result<Vec<ItemResult>, AppError> {
    let staff = require_role(Role::Editor).await?;
    mailboxes::update_many(&ctx::state(), &staff, request).await
}

#[server(prefix = "/api", endpoint = "mailboxes/get")]
pub async fn get_mailbox(id: String) -> Result<MailboxDetail, AppError> {
    let staff = require_role(Role::Viewer).await?;
    mailboxes::detail(&ctx::state(), &staff, &id).await
}

/// The mailbox's admin credentials (admins; audited).
#[server(prefix = "/api", endpoint = "mailboxes/reveal")]
pub async fn reveal_credentials(id: String) -> Result<Credentials, AppError> {
    let staff = require_role(Role::Admin).await?;
    mailboxes::reveal(&ctx::state(), &staff, &id).await
}

#[server(prefix = "/api", endpoint = "mailboxes/rename")]
pub async fn rename_mailbox(change: MailboxRename) -> Result<(), AppError> {
    let staff = require_role(Role::Editor).await?;
    mailboxes::rename(&ctx::state(), &staff, change).await
}

#[server(prefix = "/api", endpoint = "mailboxes/remove")]
pub async fn remove_mailbox(
    id: String,
    customer_id: String,
    confirm_email: String,
) -> Result<(), AppError> {
    let staff = require_role(Role::Admin).await?;
    mailboxes::remove(&ctx::state(), &staff, &id, &confirm_email).await?;
    leptos_axum::redirect(&routes::customer(&customer_id));
    Ok(())
}
