//! Mailboxes: the partner-wide list (from the partner index), a mailbox's page (read live from
//! CMR, never with its credentials), revealing its admin credentials (admins, audited, never
//! logged), renaming it (editors; CMR applies it a little later, so the page says "requested"
//! until it shows) and removing it (admins, typed, CMR's rules checked first).

use super::audit::{self, Actor, Change, Entry, Target};
use super::errors::internal;
use super::index::store;
use super::mutation::{audited, Attempt};
use super::AppState;
use crate::error::AppError;
use crate::model::mailbox::{
    picture_url, Credentials, ItemResult, MailboxBulkUpdate, MailboxDetail, MailboxFilter,
    MailboxList, MailboxRename, MailboxRow, MAILBOXES_PER_PAGE, MAX_BULK,
};
use crate::model::order::username;
use crate::model::{Role, StaffView};
use cmr::types::MailboxUpdate;
use sqlx::PgPool;
use std::collections::BTreeMap;

const RENAME: &str = "mailbox.rename";

fn checked(mut filter: MailboxFilter) -> Result<MailboxFilter, AppError> {
    filter.q = filter.q.trim().to_string();
    filter.status = filter.status.trim().to_uppercase();
    if filter.q.chars().count() > 100 {
        return Err(AppError::invalid("q", "Search for at most 100 characters."));
    }
    if filter.status.len() > 40
        || !filter
            .status
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(AppError::invalid(
            "status",
            "Choose a status from the list.",
        ));
    }
    filter.page = filter.page.clamp(1, 100_000);
    Ok(filter)
}

const MATCHING: &str = "FROM index_mailboxes m
    LEFT JOIN index_customers c ON c.id = m.customer_id
    WHERE m.gone_at IS NULL
      AND ($1 = '' OR m.status = $1)
      AND ($2 = '%%' OR m.email LIKE $2 OR lower(coalesce(m.name, '')) LIKE $2
           OR m.customer_id = $3
           OR lower(coalesce(c.name, '') || ' ' || coalesce(c.email, '')) LIKE $2)";

type Raw = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    bool,
);

fn row(raw: Raw) -> MailboxRow {
    let (id, email, name, domain, customer_id, customer, status, on_warmup) = raw;
    let customer_id = customer_id.unwrap_or_default();
    MailboxRow {
        customer: customer
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| customer_id.clone()),
        id,
        email,
        name: name.unwrap_or_default(),
        domain,
        customer_id,
        status,
        on_warmup,
    }
}

async fn rows(db: &PgPool, filter: &MailboxFilter, per_page: u32) -> Result<Vec<Raw>, sqlx::Error> {
    let offset = i64::from(filter.page.max(1) - 1) * i64::from(per_page);
    sqlx::query_as(&format!(
        "SELECT m.id, m.email, m.name, m.domain, m.customer_id, c.name, m.status, m.on_warmup
         {MATCHING} ORDER BY m.email LIMIT $4 OFFSET $5"
    ))
    .bind(&filter.status)
    .bind(super::db::contains_pattern(&filter.q))
    .bind(&filter.q)
    .bind(i64::from(per_page))
    .bind(offset)
    .fetch_all(db)
    .await
}

/// Rows an export holds at most.
pub const EXPORT_LIMIT: u32 = 100_000;

/// The filtered list (every page) as CSV.
pub async fn export_csv(state: &AppState, filter: MailboxFilter) -> Result<String, AppError> {
    let filter = MailboxFilter {
        page: 1,
        ..checked(filter)?
    };
    let rows = rows(&state.db, &filter, EXPORT_LIMIT)
        .await
        .map_err(|e| internal("mailbox export", e))?;
    Ok(super::csv::document(
        [
            "mailbox_id",
            "email",
            "name",
            "domain",
            "customer_id",
            "customer",
            "status",
            "warmup",
        ],
        rows.into_iter().map(row).map(|m| {
            [
                m.id,
                m.email,
                m.name,
                m.domain,
                m.customer_id,
                m.customer,
                m.status,
                m.on_warmup.to_string(),
            ]
        }),
    ))
}

#[tracing::instrument(name = "mailbox.list", skip_all)]
pub async fn list(
    state: &AppState,
    staff: &StaffView,
    filter: MailboxFilter,
) -> Result<MailboxList, AppError> {
    let filter = checked(filter)?;
    let db_error = |e| internal("mailbox list", e);
    let pattern = super::db::contains_pattern(&filter.q);
    let rows = rows(&state.db, &filter, MAILBOXES_PER_PAGE)
        .await
        .map_err(db_error)?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) {MATCHING}"))
        .bind(&filter.status)
        .bind(&pattern)
        .bind(&filter.q)
        .fetch_one(&state.db)
        .await
        .map_err(db_error)?;
    let indexed_at = store::last_full_pass(&state.db).await.map_err(db_error)?;
    let pages = u64::try_from(total.max(0))
        .unwrap_or(0)
        .div_ceil(u64::from(MAILBOXES_PER_PAGE));
    Ok(MailboxList {
        rows: rows.into_iter().map(row).collect(),
        total,
        page: filter.page,
        total_pages: u32::try_from(pages).unwrap_or(u32::MAX).max(1),
        indexed_at,
        can_edit: staff.role.allows(Role::Editor),
    })
}

/// The customer a mailbox belongs to, from the index (CMR addresses mailboxes through it).
async fn owner(db: &PgPool, id: &str) -> Result<String, AppError> {
    let owner: Option<Option<String>> = sqlx::query_scalar(
        "SELECT customer_id FROM index_mailboxes WHERE id = $1 AND gone_at IS NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await
    .map_err(|e| internal("mailbox owner", e))?;
    owner.flatten().ok_or(AppError::NotFound)
}

/// The mailbox as CMR shows it now, without its credentials.
#[tracing::instrument(name = "mailbox.detail", skip_all)]
pub async fn detail(
    state: &AppState,
    staff: &StaffView,
    id: &str,
) -> Result<MailboxDetail, AppError> {
    let customer_id = owner(&state.db, id).await?;
    let m = state.cmr.mailbox(id).await?.data;
    let db_error = |e| internal("mailbox detail", e);
    let customer = store::customer_label(&state.db, &customer_id)
        .await
        .map_err(db_error)?
        .unwrap_or_else(|| customer_id.clone());
    let name = format!("{} {}", m.first_name, m.last_name)
        .trim()
        .to_string();
    let asked = crate::server::db::audit::last_set(&state.db, "mailbox", id, RENAME, "name")
        .await
        .map_err(db_error)?;
    let on_domain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM index_mailboxes WHERE domain = lower($1) AND gone_at IS NULL",
    )
    .bind(&m.domain)
    .fetch_one(&state.db)
    .await
    .map_err(db_error)?;
    Ok(MailboxDetail {
        row: MailboxRow {
            id: m.mailbox_id.clone(),
            email: m.email.clone(),
            name: name.clone(),
            domain: m.domain.clone(),
            customer_id,
            customer,
            status: m.status.as_str().to_string(),
            on_warmup: m
                .extra
                .get("onWarmup")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        },
        username: m.user_name.clone(),
        first_name: m.first_name.clone(),
        last_name: m.last_name.clone(),
        profile_picture: m.profile_picture.clone(),
        subscription_id: m.subscription_id.clone(),
        requested: asked.filter(|(asked, _)| asked != &name),
        mailboxes_on_domain: on_domain,
        fetched_at: state.clock.now().unix_timestamp(),
        can_edit: staff.role.allows(Role::Editor),
        can_remove: staff.role.allows(Role::Admin),
        can_reveal: staff.role.allows(Role::Admin),
    })
}

/// The mailbox's admin credentials, for an admin who asked: audited (which fields, never
/// their values), never logged, never kept.
#[tracing::instrument(name = "mailbox.reveal", skip_all)]
pub async fn reveal(
    state: &AppState,
    staff: &StaffView,
    id: &str,
) -> Result<Credentials, AppError> {
    let customer_id = owner(&state.db, id).await?;
    let details = state
        .cmr
        .mailbox_admin_details(&customer_id, id)
        .await?
        .data;
    let fields: Vec<(String, String)> = details
        .fields
        .iter()
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), value)
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    let entry = Entry::ok(
        Actor::Staff(staff),
        "mailbox.reveal_credentials",
        Some(Target::Mailbox(id)),
    )
    .with_changes(vec![Change::new(
        "shown_fields",
        serde_json::Value::Null,
        names.join(", "),
    )]);
    // No audit row, no credentials: a reveal nobody can trace is not allowed.
    audit::record(state, entry).await?;
    Ok(Credentials { fields })
}

/// Renames a mailbox (names and the part before the @): one CMR call, audited; CMR applies it
/// shortly after, and the page says "requested" until it shows.
#[tracing::instrument(name = "mailbox.rename", skip_all)]
pub async fn rename(
    state: &AppState,
    staff: &StaffView,
    change: MailboxRename,
) -> Result<(), AppError> {
    let mut errors = std::collections::BTreeMap::new();
    let new_username = match username(&change.username) {
        Ok(u) => Some(u),
        Err(why) => {
            errors.insert("username".to_string(), why.to_string());
            None
        }
    };
    for (field, value, what) in [
        ("first_name", &change.first_name, "first name"),
        ("last_name", &change.last_name, "last name"),
    ] {
        let value = value.trim();
        if value.is_empty() {
            errors.insert(field.to_string(), format!("Enter the {what}."));
        } else if value.chars().count() > 60 || value.chars().any(char::is_control) {
            errors.insert(
                field.to_string(),
                "At most 60 characters, on one line.".into(),
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let customer_id = owner(&state.db, &change.id).await?;
    let now = state.cmr.mailbox(&change.id).await?.data;
    let (first, last) = (change.first_name.trim(), change.last_name.trim());
    let new_username = new_username.unwrap_or_default();
    let update = MailboxUpdate {
        mailbox_id: change.id.clone(),
        user_name: (new_username != now.user_name.to_ascii_lowercase())
            .then(|| new_username.clone()),
        first_name: (first != now.first_name).then(|| first.to_string()),
        last_name: (last != now.last_name).then(|| last.to_string()),
        ..MailboxUpdate::default()
    };
    if update.user_name.is_none() && update.first_name.is_none() && update.last_name.is_none() {
        return Err(AppError::Rejected("Nothing changed.".into()));
    }
    let before = format!("{} {}", now.first_name, now.last_name)
        .trim()
        .to_string();
    let after = format!("{first} {last}");
    let mut changes = vec![Change::new("name", before, after)];
    if let Some(u) = &update.user_name {
        changes.push(Change::new("username", now.user_name.clone(), u.clone()));
    }
    let attempt = Attempt {
        staff,
        action: RENAME,
        target: Target::Mailbox(&change.id),
        changes,
    };
    let result = state
        .cmr
        .update_mailbox_details(&customer_id, &[update])
        .await;
    let reply = audited(state, attempt, result).await?;
    if let Some(failed) = reply
        .data
        .iter()
        .find(|r| !r.success && !r.message.is_empty())
    {
        return Err(AppError::Rejected(failed.message.clone()));
    }
    Ok(())
}

/// Removes a mailbox for good (admins): the address typed to confirm, and CMR's rule checked
/// first (not within 24 hours of its subscription's period end).
#[tracing::instrument(name = "mailbox.remove", skip_all)]
pub async fn remove(
    state: &AppState,
    staff: &StaffView,
    id: &str,
    typed: &str,
) -> Result<(), AppError> {
    let customer_id = owner(&state.db, id).await?;
    let m = state.cmr.mailbox(id).await?.data;
    if !typed.trim().eq_ignore_ascii_case(&m.email) {
        return Err(AppError::invalid(
            "confirm_email",
            format!("Type {} to confirm.", m.email),
        ));
    }
    let ends: Option<(String, Option<time::Date>)> = sqlx::query_as(
        "SELECT status, period_end FROM index_subscriptions WHERE id = $1 AND gone_at IS NULL",
    )
    .bind(m.subscription_id.as_deref().unwrap_or_default())
    .fetch_optional(&state.db)
    .await
    .map_err(|e| internal("mailbox subscription", e))?;
    if let Some((status, Some(end))) = ends {
        let live = matches!(status.as_str(), "ACTIVE" | "RENEWING");
        let today = state.clock.now().date();
        if live && end <= today + time::Duration::days(1) {
            return Err(AppError::Rejected(format!(
                "CMR removes no mailbox within 24 hours of its subscription's period end \
                 ({end}). Try again after the renewal."
            )));
        }
    }
    let attempt = Attempt {
        staff,
        action: "mailbox.remove",
        target: Target::Mailbox(id),
        changes: vec![Change::new(
            "email",
            m.email.clone(),
            serde_json::Value::Null,
        )],
    };
    let result = state.cmr.remove_mailbox(&customer_id, id).await;
    audited(state, attempt, result).await?;
    let gone = sqlx::query("UPDATE index_mailboxes SET gone_at = now() WHERE id = $1")
        .bind(id)
        .execute(&state.db)
        .await;
    if let Err(err) = gone {
        tracing::warn!(error = %err, "a removed mailbox could not be marked in the index");
    }
    Ok(())
}

/// Updates several mailboxes at once (editors): the same names or picture for each ticked one,
/// blank fields unchanged. CMR takes one customer's mailboxes per call (as an array, with a
/// result per item), so there is one audited call per customer and a result per mailbox.
#[tracing::instrument(name = "mailbox.update_many", skip_all)]
pub async fn update_many(
    state: &AppState,
    staff: &StaffView,
    request: MailboxBulkUpdate,
) -> Result<Vec<ItemResult>, AppError> {
    let mut ids: Vec<String> = request.ids.iter().map(|i| i.trim().to_string()).collect();
    ids.retain(|i| !i.is_empty());
    ids.sort();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(AppError::invalid(
            "ids",
            format!("Tick between 1 and {MAX_BULK} mailboxes."),
        ));
    }
    let mut errors = BTreeMap::new();
    let text = |field: &str, value: &str, errors: &mut BTreeMap<String, String>| {
        let value = value.trim();
        if value.chars().count() > 60 || value.chars().any(char::is_control) {
            errors.insert(
                field.to_string(),
                "At most 60 characters, on one line.".to_string(),
            );
        }
        (!value.is_empty()).then(|| value.to_string())
    };
    let first = text("first_name", &request.first_name, &mut errors);
    let last = text("last_name", &request.last_name, &mut errors);
    let picture = picture_url(&request.profile_picture).unwrap_or_else(|why| {
        errors.insert("profile_picture".into(), why.into());
        None
    });
    if errors.is_empty() && first.is_none() && last.is_none() && picture.is_none() {
        errors.insert(
            "first_name".into(),
            "Fill in at least one field to change.".into(),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let known: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, email, customer_id FROM index_mailboxes WHERE id = ANY($1) AND gone_at IS NULL",
    )
    .bind(&ids)
    .fetch_all(&state.db)
    .await
    .map_err(|e| internal("mailbox update", e))?;
    let mut results = Vec::new();
    let mut by_owner: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for id in &ids {
        match known.iter().find(|(k, _, _)| k == id) {
            Some((_, email, Some(owner))) => by_owner
                .entry(owner.clone())
                .or_default()
                .push((id.clone(), email.clone())),
            _ => results.push(ItemResult {
                id: id.clone(),
                email: String::new(),
                refused: Some("It is not in the partner index.".into()),
            }),
        }
    }
    for (owner, items) in by_owner {
        let updates: Vec<MailboxUpdate> = items
            .iter()
            .map(|(id, _)| MailboxUpdate {
                mailbox_id: id.clone(),
                first_name: first.clone(),
                last_name: last.clone(),
                profile_picture: picture.clone(),
                ..MailboxUpdate::default()
            })
            .collect();
        let attempts = items
            .iter()
            .map(|(id, _)| {
                let mut changes = Vec::new();
                for (field, value) in [
                    ("first_name", &first),
                    ("last_name", &last),
                    ("profile_picture", &picture),
                ] {
                    if let Some(v) = value {
                        changes.push(Change::new(field, serde_json::Value::Null, v.clone()));
                    }
                }
                Attempt {
                    staff,
                    action: "mailbox.update",
                    target: Target::Mailbox(id),
                    changes,
                }
            })
            .collect();
        let result = state.cmr.update_mailbox_details(&owner, &updates).await;
        match super::mutation::audited_each(state, attempts, result).await {
            Ok(reply) => {
                for (id, email) in items {
                    let refused = reply
                        .data
                        .iter()
                        .find(|r| r.mailbox_id == id && !r.success)
                        .map(|r| {
                            if r.message.is_empty() {
                                "CMR refused it.".to_string()
                            } else {
                                r.message.clone()
                            }
                        });
                    results.push(ItemResult { id, email, refused });
                }
            }
            Err(err) => {
                let why = err.to_string();
                results.extend(items.into_iter().map(|(id, email)| ItemResult {
                    id,
                    email,
                    refused: Some(why.clone()),
                }));
            }
        }
    }
    Ok(results)
}
