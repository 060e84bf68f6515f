//! Reading the audit log (writing goes through `server::audit::record` only).

use crate::model::audit::{AuditOutcome, AuditView};
use serde_json::Value;
use sqlx::{FromRow, PgPool};
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
const SECURITY_ACTIONS: &str = "(action LIKE 'auth.%' OR action LIKE 'staff.%')";

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
