//! The spend log (see its migration): what the dashboard spent from the wallet, and its sums.

use crate::model::money::Amount;
use crate::model::spend::{SpendLine, SpendSummary};
use cmr::types::Money;
use sqlx::PgPool;
use time::OffsetDateTime;

/// One charged (or possibly charged) item.
pub struct Spent<'a> {
    pub staff_id: i64,
    pub action: &'a str,
    pub customer_id: &'a str,
    pub target: &'a str,
    pub amount: &'a Amount,
    /// False when CMR's answer was lost.
    pub confirmed: bool,
}

pub async fn record(
    db: &PgPool,
    at: OffsetDateTime,
    spent: &[Spent<'_>],
) -> Result<(), sqlx::Error> {
    for s in spent {
        sqlx::query(
            "INSERT INTO spend_log (at, staff_id, action, customer_id, target, amount_cents,
                                    currency, outcome)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(at)
        .bind(s.staff_id)
        .bind(s.action)
        .bind(s.customer_id)
        .bind(s.target)
        .bind(s.amount.value.cents())
        .bind(&s.amount.currency)
        .bind(if s.confirmed { "charged" } else { "unknown" })
        .execute(db)
        .await?;
    }
    Ok(())
}

/// Marks what `action` spent on `target` as charged once CMR showed it went through (its
/// answer had been lost).
pub async fn confirm(db: &PgPool, action: &str, target: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE spend_log SET outcome = 'charged'
          WHERE action = $1 AND target = $2 AND outcome = 'unknown'",
    )
    .bind(action)
    .bind(target)
    .execute(db)
    .await?;
    Ok(())
}

type Sum = (String, String, i64, i64, i64);

fn lines(rows: Vec<Sum>) -> Vec<SpendLine> {
    rows.into_iter()
        .map(|(key, currency, charged, unknown, items)| SpendLine {
            key,
            charged: Amount::new(Money::from_cents(charged), currency.clone()),
            unknown: Amount::new(Money::from_cents(unknown), currency),
            items,
        })
        .collect()
}

/// Sums per month (newest first, the last 12) and per customer (the 20 who cost most), with the
/// customer's name from the index when known.
pub async fn summary(db: &PgPool) -> Result<SpendSummary, sqlx::Error> {
    let sums = "sum(amount_cents) FILTER (WHERE outcome = 'charged')::bigint,
                coalesce(sum(amount_cents) FILTER (WHERE outcome = 'unknown'), 0)::bigint,
                count(*)";
    let months: Vec<(String, String, Option<i64>, i64, i64)> = sqlx::query_as(&format!(
        "SELECT to_char(at AT TIME ZONE 'utc', 'YYYY-MM'), currency, {sums}
           FROM spend_log GROUP BY 1, 2 ORDER BY 1 DESC, 2 LIMIT 12"
    ))
    .fetch_all(db)
    .await?;
    let customers: Vec<(String, String, Option<i64>, i64, i64)> = sqlx::query_as(&format!(
        "SELECT coalesce(nullif(trim(c.name), ''), s.customer_id), s.currency,
                {sums}
           FROM spend_log s LEFT JOIN index_customers c ON c.id = s.customer_id
          GROUP BY s.customer_id, c.name, s.currency
          ORDER BY 3 DESC NULLS LAST LIMIT 20"
    ))
    .fetch_all(db)
    .await?;
    let fill = |rows: Vec<(String, String, Option<i64>, i64, i64)>| {
        lines(
            rows.into_iter()
                .map(|(k, c, charged, unknown, n)| (k, c, charged.unwrap_or(0), unknown, n))
                .collect(),
        )
    };
    Ok(SpendSummary {
        months: fill(months),
        customers: fill(customers),
    })
}

/// Every row, oldest first, as CSV lines: at, action, customer, target, amount, currency,
/// outcome.
pub async fn all(db: &PgPool) -> Result<Vec<[String; 7]>, sqlx::Error> {
    let rows: Vec<(OffsetDateTime, String, String, String, i64, String, String)> = sqlx::query_as(
        "SELECT at, action, customer_id, target, amount_cents, currency, outcome
           FROM spend_log ORDER BY at, id LIMIT 100000",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, action, customer, target, cents, currency, outcome)| {
            [
                at.to_offset(time::UtcOffset::UTC).to_string(),
                action,
                customer,
                target,
                Money::from_cents(cents).to_string(),
                currency,
                outcome,
            ]
        })
        .collect())
}
