//! Creating a customer (once per form, under its idempotency key) and deleting one (after the
//! email is typed; CMR refuses while domains or mailboxes remain).

use super::{find_by_email, invalid_unless_empty};
use crate::error::AppError;
use crate::model::profile;
use crate::model::StaffView;
use crate::server::audit::{Change, Target};
use crate::server::db::idempotency::Finish;
use crate::server::errors::internal;
use crate::server::mutation::{self, audited, settle_lost_answer, Attempt};
use crate::server::AppState;
use cmr::types::{NewUser, ProfileField, UserProfile};
use cmr::CmrError;
use serde_json::json;

/// Creates a customer, once per form: the form's idempotency key is claimed before CMR is
/// called, so a double submit, a reload after submit or a second tab makes one CMR call and
/// every repeat is answered with the same customer. When CMR's answer is lost, the email
/// (unique at CMR) tells whether the customer now exists.
#[tracing::instrument(name = "customer.create", skip_all)]
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
    let attempt = |target| Attempt {
        staff,
        action: "customer.create",
        target: Target::Customer(target),
        changes: ProfileField::ALL
            .into_iter()
            .filter(|&f| !profile.get(f).is_empty())
            .map(|f| Change::new(f.wire_name(), serde_json::Value::Null, profile.get(f)))
            .collect(),
    };
    let result = state.cmr.create_user(&NewUser::from(profile.clone())).await;
    match result {
        Err(err) if err.is_outcome_unknown() => {
            let found = find_by_email(state, &profile.email).await;
            let id = found.clone().flatten().unwrap_or_default();
            let what_to_do = "search for the customer's email before creating it again";
            let seen = found.map(|id| id.is_some());
            let settled = settle_lost_answer(state, attempt(&id), &err, seen, what_to_do).await;
            let finish = match settled {
                Ok(()) => Finish::Done(json!({ "id": id })),
                Err(_) => Finish::Unknown,
            };
            mutation::finish_key(state, key, finish).await;
            settled.map(|()| id)
        }
        result => {
            let (finish, id) = match &result {
                Ok(reply) => (
                    Finish::Done(json!({ "id": reply.data.id })),
                    reply.data.id.clone(),
                ),
                Err(_) => (Finish::Failed, String::new()),
            };
            mutation::finish_key(state, key, finish).await;
            Ok(audited(state, attempt(&id), result).await?.data.id)
        }
    }
}

/// Deletes a customer after the staff member typed their email. CMR refuses while domains or
/// mailboxes remain; that refusal is explained with the counts.
#[tracing::instrument(name = "customer.delete", skip_all, fields(target = %id))]
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
    let attempt = Attempt {
        staff,
        action: "customer.delete",
        target: Target::Customer(id),
        changes,
    };
    let result = state.cmr.delete_user(id).await;
    if let Err(err) = &result {
        if err.is_outcome_unknown() {
            // Gone now means deleted; still there means not (yet).
            let gone = match state.cmr.get_user(id).await {
                Err(CmrError::NotFound { .. }) => Some(true),
                Ok(_) => Some(false),
                Err(_) => None,
            };
            let what_to_do = "reload the profile in a minute and check before deleting again";
            return settle_lost_answer(state, attempt, err, gone, what_to_do).await;
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
    match audited(state, attempt, result).await {
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
