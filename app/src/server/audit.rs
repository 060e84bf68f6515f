//! The audit log: one function, [`record`], that every mutation and security event goes
//! through. Field values whose names look secret are replaced before they are written.

use super::state::AppState;
use crate::error::AppError;
use crate::model::StaffView;
use serde::Serialize;
use serde_json::Value;

/// Who did it: a signed-in staff member, or an anonymous request naming an email.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    Staff(&'a StaffView),
    /// A sign-in attempt or the first-run setup: the email that was typed.
    Anonymous {
        email: &'a str,
    },
}

/// One changed field, before → after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

impl Change {
    pub fn new(field: &str, before: impl Into<Value>, after: impl Into<Value>) -> Self {
        Change {
            field: field.to_string(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// How it ended: fine, refused (by us or by CMR, with CMR's HTTP status when it answered), or
/// unknown (sent, but CMR's answer never came: it may have been applied).
pub enum Outcome<'a> {
    Ok,
    /// Applied, with a note on how we know (e.g. only a re-read after a lost answer showed it).
    OkNoted {
        upstream_status: Option<u16>,
        message: &'a str,
    },
    Failed {
        upstream_status: Option<u16>,
        message: &'a str,
    },
    Unknown {
        upstream_status: Option<u16>,
        message: &'a str,
    },
}

/// What a change was made to, one variant per kind of record (the log stores the kind and
/// the id as two columns, so entries can be found by record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// A CMR user id.
    Customer(&'a str),
    Domain(&'a str),
    DnsRecord {
        domain: &'a str,
        record: &'a str,
    },
    Order(&'a str),
    Mailbox(&'a str),
    Subscription(&'a str),
    /// A dashboard staff account.
    Staff(i64),
}

impl Target<'_> {
    pub fn kind(self) -> &'static str {
        match self {
            Target::Customer(_) => "customer",
            Target::Domain(_) => "domain",
            Target::DnsRecord { .. } => "dns_record",
            Target::Order(_) => "order",
            Target::Mailbox(_) => "mailbox",
            Target::Subscription(_) => "subscription",
            Target::Staff(_) => "staff",
        }
    }

    pub fn id(self) -> String {
        match self {
            Target::Customer(id)
            | Target::Domain(id)
            | Target::Order(id)
            | Target::Mailbox(id)
            | Target::Subscription(id) => id.to_string(),
            Target::DnsRecord { domain, record } => format!("{domain}/{record}"),
            Target::Staff(id) => id.to_string(),
        }
    }
}

pub struct Entry<'a> {
    pub actor: Actor<'a>,
    /// What was attempted, `area.verb`: `auth.sign_in`, `customer.update`, …
    pub action: &'a str,
    pub target: Option<Target<'a>>,
    pub changes: Vec<Change>,
    pub outcome: Outcome<'a>,
    /// CMR's `actionId` for asynchronous operations.
    pub action_id: Option<&'a str>,
}

impl<'a> Entry<'a> {
    /// A change or security event that went through.
    pub fn ok(actor: Actor<'a>, action: &'a str, target: Option<Target<'a>>) -> Self {
        Entry {
            actor,
            action,
            target,
            changes: vec![],
            outcome: Outcome::Ok,
            action_id: None,
        }
    }

    /// A security event that was refused (by us: no CMR status).
    pub fn refused(actor: Actor<'a>, action: &'a str, message: &'a str) -> Self {
        Entry {
            outcome: Outcome::Failed {
                upstream_status: None,
                message,
            },
            ..Entry::ok(actor, action, None)
        }
    }

    /// Went through, with a note (how a sign-in was completed, say).
    pub fn noted(self, message: &'a str) -> Self {
        Entry {
            outcome: Outcome::OkNoted {
                upstream_status: None,
                message,
            },
            ..self
        }
    }

    pub fn with_changes(self, changes: Vec<Change>) -> Self {
        Entry { changes, ..self }
    }
}

const SECRET_FIELD_HINTS: [&str; 5] = ["password", "secret", "key", "token", "hash"];

/// Secrets must never reach the log table, whatever a caller passes in.
fn redact(mut change: Change) -> Change {
    let name = change.field.to_ascii_lowercase();
    if SECRET_FIELD_HINTS.iter().any(|hint| name.contains(hint)) {
        change.before = Value::String("[redacted]".into());
        change.after = Value::String("[redacted]".into());
    }
    change
}

/// Writes one audit entry, timestamped by the app's clock (UTC).
pub async fn record(state: &AppState, entry: Entry<'_>) -> Result<(), AppError> {
    let (staff_id, actor_email) = match entry.actor {
        Actor::Staff(staff) => (Some(staff.id), staff.email.as_str()),
        Actor::Anonymous { email } => (None, email),
    };
    let (outcome, upstream_status, message) = match entry.outcome {
        Outcome::Ok => ("ok", None, None),
        Outcome::OkNoted {
            upstream_status,
            message,
        } => ("ok", upstream_status, Some(message)),
        Outcome::Failed {
            upstream_status,
            message,
        } => ("error", upstream_status, Some(message)),
        Outcome::Unknown {
            upstream_status,
            message,
        } => ("unknown", upstream_status, Some(message)),
    };
    match (entry.action, outcome) {
        ("auth.sign_in", "error") => metrics::counter!("sign_in_failures_total").increment(1),
        ("auth.lockout", _) => metrics::counter!("sign_in_lockouts_total").increment(1),
        _ => {}
    }
    let upstream_status = upstream_status.map(i32::from);
    let changes: Vec<Change> = entry.changes.into_iter().map(redact).collect();
    let (target_kind, target_id) = entry.target.map(|t| (t.kind(), t.id())).unzip();
    sqlx::query(
        "INSERT INTO audit_log (at, staff_id, actor_email, action, target_kind, target_id,
                                changes, outcome, upstream_status, message, action_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(state.clock.now())
    .bind(staff_id)
    .bind(actor_email)
    .bind(entry.action)
    .bind(target_kind)
    .bind(target_id)
    .bind(sqlx::types::Json(&changes))
    .bind(outcome)
    .bind(upstream_status)
    .bind(message)
    .bind(entry.action_id)
    .execute(&state.db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_stored_as_its_kind_and_id() {
        let record = Target::DnsRecord {
            domain: "example.com",
            record: "r1",
        };
        assert_eq!(
            (record.kind(), record.id()),
            ("dns_record", "example.com/r1".into())
        );
        assert_eq!(
            (Target::Staff(7).kind(), Target::Staff(7).id()),
            ("staff", "7".into())
        );
        assert_eq!(Target::Customer("U1").id(), "U1");
    }

    #[test]
    fn secret_looking_fields_are_redacted() {
        let change = redact(Change::new("password_hash", "old", "new"));
        assert_eq!(change.before, "[redacted]");
        assert_eq!(change.after, "[redacted]");
        let change = redact(Change::new("city", "Oslo", "Bergen"));
        assert_eq!(change.after, "Bergen");
    }
}
