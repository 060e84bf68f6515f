//! Customers: the CMR calls behind the customer pages, with validation, the edit merge, and
//! an audit entry for every change.

use super::audit::{self, Actor, Change, Entry, Outcome};
use super::db;
use super::AppState;
use crate::error::AppError;
use crate::model::customer::*;
use crate::model::profile::{self, Merge};
use crate::model::StaffView;
use cmr::types::{NewUser, SubscriptionQuery, User, UserListQuery, UserProfile};
use cmr::CmrError;

pub const PAGE_SIZE: u32 = 20;

fn row(user: User) -> CustomerRow {
    CustomerRow {
        name: user.profile.full_name(),
        email: user.profile.email,
        company: user.profile.company,
        country: user.profile.country,
        id: user.id,
    }
}

pub async fn list(
    state: &AppState,
    search: &str,
    page: u32,
    sort: CustomerSort,
) -> Result<CustomerList, AppError> {
    let query = UserListQuery {
        page: Some(page.max(1)),
        limit: Some(PAGE_SIZE),
        search: Some(search.trim().to_string()).filter(|s| !s.is_empty()),
    };
    let reply = state.cmr.list_users(&query).await?.data;
    let mut rows: Vec<CustomerRow> = reply.items.into_iter().map(row).collect();
    rows.sort_by_key(|r| sort.key(r));
    Ok(CustomerList {
        rows,
        total: reply.pagination.total,
        page: reply.pagination.current_page,
        total_pages: reply.pagination.total_pages.max(1),
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

/// Subscriptions list no user filter, so the profile reads the partner's first page (up to
/// 100) and keeps this customer's.
async fn user_subscriptions(
    state: &AppState,
    user_id: &str,
) -> Result<Vec<cmr::types::Subscription>, CmrError> {
    let query = SubscriptionQuery {
        limit: Some(100),
        ..Default::default()
    };
    let page = state.cmr.subscriptions(&query).await?.data;
    Ok(page
        .items
        .into_iter()
        .filter(|s| s.user_id == user_id)
        .collect())
}

/// The profile with its domains, mailboxes, subscriptions and audit history, loaded together.
pub async fn detail(
    state: &AppState,
    staff: &StaffView,
    id: &str,
) -> Result<CustomerDetail, AppError> {
    let (user, domains, mailboxes, subscriptions, history) = tokio::join!(
        state.cmr.get_user(id),
        state.cmr.user_domains(id),
        state.cmr.user_mailboxes(id),
        user_subscriptions(state, id),
        db::audit::for_target(&state.db, "customer", id, 50),
    );
    let user = user?.data;
    Ok(CustomerDetail {
        id: user.id,
        profile: user.profile,
        domains: section(domains.map(|r| r.data.items), |d| DomainSummary {
            name: d.domain_name,
            status: d.status.as_str().to_string(),
            expires: day(d.expiry_date),
            auto_renew: d.auto_renew,
        }),
        mailboxes: section(mailboxes.map(|r| r.data.items), |m| MailboxSummary {
            name: format!("{} {}", m.first_name, m.last_name)
                .trim()
                .to_string(),
            email: m.email,
            status: m.status.as_str().to_string(),
        }),
        subscriptions: section(subscriptions, |s| SubscriptionSummary {
            id: s.subscription_id,
            domain: s.domain,
            status: s.subscription_status.as_str().to_string(),
            mailboxes: s.total_mailbox_quantity,
            price_per_mailbox: s.price_per_mailbox.to_string(),
            period_end: day(s.period_end),
            auto_renew: s.auto_renew,
        }),
        history: history?,
        can_edit: staff.role.allows(crate::model::Role::Editor),
        can_delete: staff.role.allows(crate::model::Role::Admin),
    })
}

fn invalid_unless_empty(
    errors: std::collections::BTreeMap<String, String>,
) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Writes the audit entry for a CMR mutation and passes its result through.
async fn audited<T>(
    state: &AppState,
    staff: &StaffView,
    action: &str,
    target: &str,
    changes: Vec<Change>,
    result: Result<cmr::types::Reply<T>, CmrError>,
) -> Result<cmr::types::Reply<T>, AppError> {
    let failure = result
        .as_ref()
        .err()
        .map(|e| (e.status(), e.message().unwrap_or("no answer").to_string()));
    let action_id = result.as_ref().ok().and_then(|r| r.action_id.clone());
    let outcome = match &failure {
        None => Outcome::Ok,
        Some((status, message)) => Outcome::Failed {
            upstream_status: *status,
            message,
        },
    };
    audit::record(
        state,
        Entry {
            actor: Actor::Staff(staff),
            action,
            target: Some(("customer", target)),
            changes,
            outcome,
            action_id: action_id.as_deref(),
        },
    )
    .await?;
    Ok(result?)
}

pub async fn create(
    state: &AppState,
    staff: &StaffView,
    profile: UserProfile,
) -> Result<String, AppError> {
    let profile = profile::normalise(profile);
    invalid_unless_empty(profile::validate(&profile))?;
    let changes = profile::FIELDS
        .iter()
        .filter(|(f, _)| !profile::get(&profile, f).is_empty())
        .map(|(f, _)| Change::new(f, serde_json::Value::Null, profile::get(&profile, f)))
        .collect();
    let result = state.cmr.create_user(&NewUser::from(profile)).await;
    let target = result
        .as_ref()
        .map(|r| r.data.id.clone())
        .unwrap_or_default();
    let reply = audited(state, staff, "customer.create", &target, changes, result).await?;
    Ok(reply.data.id)
}

/// Saves the edit form: validates, re-reads CMR's profile, merges (see `profile::merge`) and
/// sends the complete merged profile once. Nothing is sent when nothing changed.
pub async fn update(
    state: &AppState,
    staff: &StaffView,
    id: &str,
    seen: UserProfile,
    edited: UserProfile,
) -> Result<SaveOutcome, AppError> {
    let edited = profile::normalise(edited);
    invalid_unless_empty(profile::validate(&edited))?;
    let current = state.cmr.get_user(id).await?.data.profile;
    let (merged, changed) = match profile::merge(&profile::normalise(seen), &edited, &current) {
        Merge::Unchanged => return Ok(SaveOutcome::NothingChanged),
        Merge::Conflicts(conflicts) => return Err(AppError::EditConflict(conflicts)),
        Merge::Save { profile, changed } => (*profile, changed),
    };
    let changes = changed
        .iter()
        .map(|(f, before, after)| Change::new(f, before.as_str(), after.as_str()))
        .collect();
    let result = state.cmr.update_user(id, &merged).await;
    audited(state, staff, "customer.update", id, changes, result).await?;
    Ok(SaveOutcome::Saved(
        changed.into_iter().map(|(f, _, _)| f).collect(),
    ))
}

/// Deletes a customer after the staff member typed their email. CMR refuses while domains or
/// mailboxes remain; that refusal is explained with the counts.
pub async fn delete(
    state: &AppState,
    staff: &StaffView,
    id: &str,
    typed_email: &str,
) -> Result<(), AppError> {
    let user = state.cmr.get_user(id).await?.data;
    if !typed_email.trim().eq_ignore_ascii_case(&user.profile.email) {
        return Err(AppError::invalid(
            "confirm_email",
            "Type the customer's email exactly to confirm.",
        ));
    }
    let changes = vec![Change::new(
        "email",
        user.profile.email.as_str(),
        serde_json::Value::Null,
    )];
    let result = state.cmr.delete_user(id).await;
    let blocked = match &result {
        Err(CmrError::Conflict {
            details: Some(details),
            ..
        }) => Some((
            details
                .get("domainCount")
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            details
                .get("mailboxCount")
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
        )),
        _ => None,
    };
    match audited(state, staff, "customer.delete", id, changes, result).await {
        Err(_) if blocked.is_some() => {
            let (domains, mailboxes) = blocked.unwrap_or_default();
            Err(AppError::Rejected(blocked_message(
                &user.profile.full_name(),
                domains,
                mailboxes,
            )))
        }
        other => other.map(|_| ()),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn blocked_message(name: &str, domains: u64, mailboxes: u64) -> String {
    format!(
        "{name} still has {} and {}. CMR deletes a customer only when both are zero: cancel their \
         subscriptions, remove the mailboxes and domains, then delete.",
        plural(domains, "domain", "domains"),
        plural(mailboxes, "mailbox", "mailboxes"),
    )
}

/// The "paste anything" box: an email or a CMR user id opens that customer.
pub async fn lookup(state: &AppState, input: &str) -> Result<String, AppError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(AppError::invalid("q", "Paste an email or a CMR user id."));
    }
    if input.contains('@') {
        let query = UserListQuery {
            page: Some(1),
            limit: Some(PAGE_SIZE),
            search: Some(input.to_string()),
        };
        let found = state.cmr.list_users(&query).await?.data.items;
        return found
            .into_iter()
            .find(|u| u.profile.email.eq_ignore_ascii_case(input))
            .map(|u| u.id)
            .ok_or_else(|| AppError::Rejected(format!("No customer has the email {input}.")));
    }
    match state.cmr.get_user(input).await {
        Ok(reply) => Ok(reply.data.id),
        Err(CmrError::NotFound { .. }) | Err(CmrError::Validation { .. }) => {
            Err(AppError::Rejected(format!("No customer has the id {input}. Domains can be looked up once the Domains pages exist.")))
        }
        Err(other) => Err(other.into()),
    }
}

/// The home page: wallet, counts and health from partner-level calls, all at once.
pub async fn home(state: &AppState) -> Result<HomeSummary, AppError> {
    let first = cmr::types::PageQuery {
        page: Some(1),
        limit: Some(1),
    };
    let first_user = UserListQuery {
        page: Some(1),
        limit: Some(1),
        search: None,
    };
    let first_subscription = SubscriptionQuery {
        limit: Some(1),
        ..Default::default()
    };
    let (wallet, users, subscriptions, mailboxes, recent) = tokio::join!(
        state.cmr.wallet(),
        state.cmr.list_users(&first_user),
        state.cmr.subscriptions(&first_subscription),
        state.cmr.all_mailboxes(&first),
        db::audit::latest(&state.db, 8),
    );
    let shown = |e: CmrError| AppError::from(e).to_string();
    Ok(HomeSummary {
        wallet: wallet
            .map(|w| crate::model::money::with_currency(w.data.balance, &w.data.currency))
            .map_err(shown),
        customers: users.map(|r| r.data.pagination.total).map_err(shown),
        subscriptions: subscriptions
            .map(|r| r.data.pagination.total)
            .map_err(shown),
        mailboxes: mailboxes.map(|r| r.data.pagination.total).map_err(shown),
        recent: recent?,
        cmr: state.cmr.last_call().map(|c| CmrHealth {
            ok: c.ok,
            status: c.status,
            latency_ms: c.latency.as_millis() as u64,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_delete_names_what_remains() {
        assert_eq!(
            blocked_message("Ada Lovelace", 2, 1),
            "Ada Lovelace still has 2 domains and 1 mailbox. CMR deletes a customer only when \
             both are zero: cancel their subscriptions, remove the mailboxes and domains, then delete."
        );
    }
}
