//! Failed sign-in counting per typed email (see the first migration for why unknown emails
//! count too). An attempt is *claimed* before its password is checked: one statement reads the
//! lock and counts the attempt under the row's lock, so parallel guesses cannot all slip past
//! a separate "is it locked?" check, and at most [`MAX_FAILURES`] are ever evaluated per window.

use sqlx::PgPool;
use std::time::Duration;
use time::OffsetDateTime;

/// Attempts within [`WINDOW`] that may be evaluated; the next one locks the email out.
pub const MAX_FAILURES: i32 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// The answer to "may this attempt be evaluated?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Yes; it is attempt number `n` of the window (1..=MAX_FAILURES).
    Allowed(i32),
    /// No: locked until then. `engaged` when this very attempt set the lock (audit it once).
    Locked {
        until: OffsetDateTime,
        engaged: bool,
    },
}

/// Counts one attempt for `email` and says whether it may be evaluated. Locks the email when
/// the attempt would exceed the limit.
pub async fn claim(db: &PgPool, email: &str, now: OffsetDateTime) -> Result<Claim, sqlx::Error> {
    // A lock still running is kept as it is (attempts during it keep counting past the limit,
    // so only the attempt that engages a lock sees exactly MAX + 1); an expired lock or an old
    // window starts afresh.
    let (attempts, locked_until): (i32, Option<OffsetDateTime>) = sqlx::query_as(
        "INSERT INTO sign_in_throttle AS t (email, failures, window_started_at)
         VALUES ($1, 1, $2)
         ON CONFLICT (email) DO UPDATE SET
             failures = CASE
                 WHEN t.locked_until > $2 THEN t.failures + 1
                 WHEN t.locked_until IS NOT NULL OR t.window_started_at <= $3 THEN 1
                 ELSE t.failures + 1 END,
             window_started_at = CASE
                 WHEN t.locked_until > $2 THEN t.window_started_at
                 WHEN t.locked_until IS NOT NULL OR t.window_started_at <= $3 THEN $2
                 ELSE t.window_started_at END,
             locked_until = CASE
                 WHEN t.locked_until > $2 THEN t.locked_until
                 WHEN t.locked_until IS NULL AND t.window_started_at > $3
                      AND t.failures + 1 > $4 THEN $5
                 ELSE NULL END
         RETURNING failures, locked_until",
    )
    .bind(email)
    .bind(now)
    .bind(now - WINDOW)
    .bind(MAX_FAILURES)
    .bind(now + LOCKOUT)
    .fetch_one(db)
    .await?;
    Ok(match locked_until {
        Some(until) if until > now => Claim::Locked {
            until,
            engaged: attempts == MAX_FAILURES + 1,
        },
        _ => Claim::Allowed(attempts),
    })
}

/// The claimed attempt `n` failed. Returns `true` when this failure engaged the lockout (the
/// last attempt the window allows).
pub async fn failed(
    db: &PgPool,
    email: &str,
    attempt: i32,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    if attempt < MAX_FAILURES {
        return Ok(false);
    }
    // MAX + 1, as if the next attempt had engaged it: later attempts then count past it.
    let locked = sqlx::query(
        "UPDATE sign_in_throttle SET locked_until = $2, failures = $4
         WHERE email = $1 AND (locked_until IS NULL OR locked_until <= $3)",
    )
    .bind(email)
    .bind(now + LOCKOUT)
    .bind(now)
    .bind(MAX_FAILURES + 1)
    .execute(db)
    .await?;
    Ok(locked.rows_affected() == 1)
}

/// A successful sign-in forgets earlier failures, but never lifts a lock that parallel guesses
/// engaged meanwhile.
pub async fn succeeded(db: &PgPool, email: &str, now: OffsetDateTime) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM sign_in_throttle
         WHERE email = $1 AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(email)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}
