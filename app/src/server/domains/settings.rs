//! A domain's settings: auto-renew (one domain or many), URL and catch-all email forwarding
//! (asynchronous at CMR: "requested" until CMR shows it), and removal.

use super::detail::{EMAIL_FORWARDING, FORWARD_TO, URL_FORWARDING};
use super::{by_owner, domain_name, owner};
use crate::error::AppError;
use crate::model::domain::{BulkOutcome, ForwardingKind};
use crate::model::{validate, StaffView};
use crate::server::audit::{Change, Target};
use crate::server::customers::{is_on, read_mailboxes};
use crate::server::errors::internal;
use crate::server::index::store;
use crate::server::mutation::{audited, audited_each, settle_lost_answer, Attempt};
use crate::server::reads::Freshness;
use crate::server::AppState;
use cmr::types::MailboxStatus;

/// Domains one bulk change may hold.
const MAX_DOMAINS: usize = 200;

/// Turns auto-renew on or off for `names`: one CMR call per customer, one audit entry per
/// domain. Setting it twice is harmless, so a lost answer is reported for a re-check, not
/// settled.
#[tracing::instrument(name = "domain.auto_renew", skip_all)]
pub async fn set_auto_renew(
    state: &AppState,
    staff: &StaffView,
    names: &[String],
    on: bool,
) -> Result<BulkOutcome, AppError> {
    if names.is_empty() || names.len() > MAX_DOMAINS {
        return Err(AppError::invalid(
            "domains",
            format!("Choose between 1 and {MAX_DOMAINS} domains."),
        ));
    }
    let mut outcome = Vec::new();
    for (owner, names) in by_owner(state, names).await? {
        // "Before" is what the index knew (what staff saw); unknown when it knew nothing.
        let known = {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            store::auto_renew_of(&state.db, &names)
                .await
                .map_err(|e| internal("auto-renew", e))?
        };
        let attempts = names
            .iter()
            .map(|name| Attempt {
                staff,
                action: "domain.auto_renew",
                target: Target::Domain(name),
                changes: vec![Change::new(
                    "auto_renew",
                    known
                        .get(name)
                        .copied()
                        .map_or(serde_json::Value::Null, Into::into),
                    on,
                )],
            })
            .collect();
        let result = state.cmr.set_domain_auto_renew(&owner, &names, on).await;
        let result = audited_each(state, attempts, result).await;
        if result.is_ok() {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            if let Err(err) = store::set_auto_renew(&state.db, &names, on).await {
                tracing::warn!(error = %err, "auto-renew could not be updated in the index");
            }
        }
        outcome.push((names, result.map(drop).map_err(|e| e.to_string())));
    }
    Ok(outcome)
}

/// Checks a forwarding target: an http(s) URL, or an email address.
fn target(kind: ForwardingKind, input: &str) -> Result<String, AppError> {
    let input = input.trim();
    match kind {
        ForwardingKind::Url => {
            let rest = input
                .strip_prefix("https://")
                .or_else(|| input.strip_prefix("http://"));
            let host = rest
                .map(|r| r.split(['/', '?', '#']).next().unwrap_or_default())
                .unwrap_or_default();
            let fine = input.len() <= 2000
                && host.contains('.')
                && !input.chars().any(|c| c.is_whitespace() || c.is_control());
            if fine {
                Ok(input.to_string())
            } else {
                Err(AppError::invalid(
                    "target",
                    "Enter a web address starting with https:// (like https://example.com/page).",
                ))
            }
        }
        ForwardingKind::Email => {
            validate::email(input).map_err(|message| AppError::invalid("target", message))
        }
    }
}

/// Asks CMR to forward the domain's web address or its mail. Email forwarding needs every
/// mailbox on the domain ACTIVE first (CMR's rule), checked here before anything is sent.
#[tracing::instrument(name = "domain.forwarding", skip_all, fields(target = %name))]
pub async fn set_forwarding(
    state: &AppState,
    staff: &StaffView,
    name: &str,
    kind: ForwardingKind,
    to: &str,
) -> Result<(), AppError> {
    let name = domain_name(name)?;
    let to = target(kind, to)?;
    let owner = owner(state, &name).await?;
    if kind == ForwardingKind::Email {
        let mailboxes = read_mailboxes(state, &owner, Freshness::Live).await?.value;
        let waiting: Vec<String> = mailboxes
            .iter()
            .filter(|m| is_on(&m.email, &name) && m.status != MailboxStatus::Active)
            .map(|m| format!("{} ({})", m.email, m.status.as_str()))
            .collect();
        if !waiting.is_empty() {
            return Err(AppError::Rejected(format!(
                "Email forwarding needs every mailbox on {name} to be ACTIVE first; not yet: {}.",
                waiting.join(", ")
            )));
        }
    }
    let action = match kind {
        ForwardingKind::Url => URL_FORWARDING,
        ForwardingKind::Email => EMAIL_FORWARDING,
    };
    let attempt = Attempt {
        staff,
        action,
        target: Target::Domain(&name),
        changes: vec![Change::new(
            FORWARD_TO,
            serde_json::Value::Null,
            to.as_str(),
        )],
    };
    let result = match kind {
        ForwardingKind::Url => state.cmr.add_domain_forwarding(&owner, &name, &to).await,
        ForwardingKind::Email => state.cmr.add_email_forwarding(&owner, &name, &to).await,
    };
    audited(state, attempt, result).await.map(drop)
}

/// Removes a domain after staff typed its name. Refused, with the addresses, while mailboxes
/// remain (CMR refuses too).
#[tracing::instrument(name = "domain.remove", skip_all, fields(target = %name))]
pub async fn remove(
    state: &AppState,
    staff: &StaffView,
    name: &str,
    typed: &str,
) -> Result<(), AppError> {
    let name = domain_name(name)?;
    if !typed
        .trim()
        .trim_end_matches('.')
        .eq_ignore_ascii_case(&name)
    {
        return Err(AppError::invalid(
            "confirm_name",
            "Type the domain name exactly to confirm.",
        ));
    }
    let owner = owner(state, &name).await?;
    let mailboxes = read_mailboxes(state, &owner, Freshness::Live).await?.value;
    let remaining: Vec<String> = mailboxes
        .into_iter()
        .filter(|m| is_on(&m.email, &name))
        .map(|m| m.email)
        .collect();
    if !remaining.is_empty() {
        return Err(AppError::Rejected(format!(
            "{name} still has {} mailbox{} ({}). CMR removes a domain only once its mailboxes \
             are gone: remove them first.",
            remaining.len(),
            if remaining.len() == 1 { "" } else { "es" },
            remaining.join(", ")
        )));
    }
    let attempt = || Attempt {
        staff,
        action: "domain.remove",
        target: Target::Domain(&name),
        changes: vec![Change::new(
            "domain",
            name.as_str(),
            serde_json::Value::Null,
        )],
    };
    let result = state.cmr.remove_domains(&owner, &[name.as_str()]).await;
    if let Err(err) = &result {
        if err.is_outcome_unknown() {
            let gone = match state.cmr.user_domains(&owner).await {
                Ok(reply) => Some(
                    !reply
                        .data
                        .items
                        .iter()
                        .any(|d| d.domain_name.eq_ignore_ascii_case(&name)),
                ),
                Err(_) => None,
            };
            let what_to_do =
                "open the customer's profile in a minute and check before removing again";
            settle_lost_answer(state, attempt(), err, gone, what_to_do).await?;
            return forget(state, &name).await;
        }
    }
    audited(state, attempt(), result).await?;
    forget(state, &name).await
}

/// Marks a removed domain gone in the index, so lists drop it now.
async fn forget(state: &AppState, name: &str) -> Result<(), AppError> {
    if let Err(err) = store::mark_domain_gone(&state.db, name).await {
        tracing::warn!(error = %err, "a removed domain could not be marked gone in the index");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_targets_are_checked_by_kind() {
        let url = |s| target(ForwardingKind::Url, s);
        assert_eq!(
            url(" https://example.com/x ").unwrap(),
            "https://example.com/x"
        );
        assert!(url("http://a.io").is_ok());
        for bad in [
            "example.com",
            "ftp://a.com",
            "https://",
            "https://a b.com",
            "https://localhost",
        ] {
            assert!(url(bad).is_err(), "{bad}");
        }
        let email = |s| target(ForwardingKind::Email, s);
        assert_eq!(email("Ops@Example.com").unwrap(), "ops@example.com");
        assert!(email("not an email").is_err());
    }
}
