//! Customers: the CMR calls behind the customer pages, with validation, the edit merge, and
//! an audit entry for every change.

use super::audit::Change;
use super::db;
use super::db::idempotency::Finish;
use super::errors::internal;
use super::mutation::{self, audited, lost_message, settle_lost_answer};
use super::AppState;
use crate::error::AppError;
use crate::model::customer::*;
use crate::model::profile::{self, Merge};
use crate::model::StaffView;
use cmr::types::{NewUser, SubscriptionQuery, User, UserListQuery, UserProfile};
use cmr::CmrError;
use serde_json::json;

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
        unknown_fields: user.unknown_fields,
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

/// Creates a customer, once per form: the form's idempotency key is claimed before CMR is
/// called, so a double submit, a reload after submit or a second tab makes one CMR call and
/// every repeat is answered with the same customer. When CMR's answer is lost, the email
/// (unique at CMR) tells whether the customer now exists.
pub async fn create(
    state: &AppState,
    staff: &StaffView,
    profile: UserProfile,
    key: &str,
) -> Result<String, AppError> {
    let profile = profile::normalise(profile);
    invalid_unless_empty(profile::validate(&profile))?;
    let request = serde_json::to_value(&profile).map_err(|e| internal("encoding a profile", e))?;
    if let Some(done) = mutation::claim_key(state, staff, key, "customer.create", &request).await? {
        return done["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| internal("idempotency", "a stored create has no id"));
    }
    let changes: Vec<Change> = profile::FIELDS
        .iter()
        .filter(|(f, _)| !profile::get(&profile, f).is_empty())
        .map(|(f, _)| Change::new(f, serde_json::Value::Null, profile::get(&profile, f)))
        .collect();
    let email = profile.email.clone();
    let result = state.cmr.create_user(&NewUser::from(profile)).await;
    let id = match &result {
        Ok(reply) => Some(reply.data.id.clone()),
        Err(err) if err.is_outcome_unknown() => {
            let found = find_by_email(state, &email).await;
            let target = found.clone().flatten().unwrap_or_default();
            let seen = found.as_ref().map(Option::is_some);
            let action = "customer.create";
            let status = err.status();
            settle_lost_answer(
                state,
                staff,
                action,
                ("customer", &target),
                changes,
                status,
                seen,
            )
            .await;
            if seen != Some(true) {
                mutation::finish_key(state, key, Finish::Unknown).await;
                return Err(AppError::OutcomeUnknown(lost_message(
                    found.is_some(),
                    "search for the customer's email before creating it again",
                )));
            }
            mutation::finish_key(state, key, Finish::Done(&json!({ "id": target }))).await;
            return Ok(target);
        }
        Err(_) => None,
    };
    let finish = match &id {
        Some(id) => json!({ "id": id }),
        None => serde_json::Value::Null,
    };
    let outcome = match id {
        Some(_) => Finish::Done(&finish),
        None => Finish::Failed,
    };
    mutation::finish_key(state, key, outcome).await;
    let target = id.unwrap_or_default();
    let reply = audited(
        state,
        staff,
        "customer.create",
        ("customer", &target),
        changes,
        result,
    );
    Ok(reply.await?.data.id)
}

/// The customer with exactly this email: `Some(None)` when there is none, `None` when CMR
/// cannot be asked either.
async fn find_by_email(state: &AppState, email: &str) -> Option<Option<String>> {
    let query = UserListQuery {
        page: Some(1),
        limit: Some(PAGE_SIZE),
        search: Some(email.to_string()),
    };
    let found = state.cmr.list_users(&query).await.ok()?.data.items;
    Some(
        found
            .into_iter()
            .find(|u| u.profile.email.eq_ignore_ascii_case(email))
            .map(|u| u.id),
    )
}

/// Saves the edit form: re-reads CMR's profile, validates, merges (see `profile::merge`) and
/// sends the merged profile once. Nothing is sent when nothing changed. A field CMR did not
/// show (missing, `null`, not text) is left out of the body unless staff typed a value: it is
/// never written back as `""`. When the answer is lost, the profile is read again to tell
/// staff what actually happened.
pub async fn update(
    state: &AppState,
    staff: &StaffView,
    id: &str,
    seen: UserProfile,
    edited: UserProfile,
) -> Result<SaveOutcome, AppError> {
    let seen = profile::normalise(seen);
    let mut edited = profile::normalise(edited);
    if same_state(state, &edited.country, &seen.state, &edited.state).await {
        edited.state = seen.state.clone();
    }
    let mut errors = profile::validate(&edited);
    // Bad input is refused before any CMR call. Only a required field that was empty when the
    // form opened and still is waits for the re-read: CMR may simply not have shown it.
    let untouched_empty =
        |f: &str| profile::get(&edited, f).is_empty() && profile::get(&seen, f).is_empty();
    let early: std::collections::BTreeMap<_, _> = errors
        .iter()
        .filter(|(f, _)| !untouched_empty(f))
        .map(|(f, m)| (f.clone(), m.clone()))
        .collect();
    invalid_unless_empty(early)?;
    let current = state.cmr.get_user(id).await?.data;
    // Untouched fields CMR did not show stay out of the body, so they need no value here.
    let leave_out: Vec<&str> = current
        .unknown_fields
        .iter()
        .map(String::as_str)
        .filter(|f| profile::get(&edited, f) == profile::get(&seen, f))
        .collect();
    errors.retain(|field, _| !leave_out.contains(&field.as_str()));
    invalid_unless_empty(errors)?;
    let (merged, changed) = match profile::merge(&seen, &edited, &current.profile) {
        Merge::Unchanged => return Ok(SaveOutcome::NothingChanged),
        Merge::Conflicts(conflicts) => return Err(AppError::EditConflict(conflicts)),
        Merge::Save { profile, changed } => (*profile, changed),
    };
    let changes = || {
        changed
            .iter()
            .map(|(f, before, after)| Change::new(f, before.as_str(), after.as_str()))
            .collect()
    };
    let saved = SaveOutcome::Saved(changed.iter().map(|(f, _, _)| f.clone()).collect());
    match state.cmr.update_user(id, &merged, &leave_out).await {
        Err(err) if err.is_outcome_unknown() => {
            let applied = reread_shows(state, id, &changed).await;
            let status = err.status();
            settle_lost_answer(
                state,
                staff,
                "customer.update",
                ("customer", id),
                changes(),
                status,
                applied,
            )
            .await;
            if applied == Some(true) {
                Ok(saved)
            } else {
                Err(AppError::OutcomeUnknown(lost_message(
                    applied.is_some(),
                    "reload the profile in a minute and check before saving again",
                )))
            }
        }
        result => {
            audited(
                state,
                staff,
                "customer.update",
                ("customer", id),
                changes(),
                result,
            )
            .await?;
            Ok(saved)
        }
    }
}

/// Whether `a` and `b` are two spellings (name and code) of one state of `country`. The state
/// select shows one entry for both, so a form that submits the other spelling of what CMR
/// stores did not change the state, and must not rewrite it.
async fn same_state(state: &AppState, country: &str, a: &str, b: &str) -> bool {
    if a == b || a.is_empty() || b.is_empty() || country.len() != 2 {
        return a == b;
    }
    let Ok(states) = state.geo.states(&state.cmr, country).await else {
        return false;
    };
    let spells = |s: &crate::model::customer::GeoOption, v: &str| {
        s.name.eq_ignore_ascii_case(v) || s.code.eq_ignore_ascii_case(v)
    };
    states.iter().any(|s| spells(s, a) && spells(s, b))
}

/// After a lost answer: `Some(true)` when CMR's profile now holds every change, `Some(false)`
/// when it holds none or only some, `None` when it cannot be read either.
async fn reread_shows(
    state: &AppState,
    id: &str,
    changed: &[(String, String, String)],
) -> Option<bool> {
    let now = state.cmr.get_user(id).await.ok()?.data.profile;
    Some(changed.iter().all(|(field, _, after)| {
        profile::normalise_field(field, profile::get(&now, field)) == *after
    }))
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
    if let Err(err) = &result {
        if err.is_outcome_unknown() {
            // Gone now means deleted; still there means not (yet).
            let gone = match state.cmr.get_user(id).await {
                Err(CmrError::NotFound { .. }) => Some(true),
                Ok(_) => Some(false),
                Err(_) => None,
            };
            let status = err.status();
            settle_lost_answer(
                state,
                staff,
                "customer.delete",
                ("customer", id),
                changes,
                status,
                gone,
            )
            .await;
            return if gone == Some(true) {
                Ok(())
            } else {
                Err(AppError::OutcomeUnknown(lost_message(
                    gone.is_some(),
                    "reload the profile in a minute and check before deleting again",
                )))
            };
        }
    }
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
    match audited(
        state,
        staff,
        "customer.delete",
        ("customer", id),
        changes,
        result,
    )
    .await
    {
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
/// Staff-management and sign-in security events appear only for admins.
pub async fn home(state: &AppState, staff: &StaffView) -> Result<HomeSummary, AppError> {
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
        db::audit::latest(&state.db, 8, staff.role.allows(crate::model::Role::Admin)),
    );
    let shown = |e: CmrError| AppError::from(e).to_string();
    let total = |t: Option<u64>| t.ok_or_else(|| "CMR did not say how many.".to_string());
    Ok(HomeSummary {
        wallet: wallet
            .map(|w| crate::model::money::with_currency(w.data.balance, &w.data.currency))
            .map_err(shown),
        customers: users
            .map_err(shown)
            .and_then(|r| total(r.data.pagination.total)),
        subscriptions: subscriptions
            .map_err(shown)
            .and_then(|r| total(r.data.pagination.total)),
        mailboxes: mailboxes
            .map_err(shown)
            .and_then(|r| total(r.data.pagination.total)),
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
