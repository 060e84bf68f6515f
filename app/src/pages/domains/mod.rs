//! Domains: the partner-wide list with its expiry radar, a domain's page, the renewal review
//! and DNS. The server functions are here; the pages are in the submodules.

mod detail;
mod dns;
mod list;
mod renew;

pub use detail::DomainPage;
pub use dns::DnsPage;
pub use list::{DomainRows, DomainsPage};
pub use renew::RenewPage;

use crate::error::AppError;
use crate::model::audit::AuditView;
use crate::model::dns::{DnsZone, RecordDraft, SaveReport};
use crate::model::domain::{BulkOutcome, DomainDetail, DomainFilter, DomainList, ForwardingKind};
use crate::model::renewal::{RenewalOutcome, RenewalQuote, RenewalRequest};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    routes,
    server::{ctx, domains, reads::Freshness, require_role},
};

#[server(prefix = "/api", endpoint = "domains/list")]
pub async fn list_domains(filter: DomainFilter) -> Result<DomainList, AppError> {
    let staff = require_role(Role::Viewer).await?;
    domains::list(&ctx::state(), &staff, filter).await
}

#[server(prefix = "/api", endpoint = "domains/get")]
pub async fn get_domain(name: String, fresh: Option<bool>) -> Result<DomainDetail, AppError> {
    let staff = require_role(Role::Viewer).await?;
    domains::detail(&ctx::state(), &staff, &name, Freshness::asked(fresh)).await
}

/// A domain's timeline from the database (the page asks again every few seconds).
#[server(prefix = "/api", endpoint = "domains/timeline")]
pub async fn domain_timeline(name: String) -> Result<Vec<AuditView>, AppError> {
    require_role(Role::Viewer).await?;
    domains::domain_timeline(&ctx::state(), &name).await
}

/// The live review of renewing `domains`: prices, wallet, what cannot be renewed and why.
#[server(prefix = "/api", endpoint = "domains/renewal_quote")]
pub async fn get_renewal_quote(domains: Vec<String>) -> Result<RenewalQuote, AppError> {
    require_role(Role::Admin).await?;
    domains::quote(&ctx::state(), &domains).await
}

/// Renews what the review showed, once per form (its idempotency key) and once per domain
/// and period.
#[server(prefix = "/api", endpoint = "domains/renew")]
pub async fn renew_domains(request: RenewalRequest) -> Result<RenewalOutcome, AppError> {
    let staff = require_role(Role::Admin).await?;
    domains::renew(&ctx::state(), &staff, request).await
}

#[server(prefix = "/api", endpoint = "domains/auto_renew")]
pub async fn set_auto_renew(domains: Vec<String>, on: bool) -> Result<BulkOutcome, AppError> {
    let staff = require_role(Role::Editor).await?;
    domains::set_auto_renew(&ctx::state(), &staff, &domains, on).await
}

#[server(prefix = "/api", endpoint = "domains/forwarding")]
pub async fn set_forwarding(
    name: String,
    kind: ForwardingKind,
    target: String,
) -> Result<(), AppError> {
    let staff = require_role(Role::Editor).await?;
    domains::set_forwarding(&ctx::state(), &staff, &name, kind, &target).await
}

/// The domain's DNS records, read from CMR now.
#[server(prefix = "/api", endpoint = "dns/zone")]
pub async fn get_dns_zone(name: String) -> Result<DnsZone, AppError> {
    let staff = require_role(Role::Viewer).await?;
    domains::dns::zone(&ctx::state(), &staff, &name).await
}

/// Saves the edited zone (`seen`: as the editor opened it): one CMR call per change. JSON, not
/// a form: an empty zone or an empty list of DMARC tags must arrive as an empty list.
#[server(prefix = "/api", endpoint = "dns/save", input = server_fn::codec::Json)]
pub async fn save_dns(
    name: String,
    seen: Vec<RecordDraft>,
    edited: Vec<RecordDraft>,
) -> Result<SaveReport, AppError> {
    let staff = require_role(Role::Editor).await?;
    domains::dns::save(&ctx::state(), &staff, &name, seen, edited).await
}

#[server(prefix = "/api", endpoint = "domains/remove")]
pub async fn remove_domain(
    name: String,
    customer_id: String,
    confirm_name: String,
) -> Result<(), AppError> {
    let staff = require_role(Role::Admin).await?;
    domains::remove(&ctx::state(), &staff, &name, &confirm_name).await?;
    leptos_axum::redirect(&routes::customer(&customer_id));
    Ok(())
}
