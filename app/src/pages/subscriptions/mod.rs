//! Subscriptions: the partner-wide list (`list`) and the renewal review (`renew`). The server
//! functions are here; the pages are in the submodules.

mod list;
mod renew;

pub use list::SubscriptionsPage;
pub use renew::RenewSubscriptionPage;

use crate::error::AppError;
use crate::model::subscription::{
    AutoRenewOutcome, SubscriptionFilter, SubscriptionList, SubscriptionQuote, SubscriptionRenewal,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{ctx, require_role, subscriptions},
};

#[server(prefix = "/api", endpoint = "subscriptions/list")]
pub async fn list_subscriptions(filter: SubscriptionFilter) -> Result<SubscriptionList, AppError> {
    let staff = require_role(Role::Viewer).await?;
    subscriptions::list(&ctx::state(), &staff, filter).await
}

#[server(prefix = "/api", endpoint = "subscriptions/auto_renew")]
pub async fn set_subscription_auto_renew(
    ids: Vec<String>,
    on: bool,
) -> Result<AutoRenewOutcome, AppError> {
    let staff = require_role(Role::Editor).await?;
    subscriptions::set_auto_renew(&ctx::state(), &staff, &ids, on).await
}

#[server(prefix = "/api", endpoint = "subscriptions/cancel")]
pub async fn cancel_subscription(id: String, confirm_domain: String) -> Result<(), AppError> {
    let staff = require_role(Role::Admin).await?;
    subscriptions::cancel(&ctx::state(), &staff, &id, &confirm_domain).await
}

/// The live review of renewing one subscription: CMR's price, its rules, the wallet.
#[server(prefix = "/api", endpoint = "subscriptions/renewal_quote")]
pub async fn get_subscription_quote(id: String) -> Result<SubscriptionQuote, AppError> {
    require_role(Role::Admin).await?;
    subscriptions::renewal_quote(&ctx::state(), &id).await
}

/// Renews what the review showed, once per form and once per subscription and period.
#[server(prefix = "/api", endpoint = "subscriptions/renew")]
pub async fn renew_subscription(request: SubscriptionRenewal) -> Result<String, AppError> {
    let staff = require_role(Role::Admin).await?;
    subscriptions::renew(&ctx::state(), &staff, request).await
}
