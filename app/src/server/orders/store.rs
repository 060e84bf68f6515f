//! The `orders` and `order_events` tables (see their migration).

use crate::model::money::Amount;
use crate::model::order::{
    CheckedOrder, OrderEvent, OrderFilter, OrderKind, OrderRow, OrderState, OrderTab,
};
use cmr::types::Money;
use sqlx::types::Json;
use sqlx::{FromRow, PgPool};
use time::OffsetDateTime;

pub const PAGE_SIZE: u32 = 25;

#[derive(FromRow)]
pub struct Record {
    pub id: i64,
    pub idempotency_key: String,
    pub customer_id: String,
    pub customer_label: String,
    pub request: Json<CheckedOrder>,
    pub summary: String,
    pub total_cents: Option<i64>,
    pub currency: String,
    pub price_stated: bool,
    pub state: String,
    pub cmr_order_id: String,
    pub action_id: Option<String>,
    pub prepared_by: Option<i64>,
    pub confirmed_by: Option<i64>,
    pub approved_by: Option<i64>,
    pub note: Option<String>,
    pub checks: i32,
    pub created_at: OffsetDateTime,
    pub prepared_name: Option<String>,
    pub confirmed_name: Option<String>,
    pub approved_name: Option<String>,
}

const SELECT: &str = "SELECT o.id, o.idempotency_key, o.customer_id, o.customer_label, o.request,
        o.summary, o.total_cents, o.currency, o.price_stated, o.state, o.cmr_order_id,
        o.action_id, o.prepared_by, o.confirmed_by, o.approved_by, o.note, o.checks,
        o.created_at, p.display_name AS prepared_name, c.display_name AS confirmed_name,
        a.display_name AS approved_name
   FROM orders o
   LEFT JOIN staff p ON p.id = o.prepared_by
   LEFT JOIN staff c ON c.id = o.confirmed_by
   LEFT JOIN staff a ON a.id = o.approved_by";

impl Record {
    pub fn state(&self) -> OrderState {
        OrderState::parse(&self.state).unwrap_or(OrderState::Unknown)
    }

    pub fn total(&self) -> Option<Amount> {
        self.total_cents
            .map(|c| Amount::new(Money::from_cents(c), self.currency.clone()))
    }

    pub fn kind(&self) -> OrderKind {
        self.request.0.kind
    }

    pub fn row(&self) -> OrderRow {
        OrderRow {
            id: self.id,
            cmr_order_id: Some(self.cmr_order_id.clone()),
            customer_id: self.customer_id.clone(),
            customer: if self.customer_label.is_empty() {
                self.customer_id.clone()
            } else {
                self.customer_label.clone()
            },
            summary: self.summary.clone(),
            domains: self.request.0.domains.clone(),
            total: self.total(),
            state: self.state(),
            created_at: self.created_at.unix_timestamp(),
            prepared_by: self.prepared_name.clone().unwrap_or_default(),
        }
    }
}

/// What a new row holds: an order CMR created, unconfirmed.
pub struct NewRecord<'a> {
    pub key: &'a str,
    pub customer_id: &'a str,
    pub customer_label: &'a str,
    pub order: &'a CheckedOrder,
    pub total: Option<&'a Amount>,
    pub currency: &'a str,
    pub price_stated: bool,
    pub cmr_order_id: &'a str,
    pub action_id: Option<&'a str>,
    pub prepared_by: i64,
    pub note: Option<String>,
}

pub async fn insert(
    db: &PgPool,
    new: NewRecord<'_>,
    now: OffsetDateTime,
) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO orders (idempotency_key, customer_id, customer_label, kind, request, summary,
                             domains, total_cents, currency, price_stated, state, cmr_order_id,
                             action_id, prepared_by, note, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'prepared', $11, $12, $13, $14, $15, $15)
         RETURNING id",
    )
    .bind(new.key)
    .bind(new.customer_id)
    .bind(new.customer_label)
    .bind(new.order.kind.as_str())
    .bind(Json(new.order))
    .bind(new.order.summary())
    .bind(new.order.domains.join(" "))
    .bind(new.total.map(|t| t.value.cents()))
    .bind(new.currency)
    .bind(new.price_stated)
    .bind(new.cmr_order_id)
    .bind(new.action_id)
    .bind(new.prepared_by)
    .bind(&new.note)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    add_event(
        &mut *tx,
        id,
        now,
        "PREPARED",
        "dashboard",
        new.note.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get(db: &PgPool, id: i64) -> Result<Option<Record>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn by_key(db: &PgPool, key: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM orders WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(db)
        .await
}

pub async fn by_cmr_id(db: &PgPool, cmr_order_id: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM orders WHERE cmr_order_id = $1")
        .bind(cmr_order_id)
        .fetch_optional(db)
        .await
}

/// Moves an order from one of `from` to `to` in one statement: `false` when it was not in any
/// of them (another request moved it first).
pub async fn transition(
    db: &PgPool,
    id: i64,
    from: &[OrderState],
    to: OrderState,
    change: Transition<'_>,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let mut tx = db.begin().await?;
    let moved = sqlx::query(
        "UPDATE orders SET state = $3, updated_at = $4,
                confirmed_by = COALESCE($5, confirmed_by),
                approved_by = COALESCE($6, approved_by),
                action_id = COALESCE($7, action_id),
                note = $8,
                checks = CASE WHEN $9 THEN 0 ELSE checks END,
                next_check_at = CASE WHEN $9 THEN $4 ELSE next_check_at END
          WHERE id = $1 AND state = ANY($2)",
    )
    .bind(id)
    .bind(&from)
    .bind(to.as_str())
    .bind(now)
    .bind(change.confirmed_by)
    .bind(change.approved_by)
    .bind(change.action_id)
    .bind(change.note)
    .bind(to.is_followed())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if moved {
        let status = to.as_str().to_ascii_uppercase();
        add_event(&mut *tx, id, now, &status, change.source, change.note).await?;
    }
    tx.commit().await?;
    Ok(moved)
}

/// What a [`transition`] records besides the state.
#[derive(Default)]
pub struct Transition<'a> {
    pub confirmed_by: Option<i64>,
    pub approved_by: Option<i64>,
    pub action_id: Option<&'a str>,
    pub note: Option<&'a str>,
    /// `dashboard`, `cmr` or `webhook`.
    pub source: &'a str,
}

async fn add_event<'e>(
    db: impl sqlx::PgExecutor<'e>,
    id: i64,
    at: OffsetDateTime,
    status: &str,
    source: &str,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO order_events (order_id, at, status, source, detail)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at)
    .bind(status)
    .bind(if source.is_empty() {
        "dashboard"
    } else {
        source
    })
    .bind(detail)
    .execute(db)
    .await?;
    Ok(())
}

/// Notes what a webhook said about an order without changing its state.
pub async fn note_event(
    db: &PgPool,
    id: i64,
    at: OffsetDateTime,
    event: &str,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    add_event(db, id, at, event, "webhook", detail).await?;
    // The next look at the order asks CMR at once.
    sqlx::query("UPDATE orders SET next_check_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn events(db: &PgPool, id: i64) -> Result<Vec<OrderEvent>, sqlx::Error> {
    let rows: Vec<(OffsetDateTime, String, String, Option<String>)> = sqlx::query_as(
        "SELECT at, status, source, detail FROM order_events WHERE order_id = $1 ORDER BY at, id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, status, source, detail)| OrderEvent {
            at: at.unix_timestamp(),
            status,
            source,
            detail,
        })
        .collect())
}

/// Claims the next look at CMR for a followed order: `true` for exactly one caller per
/// backoff interval, across every viewer and instance (`force`: staff asked, at most once per
/// `min_gap`).
pub async fn claim_check(
    db: &PgPool,
    id: i64,
    now: OffsetDateTime,
    force: bool,
    min_gap: time::Duration,
) -> Result<bool, sqlx::Error> {
    let followed: Vec<&str> = [
        OrderState::Sending,
        OrderState::Pending,
        OrderState::Processing,
        OrderState::Unknown,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    // Backoff: 2 s after each of the first checks, doubling to at most a minute.
    let claimed: Option<i64> = sqlx::query_scalar(
        "UPDATE orders SET checks = checks + 1, checked_at = $2,
                next_check_at = $2 + make_interval(secs => LEAST(60, 2 * power(2, LEAST(checks, 5))))
          WHERE id = $1 AND state = ANY($3)
            AND (next_check_at IS NULL OR next_check_at <= $2
                 OR ($4 AND (checked_at IS NULL OR checked_at <= $2 - $5)))
          RETURNING id",
    )
    .bind(id)
    .bind(now)
    .bind(&followed)
    .bind(force)
    .bind(min_gap)
    .fetch_optional(db)
    .await?;
    Ok(claimed.is_some())
}

fn tab_states(tab: OrderTab) -> Option<Vec<&'static str>> {
    tab.states()
        .map(|states| states.into_iter().map(OrderState::as_str).collect())
}

const MATCHES: &str = "($1::text[] IS NULL OR o.state = ANY($1))
    AND ($2 = '' OR o.cmr_order_id ILIKE $2 OR o.customer_id ILIKE $2
         OR o.customer_label ILIKE '%' || $2 || '%' OR o.domains ILIKE '%' || $2 || '%')";

pub async fn list(db: &PgPool, filter: &OrderFilter) -> Result<(Vec<Record>, i64), sqlx::Error> {
    let q = crate::server::db::like_escaped(filter.q.trim());
    let states = tab_states(filter.tab);
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM orders o WHERE {MATCHES}"))
        .bind(&states)
        .bind(&q)
        .fetch_one(db)
        .await?;
    let rows = sqlx::query_as(&format!(
        "{SELECT} WHERE {MATCHES} ORDER BY o.created_at DESC, o.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(&states)
    .bind(&q)
    .bind(i64::from(PAGE_SIZE))
    .bind(i64::from(filter.page.max(1) - 1) * i64::from(PAGE_SIZE))
    .fetch_all(db)
    .await?;
    Ok((rows, total))
}

/// Every order matching the filter's tab and search (for the CSV), newest first.
pub async fn export(
    db: &PgPool,
    filter: &OrderFilter,
    limit: i64,
) -> Result<Vec<Record>, sqlx::Error> {
    let q = crate::server::db::like_escaped(filter.q.trim());
    sqlx::query_as(&format!(
        "{SELECT} WHERE {MATCHES} ORDER BY o.created_at DESC, o.id DESC LIMIT $3"
    ))
    .bind(tab_states(filter.tab))
    .bind(&q)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Orders per state.
pub async fn counts(db: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT state, count(*) FROM orders GROUP BY state")
        .fetch_all(db)
        .await
}

/// Where the mailboxes an order made stand in the partner index: (email, status,
/// subscription).
pub async fn indexed_mailboxes(
    db: &PgPool,
    emails: &[String],
) -> Result<Vec<(String, String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT email, status, subscription_id FROM index_mailboxes
          WHERE email = ANY($1) AND gone_at IS NULL",
    )
    .bind(emails)
    .fetch_all(db)
    .await
}

/// Where the domains an order registered stand in the partner index: (name, status).
pub async fn indexed_domains(
    db: &PgPool,
    names: &[String],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, status FROM index_domains WHERE name = ANY($1) AND gone_at IS NULL",
    )
    .bind(names)
    .fetch_all(db)
    .await
}
