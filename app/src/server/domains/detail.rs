//! One domain's page: what CMR says about it (read through its owner), its mailboxes and
//! subscription, the forwarding staff asked for, and its timeline.

use super::{domain_name, owner};
use crate::error::AppError;
use crate::model::audit::AuditView;
use crate::model::domain::{self, DomainDetail, Forwarding};
use crate::model::{Role, StaffView};
use crate::server::customers::{
    domain_row, is_on, mailbox_summary, read_domains, read_mailboxes, subscription_summary,
    user_subscriptions,
};
use crate::server::db;
use crate::server::errors::internal;
use crate::server::index::store::{self, day};
use crate::server::reads::Freshness;
use crate::server::AppState;
use serde_json::Value;

/// Timeline entries the page shows.
const HISTORY: i64 = 50;

/// The audit actions that ask CMR for forwarding, and the field they record the target in.
pub(crate) const URL_FORWARDING: &str = "domain.url_forwarding";
pub(crate) const EMAIL_FORWARDING: &str = "domain.email_forwarding";
pub(crate) const FORWARD_TO: &str = "forward_to";

#[tracing::instrument(name = "domain.detail", skip_all, fields(target = %name))]
pub async fn detail(
    state: &AppState,
    staff: &StaffView,
    name: &str,
    freshness: Freshness,
) -> Result<DomainDetail, AppError> {
    let name = domain_name(name)?;
    let owner = owner(state, &name).await?;
    let db_error = |e| internal("domain detail", e);
    let (domains, mailboxes, subscriptions, customer, history, url_asked, email_asked) = tokio::join!(
        read_domains(state, &owner, freshness),
        read_mailboxes(state, &owner, freshness),
        user_subscriptions(state, &owner, freshness),
        store::customer_label(&state.db, &owner),
        timeline(state, &owner, &name),
        db::audit::last_set(&state.db, "domain", &name, URL_FORWARDING, FORWARD_TO),
        db::audit::last_set(&state.db, "domain", &name, EMAIL_FORWARDING, FORWARD_TO),
    );
    let fetched = domains?;
    let found = fetched
        .value
        .into_iter()
        .find(|d| d.domain_name.eq_ignore_ascii_case(&name));
    let Some(d) = found else {
        // The read told the index the domain is gone; the page says so.
        return Err(AppError::NotFound);
    };
    let mailboxes = mailboxes
        .map(|m| {
            m.value
                .into_iter()
                .filter(|m| is_on(&m.email, &name))
                .map(mailbox_summary)
                .collect::<Vec<_>>()
        })
        .map_err(|e| AppError::from(e).to_string());
    let subscriptions = subscriptions
        .map(|subs| {
            subs.into_iter()
                .filter(|s| s.domain.eq_ignore_ascii_case(&name))
                .map(subscription_summary)
                .collect::<Vec<_>>()
        })
        .map_err(|e| AppError::from(e).to_string());
    let now = state.clock.now().unix_timestamp();
    let customer = customer.map_err(db_error)?.unwrap_or_default();
    let count = mailboxes.as_ref().map_or(0, |m| m.len() as i64);
    let row = domain_row(&d, &owner, customer, count, now);
    Ok(DomainDetail {
        fetched_at: fetched.fetched_at,
        renewable: domain::renewable(&row.status, row.expires_on.as_deref(), now),
        row,
        domain_id: d.domain_id,
        registered_on: day(d.creation_time.as_deref()),
        purchase_type: d.purchase_type,
        url_forwarding: forwarding(d.domain_forwarding.as_ref(), url_asked.map_err(db_error)?),
        email_forwarding: forwarding(d.email_forwarding.as_ref(), email_asked.map_err(db_error)?),
        other_facts: d
            .extra
            .iter()
            .filter(|(key, _)| key.as_str() != "userId")
            .map(|(key, value)| (key.clone(), text(value)))
            .collect(),
        mailboxes,
        subscriptions,
        history: history?,
        can_edit: staff.role.allows(Role::Editor),
        can_renew: staff.role.allows(Role::Admin),
    })
}

/// The timeline of the domain `name` (its owner from the index).
pub async fn domain_timeline(state: &AppState, name: &str) -> Result<Vec<AuditView>, AppError> {
    let name = domain_name(name)?;
    let owner = owner(state, &name).await?;
    timeline(state, &owner, &name).await
}

/// A domain's timeline: staff changes to it and its DNS, and CMR's events naming it, newest
/// first. From the database only.
pub async fn timeline(
    state: &AppState,
    owner: &str,
    name: &str,
) -> Result<Vec<AuditView>, AppError> {
    let (audit, events) = tokio::join!(
        db::audit::for_domain(&state.db, name, HISTORY),
        crate::server::webhooks::domain_timeline(&state.db, owner, name, HISTORY),
    );
    let db_error = |e| internal("domain timeline", e);
    let mut history = audit.map_err(db_error)?;
    history.extend(events.map_err(db_error)?);
    history.sort_by_key(|e| std::cmp::Reverse(e.at));
    history.truncate(HISTORY as usize);
    Ok(history)
}

/// CMR's forwarding config (`null` when none; its target under `forwardTo`, or the value
/// itself), beside what staff last asked for: still "requested" while CMR shows otherwise.
fn forwarding(config: Option<&Value>, asked: Option<(String, i64)>) -> Forwarding {
    let active = config.and_then(|c| match c {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => ["forwardTo", "target", "url", "email"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_string),
        _ => None,
    });
    let requested = asked.filter(|(to, _)| active.as_deref() != Some(to.as_str()));
    Forwarding { active, requested }
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
