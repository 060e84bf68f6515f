//! Idempotency keys (see their migration). [`claim`] is one statement, so two requests with the
//! same key cannot both be told to go ahead, whichever instance they reach.

use serde_json::Value;
use sqlx::PgPool;
use time::OffsetDateTime;

/// What a request carrying a key may do.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Go ahead: the key is new, or its earlier request was refused (nothing changed).
    Proceed,
    /// Done before: answer with this instead of calling CMR again.
    Replay(Value),
    /// Another request with this key is being sent right now.
    InFlight,
    /// The earlier request's answer was lost: never send it again blindly.
    Unknown,
    /// The key was used for a different request.
    Mismatch,
}

pub async fn claim(
    db: &PgPool,
    key: &str,
    staff_id: i64,
    action: &str,
    request: &Value,
    now: OffsetDateTime,
) -> Result<Claim, sqlx::Error> {
    // Inserts a new key, or takes over one whose request was refused; otherwise changes nothing.
    let proceed: Option<String> = sqlx::query_scalar(
        "INSERT INTO idempotency_keys AS k
             (key, staff_id, action, request, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, $5)
         ON CONFLICT (key) DO UPDATE SET state = 'pending', updated_at = $5
             WHERE k.state = 'failed' AND k.action = $3 AND k.request = $4
         RETURNING key",
    )
    .bind(key)
    .bind(staff_id)
    .bind(action)
    .bind(sqlx::types::Json(request))
    .bind(now)
    .fetch_optional(db)
    .await?;
    if proceed.is_some() {
        return Ok(Claim::Proceed);
    }
    let (stored_action, stored_request, state, response): (String, Value, String, Option<Value>) =
        sqlx::query_as(
            "SELECT action, request, state, response FROM idempotency_keys WHERE key = $1",
        )
        .bind(key)
        .fetch_one(db)
        .await?;
    if stored_action != action || stored_request != *request {
        return Ok(Claim::Mismatch);
    }
    Ok(match state.as_str() {
        "done" => Claim::Replay(response.unwrap_or(Value::Null)),
        "pending" => Claim::InFlight,
        _ => Claim::Unknown,
    })
}

/// How the call under a key ended.
#[derive(Debug, Clone)]
pub enum Finish {
    /// With what a repeat is answered.
    Done(Value),
    Failed,
    Unknown,
}

pub async fn finish(
    db: &PgPool,
    key: &str,
    finish: Finish,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let (state, response) = match finish {
        Finish::Done(response) => ("done", Some(sqlx::types::Json(response))),
        Finish::Failed => ("failed", None),
        Finish::Unknown => ("unknown", None),
    };
    sqlx::query(
        "UPDATE idempotency_keys SET state = $2, response = $3, updated_at = $4 WHERE key = $1",
    )
    .bind(key)
    .bind(state)
    .bind(response)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes over a key whose answer was lost (`unknown`) before `settled_by`: by then what CMR
/// did shows in a fresh read, and the caller has read it. True when taken over (now pending).
pub async fn reclaim_unknown(
    db: &PgPool,
    key: &str,
    settled_by: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let taken: Option<String> = sqlx::query_scalar(
        "UPDATE idempotency_keys SET state = 'pending', updated_at = $3
          WHERE key = $1 AND state = 'unknown' AND updated_at < $2
          RETURNING key",
    )
    .bind(key)
    .bind(settled_by)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(taken.is_some())
}
