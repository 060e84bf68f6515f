//! The index's tables (`migrations/20261126000004_partner_index.sql`): writing what CMR showed,
//! marking what it no longer shows, and the partner-wide questions CMR cannot answer.
//!
//! Writes take whole pages at once (one statement per page through `UNNEST`), so a sync step
//! costs one round trip whatever the page size.

use crate::model::domain::{DomainFilter, DomainRow, DomainSort, Due, Radar};
use crate::model::index::{CustomerHit, DomainHit, MailboxHit, SearchHits};
use cmr::types::{Domain, Mailbox, Subscription, User};
use sqlx::PgPool;

/// Where a row's latest copy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenBy {
    Sync,
    Live,
    Webhook,
}

impl SeenBy {
    fn as_str(self) -> &'static str {
        match self {
            SeenBy::Sync => "sync",
            SeenBy::Live => "live",
            SeenBy::Webhook => "webhook",
        }
    }
}

/// CMR's timestamp (`2026-11-18T00:00:00Z`) as the day it falls on (`2026-11-18`), when it
/// reads as one; anything else is kept out of the date column rather than failing the page.
pub(crate) fn day(timestamp: Option<&str>) -> Option<String> {
    let day = timestamp?.get(..10)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day, format).ok().map(|d| d.to_string())
}

fn provider(p: &Option<cmr::types::ServiceProvider>) -> Option<String> {
    p.as_ref()
        .map(|p| p.as_str().to_string())
        .filter(|p| !p.is_empty())
}

/// Customers as CMR listed or showed them (rows without an id are skipped).
pub async fn save_customers(db: &PgPool, users: &[User], by: SeenBy) -> Result<(), sqlx::Error> {
    let users: Vec<&User> = users.iter().filter(|u| !u.id.is_empty()).collect();
    if users.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&User) -> String| users.iter().map(|u| f(u)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO index_customers (id, email, name, company, country, seen_at, seen_by)
         SELECT id, email, name, company, country, now(), $6
           FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                AS t(id, email, name, company, country)
         ON CONFLICT (id) DO UPDATE SET
             email = EXCLUDED.email, name = EXCLUDED.name, company = EXCLUDED.company,
             country = EXCLUDED.country, seen_at = EXCLUDED.seen_at,
             seen_by = EXCLUDED.seen_by, gone_at = NULL",
    )
    .bind(column(|u| u.id.clone()))
    .bind(column(|u| u.profile.email.clone()))
    .bind(column(|u| u.profile.full_name()))
    .bind(column(|u| u.profile.company.clone()))
    .bind(column(|u| u.profile.country.clone()))
    .bind(by.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// One customer's domains, as CMR listed them all: those it no longer lists are marked gone.
pub async fn save_customer_domains(
    db: &PgPool,
    customer_id: &str,
    domains: &[Domain],
    by: SeenBy,
) -> Result<(), sqlx::Error> {
    let domains: Vec<&Domain> = domains
        .iter()
        .filter(|d| !d.domain_name.trim().is_empty())
        .collect();
    let names: Vec<String> = domains
        .iter()
        .map(|d| d.domain_name.trim().to_lowercase())
        .collect();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO index_domains
             (name, domain_id, customer_id, status, expires_on, auto_renew, provider,
              seen_at, seen_by)
         SELECT name, NULLIF(domain_id, ''), $3, status, expires_on::date, auto_renew, provider,
                now(), $8
           FROM UNNEST($1::text[], $2::text[], $4::text[], $5::text[], $6::bool[], $7::text[])
                AS t(name, domain_id, status, expires_on, auto_renew, provider)
         ON CONFLICT (name) DO UPDATE SET
             domain_id = EXCLUDED.domain_id, customer_id = EXCLUDED.customer_id,
             status = EXCLUDED.status, expires_on = EXCLUDED.expires_on,
             auto_renew = EXCLUDED.auto_renew, provider = EXCLUDED.provider,
             seen_at = EXCLUDED.seen_at, seen_by = EXCLUDED.seen_by, gone_at = NULL",
    )
    .bind(&names)
    .bind(
        domains
            .iter()
            .map(|d| d.domain_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind(customer_id)
    .bind(
        domains
            .iter()
            .map(|d| d.status.as_str().to_string())
            .collect::<Vec<_>>(),
    )
    .bind(
        domains
            .iter()
            .map(|d| day(d.expiry_date.as_deref()))
            .collect::<Vec<_>>(),
    )
    .bind(domains.iter().map(|d| d.auto_renew).collect::<Vec<_>>())
    .bind(
        domains
            .iter()
            .map(|d| provider(&d.service_provider))
            .collect::<Vec<_>>(),
    )
    .bind(by.as_str())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE index_domains SET gone_at = now()
          WHERE customer_id = $1 AND gone_at IS NULL AND NOT (name = ANY($2))",
    )
    .bind(customer_id)
    .bind(&names)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Subscriptions as CMR listed them.
pub async fn save_subscriptions(
    db: &PgPool,
    subscriptions: &[Subscription],
    by: SeenBy,
) -> Result<(), sqlx::Error> {
    let subs: Vec<&Subscription> = subscriptions
        .iter()
        .filter(|s| !s.subscription_id.is_empty())
        .collect();
    if subs.is_empty() {
        return Ok(());
    }
    let text = |f: fn(&Subscription) -> String| subs.iter().map(|s| f(s)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO index_subscriptions
             (id, customer_id, domain, status, period_end, auto_renew, mailboxes,
              price_per_mailbox_cents, provider, seen_at, seen_by)
         SELECT id, customer_id, domain, status, period_end::date, auto_renew, mailboxes,
                price, provider, now(), $10
           FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[],
                       $7::int4[], $8::int8[], $9::text[])
                AS t(id, customer_id, domain, status, period_end, auto_renew, mailboxes, price,
                     provider)
         ON CONFLICT (id) DO UPDATE SET
             customer_id = EXCLUDED.customer_id, domain = EXCLUDED.domain,
             status = EXCLUDED.status, period_end = EXCLUDED.period_end,
             auto_renew = EXCLUDED.auto_renew, mailboxes = EXCLUDED.mailboxes,
             price_per_mailbox_cents = EXCLUDED.price_per_mailbox_cents,
             provider = EXCLUDED.provider, seen_at = EXCLUDED.seen_at,
             seen_by = EXCLUDED.seen_by, gone_at = NULL",
    )
    .bind(text(|s| s.subscription_id.clone()))
    .bind(text(|s| s.user_id.clone()))
    .bind(text(|s| s.domain.trim().to_lowercase()))
    .bind(text(|s| s.subscription_status.as_str().to_string()))
    .bind(
        subs.iter()
            .map(|s| day(s.period_end.as_deref()))
            .collect::<Vec<_>>(),
    )
    .bind(subs.iter().map(|s| s.auto_renew).collect::<Vec<_>>())
    .bind(
        subs.iter()
            .map(|s| i32::try_from(s.total_mailbox_quantity).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
    )
    .bind(
        subs.iter()
            .map(|s| s.price_per_mailbox.cents())
            .collect::<Vec<_>>(),
    )
    .bind(
        subs.iter()
            .map(|s| provider(&s.service_provider))
            .collect::<Vec<_>>(),
    )
    .bind(by.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// Mailboxes as CMR listed them. `customer_id` fills in the owner when the listing was one
/// customer's and the items do not say.
pub async fn save_mailboxes(
    db: &PgPool,
    mailboxes: &[Mailbox],
    customer_id: Option<&str>,
    by: SeenBy,
) -> Result<(), sqlx::Error> {
    let boxes: Vec<&Mailbox> = mailboxes
        .iter()
        .filter(|m| !m.mailbox_id.is_empty())
        .collect();
    if boxes.is_empty() {
        return Ok(());
    }
    let text = |f: fn(&Mailbox) -> String| boxes.iter().map(|m| f(m)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO index_mailboxes
             (id, email, domain, customer_id, subscription_id, status, name, on_warmup,
              seen_at, seen_by)
         SELECT id, email, domain, COALESCE(customer_id, $9), subscription_id, status, name,
                on_warmup, now(), $10
           FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $8::bool[])
                AS t(id, email, domain, customer_id, subscription_id, status, name, on_warmup)
         ON CONFLICT (id) DO UPDATE SET
             email = EXCLUDED.email, domain = EXCLUDED.domain,
             customer_id = COALESCE(EXCLUDED.customer_id, index_mailboxes.customer_id),
             subscription_id = EXCLUDED.subscription_id, status = EXCLUDED.status,
             name = EXCLUDED.name, on_warmup = EXCLUDED.on_warmup,
             seen_at = EXCLUDED.seen_at, seen_by = EXCLUDED.seen_by, gone_at = NULL",
    )
    .bind(text(|m| m.mailbox_id.clone()))
    .bind(text(|m| m.email.trim().to_lowercase()))
    .bind(text(|m| m.domain.trim().to_lowercase()))
    .bind(
        boxes
            .iter()
            .map(|m| m.user_id.clone().filter(|id| !id.is_empty()))
            .collect::<Vec<_>>(),
    )
    .bind(
        boxes
            .iter()
            .map(|m| m.subscription_id.clone().filter(|id| !id.is_empty()))
            .collect::<Vec<_>>(),
    )
    .bind(text(|m| m.status.as_str().to_string()))
    .bind(text(|m| {
        format!("{} {}", m.first_name, m.last_name)
            .trim()
            .to_string()
    }))
    .bind(boxes.iter().map(|m| m.on_warmup).collect::<Vec<_>>())
    .bind(customer_id)
    .bind(by.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// What a finished pass marks gone: customers, subscriptions and mailboxes (read page by page,
/// where a row can slip between two pages while others are added or removed) when missing
/// from this pass and the one before; a gone customer's domains with it. Rows a live read or
/// a webhook saw since count as seen. Returns how many rows were marked.
pub async fn mark_gone(
    db: &PgPool,
    previous_pass_started_at: time::OffsetDateTime,
) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let mut marked = 0;
    for table in ["index_customers", "index_subscriptions", "index_mailboxes"] {
        marked += sqlx::query(&format!(
            "UPDATE {table} SET gone_at = now() WHERE gone_at IS NULL AND seen_at < $1"
        ))
        .bind(previous_pass_started_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    marked += sqlx::query(
        "UPDATE index_domains d SET gone_at = now()
           FROM index_customers c
          WHERE c.id = d.customer_id AND c.gone_at IS NOT NULL AND d.gone_at IS NULL",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(marked)
}

/// Customer ids in order after `after`, for the per-customer phase of a pass.
pub async fn customers_after(
    db: &PgPool,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM index_customers WHERE gone_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn live_customers(db: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM index_customers WHERE gone_at IS NULL")
        .fetch_one(db)
        .await
}

/// The customer who owns `domain`, as the index knows it.
pub async fn owner_of_domain(db: &PgPool, domain: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT customer_id FROM index_domains WHERE name = lower($1)")
        .bind(domain.trim().trim_end_matches('.'))
        .fetch_optional(db)
        .await
}

/// Marks domains RENEWING (a renewal was queued) until CMR's event or the next read says
/// otherwise.
pub async fn mark_renewing(db: &PgPool, names: &[&str]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE index_domains SET status = 'RENEWING', seen_at = now(), seen_by = 'live'
          WHERE name = ANY($1)",
    )
    .bind(names)
    .execute(db)
    .await
    .map(drop)
}

/// Records auto-renew as the dashboard just set it at CMR.
pub async fn set_auto_renew(db: &PgPool, names: &[&str], on: bool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE index_domains SET auto_renew = $2, seen_at = now(), seen_by = 'live'
          WHERE name = ANY($1)",
    )
    .bind(names)
    .bind(on)
    .execute(db)
    .await
    .map(drop)
}

/// Auto-renew of the named domains as the index knows it.
pub async fn auto_renew_of(
    db: &PgPool,
    names: &[&str],
) -> Result<std::collections::HashMap<String, bool>, sqlx::Error> {
    let rows: Vec<(String, bool)> =
        sqlx::query_as("SELECT name, auto_renew FROM index_domains WHERE name = ANY($1)")
            .bind(names)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Keeps the renewal prices CMR quoted (domain name → cents), for the runway forecast.
pub async fn save_renewal_prices(db: &PgPool, prices: &[(String, i64)]) -> Result<(), sqlx::Error> {
    let (names, cents): (Vec<&str>, Vec<i64>) =
        prices.iter().map(|(n, c)| (n.as_str(), *c)).unzip();
    sqlx::query(
        "UPDATE index_domains d SET renewal_price_cents = p.cents, priced_at = now()
           FROM UNNEST($1::text[], $2::bigint[]) AS p(name, cents)
          WHERE d.name = lower(p.name)",
    )
    .bind(names)
    .bind(cents)
    .execute(db)
    .await
    .map(drop)
}

/// One auto-renewal the index knows of, due by `until`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AutoRenewal {
    pub kind: String,
    pub name: String,
    pub customer_id: String,
    pub due_on: time::Date,
    /// Subscriptions: mailboxes; domains: 1.
    pub quantity: i64,
    /// Per unit; `None` when not known (a domain never priced).
    pub price_cents: Option<i64>,
}

/// Auto-renewing subscriptions (by period end) and domains (by expiry) due within `days`
/// days, or overdue and still renewable.
pub async fn auto_renewals(db: &PgPool, days: i32) -> Result<Vec<AutoRenewal>, sqlx::Error> {
    sqlx::query_as(
        "SELECT 'subscription' AS kind, domain AS name, customer_id, period_end AS due_on,
                mailboxes::bigint AS quantity, price_per_mailbox_cents AS price_cents
           FROM index_subscriptions
          WHERE gone_at IS NULL AND auto_renew AND period_end IS NOT NULL
            AND status IN ('ACTIVE', 'PAST_DUE')
            AND period_end <= (now() AT TIME ZONE 'utc')::date + $1
         UNION ALL
         SELECT 'domain', name, customer_id, expires_on, 1, renewal_price_cents
           FROM index_domains
          WHERE gone_at IS NULL AND auto_renew AND expires_on IS NOT NULL
            AND status IN ('ACTIVE', 'GRACE_PERIOD')
            AND expires_on <= (now() AT TIME ZONE 'utc')::date + $1
          ORDER BY due_on, name",
    )
    .bind(days)
    .fetch_all(db)
    .await
}

/// Marks a domain removed through the dashboard as gone (its mailboxes went before it).
pub async fn mark_domain_gone(db: &PgPool, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE index_domains SET gone_at = now() WHERE name = $1 AND gone_at IS NULL")
        .bind(name)
        .execute(db)
        .await
        .map(drop)
}

/// How the index names customer `id`: their name, else their email.
pub async fn customer_label(db: &PgPool, id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT coalesce(nullif(trim(name), ''), email) FROM index_customers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The customer who owns the mailbox `address`, as the index knows it.
pub async fn owner_of_mailbox(db: &PgPool, address: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT customer_id FROM index_mailboxes
          WHERE lower(email) = lower($1) AND customer_id IS NOT NULL
          ORDER BY gone_at IS NULL DESC LIMIT 1",
    )
    .bind(address.trim())
    .fetch_optional(db)
    .await
}

/// Rows per kind, present and gone.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Counts {
    pub customers: i64,
    pub domains: i64,
    pub subscriptions: i64,
    pub mailboxes: i64,
    pub gone: i64,
}

pub async fn counts(db: &PgPool) -> Result<Counts, sqlx::Error> {
    sqlx::query_as(
        "SELECT
           (SELECT count(*) FROM index_customers WHERE gone_at IS NULL) AS customers,
           (SELECT count(*) FROM index_domains WHERE gone_at IS NULL) AS domains,
           (SELECT count(*) FROM index_subscriptions WHERE gone_at IS NULL) AS subscriptions,
           (SELECT count(*) FROM index_mailboxes WHERE gone_at IS NULL) AS mailboxes,
           (SELECT count(*) FROM index_customers WHERE gone_at IS NOT NULL)
             + (SELECT count(*) FROM index_domains WHERE gone_at IS NOT NULL)
             + (SELECT count(*) FROM index_subscriptions WHERE gone_at IS NOT NULL)
             + (SELECT count(*) FROM index_mailboxes WHERE gone_at IS NOT NULL) AS gone",
    )
    .fetch_one(db)
    .await
}

/// Customers (name, email, company), domains (name) and mailboxes (address) containing
/// `query`, up to `limit` of each; gone rows are left out.
pub async fn search(db: &PgPool, query: &str, limit: i64) -> Result<SearchHits, sqlx::Error> {
    let pattern = crate::server::db::contains_pattern(query);
    let customers = sqlx::query_as::<_, (String, String, String, String)>(
        "SELECT id, name, email, company FROM index_customers
          WHERE gone_at IS NULL AND lower(name || ' ' || email || ' ' || company) LIKE $1
          ORDER BY name LIMIT $2",
    )
    .bind(&pattern)
    .bind(limit);
    let domains = sqlx::query_as::<_, (String, String, String, Option<time::Date>)>(
        "SELECT name, customer_id, status, expires_on FROM index_domains
          WHERE gone_at IS NULL AND name LIKE $1 ORDER BY name LIMIT $2",
    )
    .bind(&pattern)
    .bind(limit);
    let mailboxes = sqlx::query_as::<_, (String, String, Option<String>, String)>(
        "SELECT email, name, customer_id, status FROM index_mailboxes
          WHERE gone_at IS NULL AND lower(email) LIKE $1 ORDER BY email LIMIT $2",
    )
    .bind(&pattern)
    .bind(limit);
    let (customers, domains, mailboxes, indexed_at) = tokio::try_join!(
        customers.fetch_all(db),
        domains.fetch_all(db),
        mailboxes.fetch_all(db),
        last_full_pass(db),
    )?;
    Ok(SearchHits {
        customers: customers
            .into_iter()
            .map(|(id, name, email, company)| CustomerHit {
                id,
                name,
                email,
                company,
            })
            .collect(),
        domains: domains
            .into_iter()
            .map(|(name, customer_id, status, expires_on)| DomainHit {
                name,
                customer_id,
                status,
                expires_on: expires_on.map(|d| d.to_string()),
            })
            .collect(),
        mailboxes: mailboxes
            .into_iter()
            .map(|(email, name, customer_id, status)| MailboxHit {
                email,
                name,
                customer_id,
                status,
            })
            .collect(),
        indexed_at,
    })
}

/// Domains (not gone) whose expiry falls within `days` from today (UTC), soonest first.
pub async fn expiring_within(
    db: &PgPool,
    days: i32,
    limit: i64,
) -> Result<Vec<DomainHit>, sqlx::Error> {
    let rows = sqlx::query_as::<_, (String, String, String, Option<time::Date>)>(
        "SELECT name, customer_id, status, expires_on FROM index_domains
          WHERE gone_at IS NULL
            AND expires_on BETWEEN (now() AT TIME ZONE 'utc')::date
                               AND (now() AT TIME ZONE 'utc')::date + $1
          ORDER BY expires_on, name LIMIT $2",
    )
    .bind(days)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, customer_id, status, expires_on)| DomainHit {
            name,
            customer_id,
            status,
            expires_on: expires_on.map(|d| d.to_string()),
        })
        .collect())
}

/// When the index last finished a full pass (Unix seconds).
pub async fn last_full_pass(db: &PgPool) -> Result<Option<i64>, sqlx::Error> {
    let at: Option<time::OffsetDateTime> =
        sqlx::query_scalar("SELECT last_full_pass_at FROM index_sync")
            .fetch_one(db)
            .await?;
    Ok(at.map(|at| at.unix_timestamp()))
}

/// The SQL condition (on `d`, an `index_domains` row) for a radar group. Dates are UTC days.
/// A radar group as SQL over `index_domains d`. A domain already RENEWING (or still being
/// registered) needs no decision, so only ACTIVE domains count as expiring.
fn due_condition(due: Due) -> &'static str {
    match due {
        Due::Grace => {
            "(d.status = 'GRACE_PERIOD' OR (d.status NOT IN ('EXPIRED', 'RENEWING')
              AND d.expires_on < (now() AT TIME ZONE 'utc')::date
              AND d.expires_on >= (now() AT TIME ZONE 'utc')::date - 7))"
        }
        Due::Expiring => {
            "(d.status = 'ACTIVE'
              AND d.expires_on BETWEEN (now() AT TIME ZONE 'utc')::date
                                   AND (now() AT TIME ZONE 'utc')::date + 45)"
        }
        Due::ExpiringManual => {
            "(NOT d.auto_renew AND d.status = 'ACTIVE'
              AND d.expires_on BETWEEN (now() AT TIME ZONE 'utc')::date
                                   AND (now() AT TIME ZONE 'utc')::date + 45)"
        }
        Due::Expired => {
            "(d.status = 'EXPIRED'
              OR d.expires_on < (now() AT TIME ZONE 'utc')::date - 7)"
        }
    }
}

/// How many domains (not gone) each radar group holds.
pub async fn radar(db: &PgPool) -> Result<Radar, sqlx::Error> {
    let (grace, expiring, expiring_manual, expired): (i64, i64, i64, i64) =
        sqlx::query_as(&format!(
            "SELECT count(*) FILTER (WHERE {}), count(*) FILTER (WHERE {}),
                    count(*) FILTER (WHERE {}), count(*) FILTER (WHERE {})
               FROM index_domains d WHERE d.gone_at IS NULL",
            due_condition(Due::Grace),
            due_condition(Due::Expiring),
            due_condition(Due::ExpiringManual),
            due_condition(Due::Expired),
        ))
        .fetch_one(db)
        .await?;
    Ok(Radar {
        grace,
        expiring,
        expiring_manual,
        expired,
    })
}

/// One page of the partner-wide domain list (gone domains left out), with the total.
pub async fn domains(
    db: &PgPool,
    filter: &DomainFilter,
    per_page: u32,
) -> Result<(Vec<DomainRow>, i64), sqlx::Error> {
    let pattern = crate::server::db::contains_pattern(&filter.q);
    let order = match filter.sort {
        DomainSort::Expiry => "d.expires_on ASC NULLS LAST, d.name",
        DomainSort::Name => "d.name",
    };
    let due = match Due::parse(&filter.due) {
        Some(due) => due_condition(due),
        None => "TRUE",
    };
    let matching = format!(
        "FROM index_domains d
        LEFT JOIN index_customers c ON c.id = d.customer_id
        WHERE d.gone_at IS NULL
          AND ($1 = '%%' OR d.name LIKE $1
               OR lower(coalesce(c.name, '') || ' ' || coalesce(c.email, '')) LIKE $1)
          AND ($2 = '' OR d.status = $2)
          AND {due}"
    );
    let offset = i64::from(filter.page.max(1) - 1) * i64::from(per_page);
    let rows_sql = format!(
        "SELECT d.name, d.customer_id, c.name, d.status, d.expires_on,
                d.expires_on - (now() AT TIME ZONE 'utc')::date, d.auto_renew, d.provider,
                (SELECT count(*) FROM index_mailboxes m
                  WHERE m.domain = d.name AND m.gone_at IS NULL)
         {matching} ORDER BY {order} LIMIT $3 OFFSET $4"
    );
    let total_sql = format!("SELECT count(*) {matching}");
    let rows = sqlx::query_as::<
        _,
        (
            String,
            String,
            Option<String>,
            String,
            Option<time::Date>,
            Option<i32>,
            bool,
            Option<String>,
            i64,
        ),
    >(&rows_sql)
    .bind(&pattern)
    .bind(&filter.status)
    .bind(i64::from(per_page))
    .bind(offset);
    let total = sqlx::query_scalar::<_, i64>(&total_sql)
        .bind(&pattern)
        .bind(&filter.status);
    let (rows, total) = tokio::try_join!(rows.fetch_all(db), total.fetch_one(db))?;
    let rows = rows
        .into_iter()
        .map(
            |(
                name,
                customer_id,
                customer,
                status,
                expires_on,
                days_left,
                auto_renew,
                provider,
                mailboxes,
            )| {
                DomainRow {
                    name,
                    customer_id,
                    customer: customer.unwrap_or_default(),
                    status,
                    expires_on: expires_on.map(|d| d.to_string()),
                    days_left,
                    auto_renew,
                    provider,
                    mailboxes,
                }
            },
        )
        .collect();
    Ok((rows, total))
}
