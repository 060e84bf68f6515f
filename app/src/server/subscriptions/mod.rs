//! Subscriptions: the partner-wide list (from the partner index, with status tabs, search, the
//! "lapsing soon" view and a CSV), auto-renew on or off (one or many), and cancellation. Each
//! change is one audited CMR call, and the index is updated from CMR's answer. Renewing (paid)
//! is in `renew`.

mod renew;

pub use renew::{quote as renewal_quote, renew};

use super::audit::{Change, Target};
use super::errors::internal;
use super::index::store;
use super::mutation::{audited, Attempt};
use super::AppState;
use crate::error::AppError;
use crate::model::money::Amount;
use crate::model::subscription::{
    AutoRenewOutcome, SubscriptionFilter, SubscriptionList, SubscriptionRow, SubscriptionTab,
    LAPSING_DAYS, SUBSCRIPTIONS_PER_PAGE,
};
use crate::model::{Role, StaffView};
use cmr::types::{CancelTarget, Money};
use sqlx::PgPool;

/// Rows an export holds at most.
pub const EXPORT_LIMIT: u32 = 50_000;
/// Subscriptions one bulk change may hold.
pub const MAX_BULK: usize = 100;

/// The rows a tab shows (`$1`: CMR status or '', `$2`: lapsing, `$3`: search pattern).
const MATCHING: &str = "FROM index_subscriptions s
    LEFT JOIN index_customers c ON c.id = s.customer_id
    WHERE s.gone_at IS NULL
      AND ($1 = '' OR s.status = $1)
      AND (NOT $2 OR ((s.status = 'PAST_DUE' OR (NOT s.auto_renew AND s.status = 'ACTIVE'))
                      AND s.period_end <= (now() AT TIME ZONE 'utc')::date + $5::int))
      AND ($3 = '%%' OR s.domain LIKE $3 OR s.customer_id ILIKE $4
           OR lower(coalesce(c.name, '') || ' ' || coalesce(c.email, '')) LIKE $3)";

type Raw = (
    String,
    String,
    Option<String>,
    String,
    String,
    Option<time::Date>,
    Option<i32>,
    bool,
    i32,
    i64,
);

async fn rows(
    db: &PgPool,
    filter: &SubscriptionFilter,
    per_page: u32,
    currency: &str,
) -> Result<(Vec<SubscriptionRow>, i64), sqlx::Error> {
    let status = filter.tab.status().unwrap_or_default();
    let lapsing = filter.tab == SubscriptionTab::Lapsing;
    let pattern = super::db::contains_pattern(&filter.q);
    let customer_id = super::db::like_escaped(filter.q.trim());
    let offset = i64::from(filter.page.max(1) - 1) * i64::from(per_page);
    let rows: Vec<Raw> = sqlx::query_as(&format!(
        "SELECT s.id, s.customer_id, c.name, s.domain, s.status, s.period_end,
                s.period_end - (now() AT TIME ZONE 'utc')::date, s.auto_renew, s.mailboxes,
                s.price_per_mailbox_cents
         {MATCHING} ORDER BY s.period_end ASC NULLS LAST, s.domain LIMIT $6 OFFSET $7"
    ))
    .bind(status)
    .bind(lapsing)
    .bind(&pattern)
    .bind(&customer_id)
    .bind(LAPSING_DAYS)
    .bind(i64::from(per_page))
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) {MATCHING}"))
        .bind(status)
        .bind(lapsing)
        .bind(&pattern)
        .bind(&customer_id)
        .bind(LAPSING_DAYS)
        .fetch_one(db)
        .await?;
    let rows = rows
        .into_iter()
        .map(
            |(id, customer_id, customer, domain, status, end, left, auto_renew, n, price)| {
                SubscriptionRow {
                    customer: customer
                        .filter(|c| !c.trim().is_empty())
                        .unwrap_or_else(|| customer_id.clone()),
                    id,
                    customer_id,
                    domain,
                    status,
                    period_end: end.map(|d| d.to_string()),
                    days_left: left,
                    auto_renew,
                    mailboxes: n,
                    price_per_mailbox: Amount::new(Money::from_cents(price), currency),
                }
            },
        )
        .collect();
    Ok((rows, total))
}

/// How many subscriptions the "lapsing soon" view holds (for the home page).
pub async fn lapsing_count(db: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT count(*) {MATCHING}"))
        .bind("")
        .bind(true)
        .bind("%%")
        .bind("")
        .bind(LAPSING_DAYS)
        .fetch_one(db)
        .await
}

fn checked(mut filter: SubscriptionFilter) -> Result<SubscriptionFilter, AppError> {
    filter.q = filter.q.trim().to_string();
    if filter.q.chars().count() > 100 {
        return Err(AppError::invalid("q", "Search for at most 100 characters."));
    }
    filter.page = filter.page.clamp(1, 100_000);
    Ok(filter)
}

/// CMR states subscription prices without a currency: the wallet's is the partner's.
const CURRENCY: &str = "USD";

#[tracing::instrument(name = "subscription.list", skip_all)]
pub async fn list(
    state: &AppState,
    staff: &StaffView,
    filter: SubscriptionFilter,
) -> Result<SubscriptionList, AppError> {
    let filter = checked(filter)?;
    let db_error = |e| internal("subscription list", e);
    let (rows, total) = rows(&state.db, &filter, SUBSCRIPTIONS_PER_PAGE, CURRENCY)
        .await
        .map_err(db_error)?;
    let mut counts = Vec::new();
    for tab in SubscriptionTab::ALL {
        let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) {MATCHING}"))
            .bind(tab.status().unwrap_or_default())
            .bind(tab == SubscriptionTab::Lapsing)
            .bind("%%")
            .bind("")
            .bind(LAPSING_DAYS)
            .fetch_one(&state.db)
            .await
            .map_err(db_error)?;
        counts.push((tab, count));
    }
    let indexed_at = store::last_full_pass(&state.db).await.map_err(db_error)?;
    let pages = u64::try_from(total.max(0))
        .unwrap_or(0)
        .div_ceil(u64::from(SUBSCRIPTIONS_PER_PAGE));
    Ok(SubscriptionList {
        rows,
        total,
        page: filter.page,
        total_pages: u32::try_from(pages).unwrap_or(u32::MAX).max(1),
        counts,
        indexed_at,
        can_edit: staff.role.allows(Role::Editor),
        can_cancel: staff.role.allows(Role::Admin),
    })
}

/// The list with its tab and search (every page) as CSV.
pub async fn export_csv(state: &AppState, filter: SubscriptionFilter) -> Result<String, AppError> {
    let filter = SubscriptionFilter {
        page: 1,
        ..checked(filter)?
    };
    let (rows, _) = rows(&state.db, &filter, EXPORT_LIMIT, CURRENCY)
        .await
        .map_err(|e| internal("subscription export", e))?;
    Ok(super::csv::document(
        [
            "subscription_id",
            "customer_id",
            "customer",
            "domain",
            "status",
            "period_end",
            "days_left",
            "auto_renew",
            "mailboxes",
            "price_per_mailbox",
            "currency",
        ],
        rows.into_iter().map(|r| {
            [
                r.id,
                r.customer_id,
                r.customer,
                r.domain,
                r.status,
                r.period_end.unwrap_or_default(),
                r.days_left.map(|d| d.to_string()).unwrap_or_default(),
                r.auto_renew.to_string(),
                r.mailboxes.to_string(),
                r.price_per_mailbox.value.to_string(),
                r.price_per_mailbox.currency,
            ]
        }),
    ))
}

/// The index's view of one subscription: (customer, domain, status, auto-renew).
async fn indexed(
    db: &PgPool,
    id: &str,
) -> Result<Option<(String, String, String, bool)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT customer_id, domain, status, auto_renew FROM index_subscriptions
          WHERE id = $1 AND gone_at IS NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

fn ids(input: &[String]) -> Result<Vec<String>, AppError> {
    let mut ids: Vec<String> = input.iter().map(|s| s.trim().to_string()).collect();
    ids.retain(|s| !s.is_empty());
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(AppError::invalid(
            "ids",
            "Choose at least one subscription.",
        ));
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::invalid(
            "ids",
            format!("Change at most {MAX_BULK} subscriptions at once."),
        ));
    }
    if ids
        .iter()
        .any(|id| id.len() > 100 || !id.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(AppError::invalid("ids", "That is not a subscription id."));
    }
    Ok(ids)
}

/// Turns auto-renew on or off for each subscription: one audited CMR call each (CMR changes
/// one per call), each result reported; the index follows CMR's answer.
#[tracing::instrument(name = "subscription.auto_renew", skip_all)]
pub async fn set_auto_renew(
    state: &AppState,
    staff: &StaffView,
    ids: &[String],
    on: bool,
) -> Result<AutoRenewOutcome, AppError> {
    let ids = self::ids(ids)?;
    let mut outcome = AutoRenewOutcome {
        changed: Vec::new(),
        failed: Vec::new(),
    };
    for id in ids {
        let before = indexed(&state.db, &id)
            .await
            .map_err(|e| internal("subscription", e))?;
        let Some((_, _, status, was_on)) = before else {
            outcome
                .failed
                .push((id, "It is not in the partner index.".into()));
            continue;
        };
        if matches!(status.as_str(), "CANCELLED" | "EXPIRED") {
            outcome
                .failed
                .push((id, format!("It is {status}: nothing renews any more.")));
            continue;
        }
        let attempt = Attempt {
            staff,
            action: "subscription.auto_renew",
            target: Target::Subscription(&id),
            changes: vec![Change::new("auto_renew", was_on, on)],
        };
        let result = state.cmr.set_subscription_auto_renew(&id, on).await;
        match audited(state, attempt, result).await {
            Ok(_) => {
                let saved = sqlx::query(
                    "UPDATE index_subscriptions SET auto_renew = $2, seen_at = now(),
                            seen_by = 'live' WHERE id = $1",
                )
                .bind(&id)
                .bind(on)
                .execute(&state.db)
                .await;
                if let Err(err) = saved {
                    tracing::warn!(error = %err, "auto-renew could not be noted in the index");
                }
                outcome.changed.push(id);
            }
            Err(err) => outcome.failed.push((id, err.to_string())),
        }
    }
    Ok(outcome)
}

/// Cancels a subscription for good (admins): the staff member types its domain to confirm, as
/// CMR deletes the workspace and its mailboxes at once.
#[tracing::instrument(name = "subscription.cancel", skip_all)]
pub async fn cancel(
    state: &AppState,
    staff: &StaffView,
    id: &str,
    typed_domain: &str,
) -> Result<(), AppError> {
    let Some((_, domain, status, _)) = indexed(&state.db, id.trim())
        .await
        .map_err(|e| internal("subscription", e))?
    else {
        return Err(AppError::NotFound);
    };
    if !typed_domain.trim().eq_ignore_ascii_case(&domain) {
        return Err(AppError::invalid(
            "confirm_domain",
            format!("Type {domain} to confirm."),
        ));
    }
    if matches!(status.as_str(), "CANCELLED" | "EXPIRED") {
        return Err(AppError::Rejected(format!(
            "This subscription is {status} already."
        )));
    }
    let attempt = Attempt {
        staff,
        action: "subscription.cancel",
        target: Target::Subscription(id),
        changes: vec![Change::new("status", status.as_str(), "CANCELLED")],
    };
    let result = state
        .cmr
        .cancel_subscription(&CancelTarget::Subscription(id.to_string()))
        .await;
    audited(state, attempt, result).await?;
    let saved = sqlx::query(
        "UPDATE index_subscriptions SET status = 'CANCELLED', auto_renew = false,
                seen_at = now(), seen_by = 'live' WHERE id = $1",
    )
    .bind(id)
    .execute(&state.db)
    .await;
    if let Err(err) = saved {
        tracing::warn!(error = %err, "a cancellation could not be noted in the index");
    }
    Ok(())
}
