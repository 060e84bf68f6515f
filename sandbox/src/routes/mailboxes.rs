//! `/mailboxes/*`.

use std::time::Duration;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::input::Input;
use super::paging::{page_of, pagination};
use crate::envelope::{ApiError, Done, Outcome};
use crate::state::{iso, MailboxChange, MailboxRec, World};
use cmr::types::{ServiceProvider, SubscriptionStatus};
use tokio::time::Instant;

/// Mailboxes can be removed only earlier than this before the subscription period ends.
const REMOVAL_CUTOFF: Duration = Duration::from_secs(24 * 3600);

pub(crate) fn mailbox_json(world: &World, m: &MailboxRec) -> Value {
    let period_end = m
        .subscription_id
        .as_ref()
        .and_then(|id| world.subscriptions.iter().find(|s| &s.id == id))
        .map(|s| iso(s.period_end));
    json!({
        "mailboxId": m.id,
        "email": format!("{}@{}", m.user_name, m.domain),
        "userName": m.user_name,
        "firstName": m.first_name,
        "lastName": m.last_name,
        "profilePicture": m.profile_picture,
        "status": m.status.as_str(),
        "domain": m.domain,
        "domainId": m.domain_id,
        "subscriptionId": m.subscription_id,
        "userId": m.user_id,
        "serviceProvider": m.provider.as_str(),
        "onWarmup": m.on_warmup,
        "creationTime": iso(m.created),
        "expiryDate": period_end,
    })
}

fn listing(world: &World, input: &Input, of: impl Fn(&MailboxRec) -> bool) -> Outcome {
    let (page, limit) = input.paging(50, 100)?;
    let all: Vec<&MailboxRec> = world.mailboxes.iter().filter(|m| of(m)).collect();
    let items: Vec<Value> = page_of(&all, page, limit)
        .iter()
        .map(|m| mailbox_json(world, m))
        .collect();
    Ok(Done::ok(
        "Mailboxes fetched successfully",
        json!({ "mailboxes": items, "pagination": pagination(all.len(), page, limit) }),
    ))
}

pub(crate) fn all(world: &mut World, input: &Input) -> Outcome {
    listing(world, input, |_| true)
}

pub(crate) fn of_user(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    listing(world, input, |m| m.user_id == user_id)
}

pub(crate) fn one(world: &mut World, input: &Input) -> Outcome {
    let id = input.require_param("mailboxId")?;
    let mailbox = world
        .mailboxes
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| ApiError::not_found("Mailbox not found"))?;
    Ok(Done::ok(
        "Mailbox fetched successfully",
        mailbox_json(world, mailbox),
    ))
}

fn owned_mailbox(world: &World, user_id: &str, mailbox_id: &str) -> Result<usize, ApiError> {
    world
        .mailboxes
        .iter()
        .position(|m| m.id == mailbox_id && m.user_id == user_id)
        .ok_or_else(|| ApiError::not_found("Mailbox not found"))
}

pub(crate) fn admin_details(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    let index = owned_mailbox(world, &user_id, input.require_param("mailboxId")?)?;
    let m = &world.mailboxes[index];
    let login_url = match m.provider {
        ServiceProvider::Microsoft => "https://login.microsoftonline.com",
        _ => "https://accounts.google.com",
    };
    Ok(Done::ok(
        "Mailbox admin details fetched successfully",
        json!({
            "mailboxId": m.id,
            "email": format!("{}@{}", m.user_name, m.domain),
            "adminEmail": format!("admin@{}", m.domain),
            // Obviously fake; real admin details carry live credentials.
            "adminPassword": format!("sandbox-{}", &m.id[..6.min(m.id.len())]),
            "loginUrl": login_url,
            "twoFactorEnabled": false,
        }),
    ))
}

pub(crate) fn update_details(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    let action = world.ids.action_id();
    match input.body().get("mailboxData") {
        Some(Value::Object(item)) => {
            apply_update(world, &user_id, item)?;
            Ok(Done::bare("Mailbox details will update shortly").with_action(action))
        }
        Some(Value::Array(items)) if !items.is_empty() => {
            let results: Vec<Value> = items
                .iter()
                .map(|item| {
                    let id = item.get("mailboxId").cloned().unwrap_or(Value::Null);
                    let outcome = match item.as_object() {
                        Some(item) => apply_update(world, &user_id, item),
                        None => Err(ApiError::bad_request("Each item must be an object")),
                    };
                    match outcome {
                        Ok(()) => json!({ "mailboxId": id, "success": true,
                                          "message": "Mailbox details will update shortly" }),
                        Err(err) => json!({ "mailboxId": id, "success": false,
                                            "message": err.message() }),
                    }
                })
                .collect();
            Ok(
                Done::ok("Mailbox details will update shortly", Value::Array(results))
                    .with_action(action),
            )
        }
        _ => Err(ApiError::bad_request(
            "mailboxData must be an object or a non-empty array",
        )),
    }
}

fn apply_update(
    world: &mut World,
    user_id: &str,
    item: &Map<String, Value>,
) -> Result<(), ApiError> {
    let id = item
        .get("mailboxId")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("mailboxId is required"))?;
    let index = owned_mailbox(world, user_id, id)?;
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match item.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(ApiError::unprocessable(format!(
                "{key} must be a non-empty string"
            ))),
        }
    };
    let user_name = text("userName")?.map(|u| u.to_ascii_lowercase());
    if let Some(u) = &user_name {
        if !u
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(ApiError::unprocessable(
                "userName may only contain letters, digits, '.', '_' and '-'",
            ));
        }
        let domain = &world.mailboxes[index].domain;
        let taken = world
            .mailboxes
            .iter()
            .any(|m| &m.domain == domain && &m.user_name == u && m.id != id);
        if taken {
            return Err(ApiError::conflict(format!("{u}@{domain} already exists")));
        }
    }
    let first_name = text("firstName")?;
    let last_name = text("lastName")?;
    let picture = text("profilePicture")?;
    if picture.as_deref().is_some_and(|p| !p.starts_with("http")) {
        return Err(ApiError::unprocessable("profilePicture must be a URL"));
    }
    let remove_picture = item
        .get("removeProfilePicture")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // CMR answers at once and applies the change a little later ("will update shortly"),
    // then sends `mailbox.updated`: a change asked while one waits joins it.
    let m = &mut world.mailboxes[index];
    let waiting = m.pending_update.take();
    let (earlier_user, earlier_first, earlier_last, earlier_picture) = match waiting {
        Some(c) => (c.user_name, c.first_name, c.last_name, c.picture),
        None => (None, None, None, None),
    };
    let picture = if remove_picture {
        Some(None)
    } else {
        picture.map(Some).or(earlier_picture)
    };
    m.pending_update = Some(MailboxChange {
        since: Instant::now(),
        user_name: user_name.or(earlier_user),
        first_name: first_name.or(earlier_first),
        last_name: last_name.or(earlier_last),
        picture,
    });
    Ok(())
}

pub(crate) fn remove(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    let index = owned_mailbox(world, &user_id, input.require_body_str("mailboxId")?)?;
    let subscription_id = world.mailboxes[index].subscription_id.clone();
    let sub_index = subscription_id
        .as_ref()
        .and_then(|id| world.subscriptions.iter().position(|s| &s.id == id));
    if let Some(s) = sub_index.map(|i| &world.subscriptions[i]) {
        let live = matches!(
            s.status,
            SubscriptionStatus::Active | SubscriptionStatus::Renewing
        );
        if live && s.period_end - OffsetDateTime::now_utc() < REMOVAL_CUTOFF {
            return Err(ApiError::unprocessable(
                "Mailboxes can only be removed earlier than 24 hours before the subscription expires",
            ));
        }
    }
    world.mailboxes.remove(index);
    // Removing a workspace's last mailbox deletes the workspace.
    if let (Some(i), Some(id)) = (sub_index, subscription_id) {
        let empty = !world
            .mailboxes
            .iter()
            .any(|m| m.subscription_id.as_deref() == Some(id.as_str()));
        if empty {
            world.subscriptions[i].status = SubscriptionStatus::Cancelled;
        }
    }
    Ok(Done::bare("Mailbox will be removed shortly"))
}
