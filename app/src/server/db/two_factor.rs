//! Two-factor sign-in's rows: the TOTP secret on the account, the step last accepted (so a
//! code works once), and the hashed recovery codes.

use sqlx::PgPool;
use time::OffsetDateTime;

/// The confirmed secret (base32), or `None` when two-factor sign-in is off.
pub async fn secret(db: &PgPool, staff_id: i64) -> Result<Option<String>, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT totp_secret FROM staff WHERE id = $1")
            .bind(staff_id)
            .fetch_optional(db)
            .await?
            .flatten(),
    )
}

/// The secret shown for enrolment and not confirmed yet.
pub async fn pending_secret(db: &PgPool, staff_id: i64) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "SELECT totp_pending_secret FROM staff WHERE id = $1",
    )
    .bind(staff_id)
    .fetch_optional(db)
    .await?
    .flatten())
}

pub async fn set_pending_secret(
    db: &PgPool,
    staff_id: i64,
    secret: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE staff SET totp_pending_secret = $2 WHERE id = $1")
        .bind(staff_id)
        .bind(secret)
        .execute(db)
        .await?;
    Ok(())
}

/// Turns two-factor sign-in on with the pending `secret` (only if it is still the pending one:
/// a second enrolment started meanwhile wins), its first code's `step` already used, and a
/// fresh set of recovery codes. `false` when the pending secret changed.
pub async fn enable(
    db: &PgPool,
    staff_id: i64,
    secret: &str,
    step: i64,
    code_hashes: &[String],
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let updated = sqlx::query(
        "UPDATE staff SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
                totp_enabled_at = $3, totp_last_step = $4
          WHERE id = $1 AND totp_pending_secret = $2",
    )
    .bind(staff_id)
    .bind(secret)
    .bind(now)
    .bind(step)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO staff_recovery_codes (staff_id, code_hash) SELECT $1, unnest($2::text[])",
    )
    .bind(staff_id)
    .bind(code_hashes)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Records that the code of `step` was used. One statement, so of two requests carrying the
/// same code (or an older one) only one can succeed.
pub async fn accept_step(db: &PgPool, staff_id: i64, step: i64) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE staff SET totp_last_step = $2
          WHERE id = $1 AND totp_secret IS NOT NULL
            AND (totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(staff_id)
    .bind(step)
    .execute(db)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Uses the recovery code with this hash, if it exists and was not used before.
pub async fn use_recovery_code(
    db: &PgPool,
    staff_id: i64,
    code_hash: &str,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE staff_recovery_codes SET used_at = $3
          WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(staff_id)
    .bind(code_hash)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn recovery_codes_left(db: &PgPool, staff_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL",
    )
    .bind(staff_id)
    .fetch_one(db)
    .await
}

/// Turns two-factor sign-in off and forgets its secret and recovery codes.
pub async fn disable(db: &PgPool, staff_id: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE staff SET totp_secret = NULL, totp_pending_secret = NULL,
                totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $1",
    )
    .bind(staff_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
