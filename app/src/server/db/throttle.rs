//! Failed sign-in counting per typed email (see the migration for why unknown emails count too).

use sqlx::PgPool;
use std::time::Duration;
use time::OffsetDateTime;

/// Failures within [`WINDOW`] that lock the email out.
pub const MAX_FAILURES: i32 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// When the email is locked out, until when.
pub async fn locked_until(
    db: &PgPool,
    email: &str,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT locked_until FROM sign_in_throttle WHERE email = $1 AND locked_until > $2",
    )
    .bind(email)
    .bind(now)
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// Counts one failure. Returns `true` when this failure engaged the lockout.
pub async fn record_failure(
    db: &PgPool,
    email: &str,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let window_start = now - WINDOW;
    // A failure outside the current window starts a new one.
    let failures: i32 = sqlx::query_scalar(
        "INSERT INTO sign_in_throttle (email, failures, window_started_at)
         VALUES ($1, 1, $2)
         ON CONFLICT (email) DO UPDATE SET
             failures = CASE WHEN sign_in_throttle.window_started_at <= $3
                             THEN 1 ELSE sign_in_throttle.failures + 1 END,
             window_started_at = CASE WHEN sign_in_throttle.window_started_at <= $3
                             THEN $2 ELSE sign_in_throttle.window_started_at END
         RETURNING failures",
    )
    .bind(email)
    .bind(now)
    .bind(window_start)
    .fetch_one(db)
    .await?;
    if failures < MAX_FAILURES {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE sign_in_throttle SET locked_until = $2, failures = 0, window_started_at = $3
         WHERE email = $1",
    )
    .bind(email)
    .bind(now + LOCKOUT)
    .bind(now)
    .execute(db)
    .await?;
    Ok(true)
}

/// A successful sign-in forgets earlier failures.
pub async fn clear(db: &PgPool, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_throttle WHERE email = $1")
        .bind(email)
        .execute(db)
        .await?;
    Ok(())
}
