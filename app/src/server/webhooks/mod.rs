//! `POST /webhooks/cmr`: CMR's events, the only public write endpoint.
//!
//! In order: a bounded body ([`MAX_BODY`], else 413); the signature and timestamp
//! ([`signature`], else 401); a readable envelope with an `eventId` and an `event` (or
//! `eventType`), else 400; secrets removed ([`scrub`]); stored once per `eventId` (a
//! redelivery answers 200 and changes nothing). Then 200 at once, and the event is applied to
//! the index after the answer. Unknown event types are kept and change nothing. Only the
//! event's type and id are logged.

pub mod scrub;
pub mod signature;

use super::AppState;
use crate::model::audit::{AuditOutcome, AuditView};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use sqlx::PgPool;

/// The largest body accepted (CMR's largest documented payloads are a few kilobytes).
pub const MAX_BODY: usize = 256 * 1024;

fn text<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The handler. Answers with a short plain-text reason; never echoes the payload.
pub async fn receive(
    state: AppState,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(timestamp), Some(signature)) = (header("cmr-x-timestamp"), header("cmr-x-signature"))
    else {
        tracing::warn!("refused a webhook: no signature or timestamp");
        return (StatusCode::UNAUTHORIZED, "signature required");
    };
    let key = state.cmr.config().api_key.expose().as_bytes();
    let now = state.clock.now().unix_timestamp();
    let sent_at = match signature::verify(key, timestamp, signature, &body, now) {
        Ok(sent_at) => sent_at,
        Err(refusal) => {
            tracing::warn!(?refusal, "refused a webhook");
            return (StatusCode::UNAUTHORIZED, "signature or timestamp refused");
        }
    };
    let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not a JSON object");
    };
    let envelope = Value::Object(envelope);
    let (Some(event_id), Some(event)) = (
        text(&envelope, "eventId"),
        text(&envelope, "event").or_else(|| text(&envelope, "eventType")),
    ) else {
        return (StatusCode::BAD_REQUEST, "eventId and event are required");
    };
    let mut data = envelope.get("data").cloned().unwrap_or(Value::Null);
    let removed = scrub::scrub(&mut data);
    let customer = text(&data, "userId").map(str::to_string);
    let stored = sqlx::query(
        "INSERT INTO cmr_events (event_id, event, sent_at, customer_id, data)
         VALUES ($1, $2, to_timestamp($3), $4, $5)
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id)
    .bind(event)
    .bind(sent_at as f64)
    .bind(&customer)
    .bind(&data)
    .execute(&state.db)
    .await;
    match stored {
        Ok(done) if done.rows_affected() == 0 => {
            tracing::info!(event, event_id, "webhook already received");
            (StatusCode::OK, "already received")
        }
        Ok(_) => {
            tracing::info!(
                event,
                event_id,
                secrets_removed = removed,
                "webhook received"
            );
            let (state, event_id) = (state.clone(), event_id.to_string());
            tokio::spawn(async move { apply(&state, &event_id).await });
            (StatusCode::OK, "received")
        }
        Err(error) => {
            // CMR retries a non-2xx delivery: nothing is lost.
            tracing::error!(%error, "could not store a webhook");
            (StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}

/// Applies what was stored but not applied (the process stopped in between): at start-up.
pub fn apply_pending(state: AppState) {
    tokio::spawn(async move {
        let pending: Result<Vec<String>, sqlx::Error> = sqlx::query_scalar(
            "SELECT event_id FROM cmr_events WHERE applied_at IS NULL ORDER BY received_at",
        )
        .fetch_all(&state.db)
        .await;
        for event_id in pending.unwrap_or_default() {
            apply(&state, &event_id).await;
        }
    });
}

/// Applies a stored event to the index, once.
pub async fn apply(state: &AppState, event_id: &str) {
    let row: Result<Option<(String, Value)>, sqlx::Error> = sqlx::query_as(
        "SELECT event, data FROM cmr_events WHERE event_id = $1 AND applied_at IS NULL",
    )
    .bind(event_id)
    .fetch_optional(&state.db)
    .await;
    let Ok(Some((event, data))) = row else {
        return;
    };
    let result = update_index(&state.db, &event, &data).await;
    super::orders::on_event(state, &event, &data).await;
    if let Some(customer) = text(&data, "userId") {
        // Profiles of this customer kept in any instance's read cache are stale now.
        let stale = super::reads_sync::Stale::Customer(customer.to_string());
        super::reads_sync::announce(&state.db, &state.reads, stale).await;
    }
    let error = result.as_ref().err().map(ToString::to_string);
    if let Some(error) = &error {
        tracing::warn!(event, event_id, %error, "could not apply a webhook to the index");
    }
    let _ = sqlx::query(
        "UPDATE cmr_events SET applied_at = now(), apply_error = $2 WHERE event_id = $1",
    )
    .bind(event_id)
    .bind(error)
    .execute(&state.db)
    .await;
}

/// What each known event changes in the index; other events change nothing.
async fn update_index(db: &PgPool, event: &str, data: &Value) -> Result<(), sqlx::Error> {
    let domain_status = match event {
        "domain.grace_period" => Some("GRACE_PERIOD"),
        "domain.expired" => Some("EXPIRED"),
        "domain.renewal.success" | "domain.order.success" => Some("ACTIVE"),
        _ => None,
    };
    if let (Some(status), Some(name)) = (domain_status, text(data, "domainName")) {
        let expiry = super::index::store::day(text(data, "expiryDate"));
        match text(data, "userId") {
            Some(customer) if event == "domain.order.success" => {
                sqlx::query(
                    "INSERT INTO index_domains (name, domain_id, customer_id, status, expires_on,
                                                auto_renew, seen_at, seen_by)
                     VALUES (lower($1), $2, $3, $4, $5::date, false, now(), 'webhook')
                     ON CONFLICT (name) DO UPDATE SET status = EXCLUDED.status,
                         expires_on = COALESCE(EXCLUDED.expires_on, index_domains.expires_on),
                         customer_id = EXCLUDED.customer_id, seen_at = now(),
                         seen_by = 'webhook', gone_at = NULL",
                )
                .bind(name)
                .bind(text(data, "domainId"))
                .bind(customer)
                .bind(status)
                .bind(expiry)
                .execute(db)
                .await?;
            }
            _ => {
                sqlx::query(
                    "UPDATE index_domains SET status = $2,
                            expires_on = COALESCE($3::date, expires_on),
                            seen_at = now(), seen_by = 'webhook'
                      WHERE name = lower($1)",
                )
                .bind(name)
                .bind(status)
                .bind(expiry)
                .execute(db)
                .await?;
            }
        }
        return Ok(());
    }
    let subscription_status = match event {
        "subscription.renewing" => Some("RENEWING"),
        "subscription.renewal.success" => Some("ACTIVE"),
        "subscription.past_due" => Some("PAST_DUE"),
        "subscription.expired" => Some("EXPIRED"),
        "subscription.cancelled" => Some("CANCELLED"),
        _ => None,
    };
    if let (Some(status), Some(id)) = (subscription_status, text(data, "subscriptionId")) {
        let status = text(data, "subscriptionStatus").unwrap_or(status);
        sqlx::query(
            "UPDATE index_subscriptions SET status = $2,
                    period_end = COALESCE($3::date, period_end),
                    seen_at = now(), seen_by = 'webhook'
              WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(super::index::store::day(text(data, "periodEnd")))
        .execute(db)
        .await?;
        return Ok(());
    }
    if event == "mailbox.updated" {
        // `updatedFields` holds only what changed; the name is what the index keeps of it.
        let fields = data.get("updatedFields").unwrap_or(data);
        if let Some(id) = text(data, "mailboxId") {
            let first = text(fields, "firstName");
            let last = text(fields, "lastName");
            sqlx::query(
                "UPDATE index_mailboxes SET
                        name = CASE WHEN $2::text IS NULL AND $3::text IS NULL THEN name
                                    ELSE trim(COALESCE($2, split_part(name, ' ', 1)) || ' ' ||
                                              COALESCE($3, substr(name, strpos(name, ' ') + 1)))
                               END,
                        seen_at = now(), seen_by = 'webhook'
                  WHERE id = $1",
            )
            .bind(id)
            .bind(first)
            .bind(last)
            .execute(db)
            .await?;
        }
        return Ok(());
    }
    if event == "mailbox.created" {
        if let (Some(id), Some(email)) = (text(data, "mailboxId"), text(data, "email")) {
            let domain = email.rsplit('@').next().unwrap_or_default();
            sqlx::query(
                "INSERT INTO index_mailboxes (id, email, domain, customer_id, subscription_id,
                                              status, name, on_warmup, seen_at, seen_by)
                 VALUES ($1, lower($2), lower($3), $4, $5, 'ACTIVE', $6, false, now(), 'webhook')
                 ON CONFLICT (id) DO UPDATE SET status = 'ACTIVE', seen_at = now(),
                     seen_by = 'webhook', gone_at = NULL",
            )
            .bind(id)
            .bind(email)
            .bind(domain)
            .bind(text(data, "userId"))
            .bind(text(data, "subscriptionId"))
            .bind(
                format!(
                    "{} {}",
                    text(data, "firstName").unwrap_or_default(),
                    text(data, "lastName").unwrap_or_default()
                )
                .trim(),
            )
            .execute(db)
            .await?;
        }
    }
    Ok(())
}

/// A customer's CMR events, newest first, as timeline entries beside the staff's audit.
pub async fn timeline(
    db: &PgPool,
    customer: &str,
    limit: i64,
) -> Result<Vec<AuditView>, sqlx::Error> {
    let rows: Vec<(String, time::OffsetDateTime, Value)> = sqlx::query_as(
        "SELECT event, received_at, data FROM cmr_events
          WHERE customer_id = $1 ORDER BY received_at DESC LIMIT $2",
    )
    .bind(customer)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(entries(rows))
}

/// One domain's CMR events (those naming it), newest first.
pub async fn domain_timeline(
    db: &PgPool,
    customer: &str,
    domain: &str,
    limit: i64,
) -> Result<Vec<AuditView>, sqlx::Error> {
    let rows: Vec<(String, time::OffsetDateTime, Value)> = sqlx::query_as(
        "SELECT event, received_at, data FROM cmr_events
          WHERE customer_id = $1
            AND lower(coalesce(data->>'domainName', data->>'domain', '')) = $2
          ORDER BY received_at DESC LIMIT $3",
    )
    .bind(customer)
    .bind(domain)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(entries(rows))
}

fn entries(rows: Vec<(String, time::OffsetDateTime, Value)>) -> Vec<AuditView> {
    rows.into_iter()
        .map(|(event, at, data)| {
            let about = ["domainName", "domain", "email", "subscriptionId", "orderId"]
                .iter()
                .find_map(|key| text(&data, key))
                .map(str::to_string);
            AuditView {
                at: at.unix_timestamp(),
                actor: "CMR".into(),
                action: event,
                target: about,
                target_href: None,
                changes: Vec::new(),
                outcome: AuditOutcome::Ok,
                message: text(&data, "reason").map(str::to_string),
                action_id: text(&data, "actionId").map(str::to_string),
            }
        })
        .collect()
}
