//! Customers: the CMR calls behind the customer pages. Reading (the list, a profile with its
//! sections, the look-up) is here; changing is in `edit` (the merged save) and `lifecycle`
//! (create, delete), each through the one mutation path (`server::mutation`).

mod edit;
mod lifecycle;

pub use edit::update;
pub use lifecycle::{create, delete};

use super::db;
use super::index;
use super::index::live::Seen;
use super::reads::{Fetched, Freshness, ReadKey};
use super::AppState;
use crate::error::AppError;
use crate::model::audit::AuditView;
use crate::model::customer::*;
use crate::model::domain::{days_left, DomainRow};
use crate::model::profile;
use crate::model::StaffView;
use cmr::types::{
    Domain, Mailbox, ProfileField, Subscription, SubscriptionQuery, User, UserListQuery,
};
use cmr::CmrError;

pub const PAGE_SIZE: u32 = 20;

/// Timeline entries a profile shows.
const HISTORY: i64 = 50;

fn row(user: User) -> CustomerRow {
    CustomerRow {
        name: user.profile.full_name(),
        email: user.profile.email,
        company: user.profile.company,
        country: user.profile.country,
        id: user.id,
    }
}

#[tracing::instrument(name = "customer.list", skip_all)]
pub async fn list(
    state: &AppState,
    search: &str,
    page: u32,
    sort: CustomerSort,
    freshness: Freshness,
) -> Result<CustomerList, AppError> {
    let page = page.max(1);
    let search = search.trim().to_string();
    let key = ReadKey::Customers(page, search.clone());
    let query = UserListQuery {
        page: Some(page),
        limit: Some(PAGE_SIZE),
        search: Some(search).filter(|s| !s.is_empty()),
    };
    let read = || async {
        let users = state.cmr.list_users(&query).await?.data;
        state
            .sightings
            .remember(Seen::Customers(users.items.clone()));
        Ok(users)
    };
    let Fetched {
        value: reply,
        fetched_at,
    } = state.reads.read(key, freshness, read).await?;
    let pagination = reply.pagination;
    // A customer without an id cannot be opened; say so in the log rather than show a dead row.
    let (users, nameless): (Vec<User>, Vec<User>) =
        reply.items.into_iter().partition(|u| !u.id.is_empty());
    if !nameless.is_empty() {
        tracing::warn!(count = nameless.len(), "CMR listed customers without an id");
    }
    let mut rows: Vec<CustomerRow> = users.into_iter().map(row).collect();
    rows.sort_by_key(|r| sort.key(r));
    Ok(CustomerList {
        rows,
        total: pagination.total,
        page: pagination.current_page.max(1),
        total_pages: pagination.total_pages,
        has_next: pagination.has_next(),
        fetched_at,
    })
}

/// CMR's timestamps (`2026-11-18T00:00:00Z`) as the day they fall on.
fn day(timestamp: Option<String>) -> Option<String> {
    timestamp.map(|t| {
        t.get(..10)
            .filter(|d| d.as_bytes().get(4) == Some(&b'-'))
            .unwrap_or(&t)
            .to_string()
    })
}

/// A part of the profile page: shown as "could not load: …" on failure, never failing the page.
fn section<T, U>(result: Result<Vec<T>, CmrError>, map: impl Fn(T) -> U) -> Section<U> {
    result
        .map(|items| items.into_iter().map(map).collect())
        .map_err(|e| AppError::from(e).to_string())
}

/// Whether the mailbox address `email` is on `domain`.
pub(crate) fn is_on(email: &str, domain: &str) -> bool {
    email
        .rsplit('@')
        .next()
        .is_some_and(|d| d.eq_ignore_ascii_case(domain))
}

/// A mailbox as the profile and the domain page list it.
pub(crate) fn mailbox_summary(m: Mailbox) -> MailboxSummary {
    MailboxSummary {
        name: format!("{} {}", m.first_name, m.last_name)
            .trim()
            .to_string(),
        email: m.email,
        status: m.status.as_str().to_string(),
    }
}

/// A subscription as the profile and the domain page list it.
pub(crate) fn subscription_summary(s: Subscription) -> SubscriptionSummary {
    SubscriptionSummary {
        id: s.subscription_id,
        domain: s.domain,
        status: s.subscription_status.as_str().to_string(),
        mailboxes: s.total_mailbox_quantity,
        price_per_mailbox: s.price_per_mailbox.to_string(),
        period_end: day(s.period_end),
        auto_renew: s.auto_renew,
    }
}

/// A domain of `owner` (named `customer`) as a row of the domain table, `now` in Unix seconds.
/// The expiry goes through the index's date reader, as in the partner-wide list.
pub(crate) fn domain_row(
    d: &Domain,
    owner: &str,
    customer: String,
    mailboxes: i64,
    now: i64,
) -> DomainRow {
    let expires_on = index::store::day(d.expiry_date.as_deref());
    DomainRow {
        name: d.domain_name.to_lowercase(),
        customer_id: owner.to_string(),
        customer,
        status: d.status.as_str().to_string(),
        days_left: expires_on.as_deref().and_then(|on| days_left(on, now)),
        expires_on,
        auto_renew: d.auto_renew,
        provider: d
            .service_provider
            .as_ref()
            .map(|p| p.as_str().to_string())
            .filter(|p| !p.is_empty()),
        mailboxes,
    }
}

/// Subscriptions list no user filter, so the profile reads the partner's first page (up to
/// 100) and keeps this customer's.
pub(crate) async fn user_subscriptions(
    state: &AppState,
    user_id: &str,
    freshness: Freshness,
) -> Result<Vec<cmr::types::Subscription>, CmrError> {
    let query = SubscriptionQuery {
        limit: Some(100),
        ..Default::default()
    };
    let read = || async {
        let subscriptions = state.cmr.subscriptions(&query).await?.data.items;
        state
            .sightings
            .remember(Seen::Subscriptions(subscriptions.clone()));
        Ok(subscriptions)
    };
    let all = state
        .reads
        .read(ReadKey::Subscriptions, freshness, read)
        .await?
        .value;
    Ok(all.into_iter().filter(|s| s.user_id == user_id).collect())
}

/// A customer, through the read cache (what it reads is remembered in the index).
pub(crate) async fn read_user(
    state: &AppState,
    id: &str,
    freshness: Freshness,
) -> Result<Fetched<User>, CmrError> {
    let read = || async {
        let user = state.cmr.get_user(id).await?.data;
        state
            .sightings
            .remember(Seen::Customers(vec![user.clone()]));
        Ok(user)
    };
    let key = ReadKey::Customer(id.to_string());
    state.reads.read(key, freshness, read).await
}

/// A customer's domains, through the read cache (remembered in the index).
pub(crate) async fn read_domains(
    state: &AppState,
    id: &str,
    freshness: Freshness,
) -> Result<Fetched<Vec<Domain>>, CmrError> {
    let read = || async {
        let domains = state.cmr.user_domains(id).await?.data.items;
        let seen = Seen::CustomerDomains(id.to_string(), domains.clone());
        state.sightings.remember(seen);
        Ok(domains)
    };
    let key = ReadKey::CustomerDomains(id.to_string());
    state.reads.read(key, freshness, read).await
}

/// A customer's mailboxes, through the read cache (remembered in the index).
pub(crate) async fn read_mailboxes(
    state: &AppState,
    id: &str,
    freshness: Freshness,
) -> Result<Fetched<Vec<Mailbox>>, CmrError> {
    let read = || async {
        let mailboxes = state.cmr.user_mailboxes(id).await?.data.items;
        let seen = Seen::CustomerMailboxes(id.to_string(), mailboxes.clone());
        state.sightings.remember(seen);
        Ok(mailboxes)
    };
    let key = ReadKey::CustomerMailboxes(id.to_string());
    state.reads.read(key, freshness, read).await
}

/// The profile with its domains, mailboxes, subscriptions and audit history, loaded together.
#[tracing::instrument(name = "customer.detail", skip_all, fields(target = %id))]
pub async fn detail(
    state: &AppState,
    staff: &StaffView,
    id: &str,
    freshness: Freshness,
) -> Result<CustomerDetail, AppError> {
    let (user, domains, mailboxes, subscriptions, history) = tokio::join!(
        read_user(state, id, freshness),
        read_domains(state, id, freshness),
        read_mailboxes(state, id, freshness),
        user_subscriptions(state, id, freshness),
        timeline(state, id),
    );
    let history = history?;
    let Fetched {
        value: user,
        fetched_at,
    } = user?;
    let now = state.clock.now().unix_timestamp();
    let on_domain = |domain: &str| match &mailboxes {
        Ok(m) => m.value.iter().filter(|m| is_on(&m.email, domain)).count() as i64,
        Err(_) => 0,
    };
    let domains = section(domains.map(|r| r.value), |d| {
        domain_row(
            &d,
            &user.id,
            user.profile.full_name(),
            on_domain(&d.domain_name),
            now,
        )
    });
    Ok(CustomerDetail {
        fetched_at,
        id: user.id,
        profile: user.profile,
        unknown_fields: user.unknown_fields,
        domains,
        mailboxes: section(mailboxes.map(|r| r.value), mailbox_summary),
        subscriptions: section(subscriptions, subscription_summary),
        history,
        can_edit: staff.role.allows(crate::model::Role::Editor),
        can_delete: staff.role.allows(crate::model::Role::Admin),
    })
}

/// A customer's timeline: staff changes and CMR's events together, newest first. From the
/// database only (no CMR call), so a page can ask for it again as often as it likes.
pub async fn timeline(state: &AppState, id: &str) -> Result<Vec<AuditView>, AppError> {
    let (audit, events) = tokio::join!(
        db::audit::for_target(&state.db, "customer", id, HISTORY),
        super::webhooks::timeline(&state.db, id, HISTORY),
    );
    let db_error = |e| super::errors::internal("customer timeline", e);
    let mut history = audit.map_err(db_error)?;
    history.extend(events.map_err(db_error)?);
    history.sort_by_key(|e| std::cmp::Reverse(e.at));
    history.truncate(HISTORY as usize);
    Ok(history)
}

/// The profile the edit form opens with, and the fields CMR did not show.
#[tracing::instrument(name = "customer.editable", skip_all, fields(target = %id))]
pub async fn editable(state: &AppState, id: &str) -> Result<EditableProfile, AppError> {
    // Live (joining a read under way): the form starts from what CMR holds now.
    let read = || async { Ok(state.cmr.get_user(id).await?.data) };
    let key = ReadKey::Customer(id.to_string());
    let user = state.reads.read(key, Freshness::Live, read).await?.value;
    let lists = state.geo.lists(&state.cmr, &user.profile.country).await;
    Ok(EditableProfile {
        profile: user.profile,
        unknown_fields: user.unknown_fields,
        lists,
    })
}

pub(super) fn invalid_unless_empty(
    errors: std::collections::BTreeMap<ProfileField, String>,
) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(profile::by_wire_name(errors)))
    }
}

/// The id of the customer with exactly this email (CMR's search also matches parts of it).
async fn owner_of_email(state: &AppState, email: &str) -> Result<Option<String>, CmrError> {
    let query = UserListQuery {
        page: Some(1),
        limit: Some(PAGE_SIZE),
        search: Some(email.to_string()),
    };
    let found = state.cmr.list_users(&query).await?.data.items;
    Ok(found
        .into_iter()
        .find(|u| u.profile.email.eq_ignore_ascii_case(email))
        .map(|u| u.id))
}

/// Like [`owner_of_email`], for a check after a lost answer: `None` when CMR cannot be asked.
pub(super) async fn find_by_email(state: &AppState, email: &str) -> Option<Option<String>> {
    owner_of_email(state, email).await.ok()
}

/// The "paste anything" box: an email (a customer's, or a mailbox's through the index), a
/// domain name (through the index) or a CMR user id opens that customer.
#[tracing::instrument(name = "customer.lookup", skip_all)]
pub async fn lookup(state: &AppState, input: &str) -> Result<String, AppError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(AppError::invalid(
            "q",
            "Paste an email, a domain name or a CMR user id.",
        ));
    }
    let db = |e| crate::server::errors::internal("index lookup", e);
    if input.contains('@') {
        if let Some(owner) = owner_of_email(state, input).await? {
            return Ok(owner);
        }
        return index::store::owner_of_mailbox(&state.db, input)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                AppError::Rejected(format!(
                    "No customer or mailbox has the email {input} (mailboxes are found once the index has seen them)."
                ))
            });
    }
    if input.contains('.') {
        return index::store::owner_of_domain(&state.db, input)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                AppError::Rejected(format!(
                    "No customer has the domain {input} (domains are found once the index has seen them)."
                ))
            });
    }
    match state.cmr.get_user(input).await {
        Ok(reply) => Ok(reply.data.id),
        Err(CmrError::NotFound { .. }) | Err(CmrError::Validation { .. }) => Err(
            AppError::Rejected(format!("No customer has the id {input}.")),
        ),
        Err(other) => Err(other.into()),
    }
}
