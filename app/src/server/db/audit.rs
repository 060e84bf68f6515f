//! Reading the audit log (writing goes through `server::audit::record` only).

use crate::model::audit::{target_href, AuditFilter, AuditOutcome, AuditView};
use serde_json::Value;
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use time::OffsetDateTime;

#[derive(FromRow)]
struct Row {
    at: OffsetDateTime,
    actor_email: Option<String>,
    action: String,
    target_kind: Option<String>,
    target_id: Option<String>,
    changes: sqlx::types::Json<Vec<Value>>,
    outcome: String,
    upstream_status: Option<i32>,
    message: Option<String>,
    action_id: Option<String>,
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl From<Row> for AuditView {
    fn from(r: Row) -> AuditView {
        let message = match (r.upstream_status, r.message) {
            (Some(status), Some(m)) => Some(format!("CMR {status}: {m}")),
            (_, m) => m,
        };
        AuditView {
            at: r.at.unix_timestamp(),
            actor: r.actor_email.unwrap_or_else(|| "—".into()),
            action: r.action,
            target_href: match (&r.target_kind, &r.target_id) {
                (Some(kind), Some(id)) => target_href(kind, id),
                _ => None,
            },
            target: match (r.target_kind, r.target_id) {
                (Some(kind), Some(id)) => Some(format!("{kind} {id}")),
                _ => None,
            },
            changes: r
                .changes
                .0
                .iter()
                .map(|c| {
                    (
                        text(c.get("field")),
                        text(c.get("before")),
                        text(c.get("after")),
                    )
                })
                .collect(),
            outcome: match r.outcome.as_str() {
                "ok" => AuditOutcome::Ok,
                "unknown" => AuditOutcome::Unknown,
                _ => AuditOutcome::Failed,
            },
            message,
            action_id: r.action_id,
        }
    }
}

const COLUMNS: &str = "at, actor_email, action, target_kind, target_id, changes, outcome, \
                       upstream_status, message, action_id";

/// Actions about staff accounts and sign-in security (who failed to sign in, who was locked
/// out, who was created): for admins only.
const SECURITY_ACTIONS: &str =
    "(action LIKE 'auth.%' OR action LIKE 'staff.%' OR action LIKE 'two_factor.%' \
      OR target_kind = 'staff')";

/// The newest entries; without `security`, staff-management and sign-in events are left out.
pub async fn latest(
    db: &PgPool,
    limit: i64,
    security: bool,
) -> Result<Vec<AuditView>, sqlx::Error> {
    let filter = if security {
        String::new()
    } else {
        format!("WHERE NOT {SECURITY_ACTIONS}")
    };
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log {filter} ORDER BY id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditView::from).collect())
}

pub async fn for_target(
    db: &PgPool,
    kind: &str,
    id: &str,
    limit: i64,
) -> Result<Vec<AuditView>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE target_kind = $1 AND target_id = $2
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(kind)
    .bind(id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditView::from).collect())
}

/// A domain's entries: the domain's own and its DNS records' (`domain/record`), newest first.
pub async fn for_domain(
    db: &PgPool,
    name: &str,
    limit: i64,
) -> Result<Vec<AuditView>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log
          WHERE (target_kind = 'domain' AND target_id = $1)
             OR (target_kind = 'dns_record' AND starts_with(target_id, $1 || '/'))
          ORDER BY id DESC LIMIT $2"
    ))
    .bind(name)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditView::from).collect())
}

/// The value the latest accepted `action` on a target set `field` to, and when (Unix seconds).
pub async fn last_set(
    db: &PgPool,
    kind: &str,
    id: &str,
    action: &str,
    field: &str,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    let row: Option<(Option<String>, OffsetDateTime)> = sqlx::query_as(
        "SELECT (SELECT c->>'after' FROM jsonb_array_elements(changes) c
                  WHERE c->>'field' = $4 LIMIT 1), at
           FROM audit_log
          WHERE target_kind = $1 AND target_id = $2 AND action = $3 AND outcome = 'ok'
          ORDER BY id DESC LIMIT 1",
    )
    .bind(kind)
    .bind(id)
    .bind(action)
    .bind(field)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|(value, at)| value.map(|v| (v, at.unix_timestamp()))))
}

/// Adds the viewer's filters (and, without `everything`, the customer-data restriction) as a
/// WHERE clause. Dates are whole UTC days, the last one included.
fn push_filters(query: &mut QueryBuilder<'_, Postgres>, filter: &AuditFilter, everything: bool) {
    query.push(" WHERE true");
    if !everything {
        query.push(format!(" AND NOT {SECURITY_ACTIONS}"));
    }
    if let Some(staff) = filter.staff {
        query.push(" AND staff_id = ").push_bind(staff);
    }
    if !filter.action.is_empty() {
        query
            .push(" AND action = ")
            .push_bind(filter.action.clone());
    }
    if !filter.target_kind.is_empty() {
        if filter.target_kind == "domain" && !filter.target_id.is_empty() {
            // A domain's entries include its DNS records' (`domain/record`).
            query
                .push(" AND ((target_kind = 'domain' AND target_id = ")
                .push_bind(filter.target_id.clone())
                .push(") OR (target_kind = 'dns_record' AND starts_with(target_id, ")
                .push_bind(format!("{}/", filter.target_id))
                .push(")))");
        } else {
            query
                .push(" AND target_kind = ")
                .push_bind(filter.target_kind.clone());
            if !filter.target_id.is_empty() {
                query
                    .push(" AND target_id = ")
                    .push_bind(filter.target_id.clone());
            }
        }
    }
    if !filter.outcome.is_empty() {
        query
            .push(" AND outcome = ")
            .push_bind(filter.outcome.clone());
    }
    let day = |days: i64| OffsetDateTime::UNIX_EPOCH + time::Duration::days(days);
    if let Some(from) = filter.from_day() {
        query.push(" AND at >= ").push_bind(day(from));
    }
    if let Some(to) = filter.to_day() {
        query.push(" AND at < ").push_bind(day(to + 1));
    }
}

/// One page of matching entries, newest first, and how many match in all: one statement
/// (the total rides along each row), a second only for a page past the end.
pub async fn search(
    db: &PgPool,
    filter: &AuditFilter,
    everything: bool,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditView>, i64), sqlx::Error> {
    #[derive(FromRow)]
    struct Counted {
        #[sqlx(flatten)]
        row: Row,
        total: i64,
    }
    let mut page = QueryBuilder::new(format!(
        "SELECT {COLUMNS}, count(*) OVER () AS total FROM audit_log"
    ));
    push_filters(&mut page, filter, everything);
    page.push(" ORDER BY id DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let rows: Vec<Counted> = page.build_query_as().fetch_all(db).await?;
    let total = match rows.first() {
        Some(first) => first.total,
        None if offset == 0 => 0,
        None => {
            let mut count = QueryBuilder::new("SELECT count(*) FROM audit_log");
            push_filters(&mut count, filter, everything);
            count.build_query_scalar().fetch_one(db).await?
        }
    };
    Ok((rows.into_iter().map(|c| c.row.into()).collect(), total))
}

/// Every entry the export may hold (at most `limit`), newest first, with its raw target.
pub async fn export(
    db: &PgPool,
    filter: &AuditFilter,
    everything: bool,
    limit: i64,
) -> Result<Vec<(AuditView, Option<String>, Option<String>)>, sqlx::Error> {
    let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_log"));
    push_filters(&mut query, filter, everything);
    query.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    let rows: Vec<Row> = query.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (kind, id) = (r.target_kind.clone(), r.target_id.clone());
            (AuditView::from(r), kind, id)
        })
        .collect())
}

/// What the viewer's filters offer, in one round trip and one pass over `staff`: every staff
/// account (id, email), and the actions in the log that the reader may see.
pub async fn filter_choices(
    db: &PgPool,
    everything: bool,
) -> Result<(Vec<(i64, String)>, Vec<String>), sqlx::Error> {
    let filter = if everything {
        String::new()
    } else {
        format!("WHERE NOT {SECURITY_ACTIONS}")
    };
    // Distinct over the (action, at) index; capped so a strange log cannot grow the page.
    let (ids, emails, actions): (Vec<i64>, Vec<String>, Vec<String>) = sqlx::query_as(&format!(
        "SELECT s.ids, s.emails, a.actions
           FROM (SELECT coalesce(array_agg(id ORDER BY lower(email)), '{{}}') AS ids,
                        coalesce(array_agg(email ORDER BY lower(email)), '{{}}') AS emails
                   FROM staff) s,
                (SELECT coalesce(array_agg(action ORDER BY action), '{{}}') AS actions
                   FROM (SELECT DISTINCT action FROM audit_log {filter}
                          ORDER BY action LIMIT 300) d) a"
    ))
    .fetch_one(db)
    .await?;
    Ok((ids.into_iter().zip(emails).collect(), actions))
}

/// Removes entries older than `days` (the retention prune). The log's trigger lets only this
/// statement's transaction delete, and never anything younger than 30 days.
pub async fn prune(db: &PgPool, days: u32) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT set_config('cmr_admin.audit_prune', 'on', true)")
        .execute(&mut *tx)
        .await?;
    let removed = sqlx::query("DELETE FROM audit_log WHERE at < now() - make_interval(days => $1)")
        .bind(days as i32)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(removed)
}
