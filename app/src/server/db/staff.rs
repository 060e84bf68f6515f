use crate::model::{Role, StaffView};
use sqlx::{FromRow, PgPool};
use time::OffsetDateTime;

/// A staff row as stored. Holds the password hash: never return it from a server function;
/// convert with [`StaffRow::view`]. `Debug` leaves the hash out.
#[derive(Clone, FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub password_changed_at: OffsetDateTime,
    /// Set while the account is disabled: it cannot sign in.
    pub disabled_at: Option<OffsetDateTime>,
    /// An admin reset the password: the account must choose its own before anything else.
    pub must_change_password: bool,
    /// When two-factor sign-in was turned on (the secret itself is read only where codes are
    /// checked: [`totp_secret`]).
    pub totp_enabled_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for StaffRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffRow")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("password_hash", &"[redacted]")
            .field("password_changed_at", &self.password_changed_at)
            .field("disabled_at", &self.disabled_at)
            .field("must_change_password", &self.must_change_password)
            .field("totp_enabled_at", &self.totp_enabled_at)
            .finish()
    }
}

impl StaffRow {
    pub fn role(&self) -> Role {
        // The CHECK constraint allows only the three names; fall back to the least power.
        Role::parse(&self.role).unwrap_or(Role::Viewer)
    }

    pub fn view(&self) -> StaffView {
        StaffView {
            id: self.id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: self.role(),
        }
    }
}

pub const COLUMNS: &str = "id, email, display_name, role, password_hash, password_changed_at, \
                           disabled_at, must_change_password, totp_enabled_at";

pub async fn count(db: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM staff")
        .fetch_one(db)
        .await
}

pub async fn by_email(db: &PgPool, email: &str) -> Result<Option<StaffRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff WHERE lower(email) = lower($1)"
    ))
    .bind(email)
    .fetch_optional(db)
    .await
}

pub async fn by_id(db: &PgPool, id: i64) -> Result<Option<StaffRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM staff WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub struct NewStaff<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub now: OffsetDateTime,
}

/// How an insert treats the accounts already there.
#[derive(Clone, Copy)]
enum Insert {
    /// Only while no account exists at all (the first admin).
    IntoEmptyTable,
    /// Not when the email is taken.
    NewEmail,
    /// An existing email gets the new password and role, and is enabled with two-factor
    /// sign-in off (the CLI's break-glass reset: someone with the server's shell is trusted).
    OrReset,
}

/// The one INSERT of an account; `Some((id, created))`, or `None` when `mode` refused it.
async fn insert_row<'e>(
    db: impl sqlx::PgExecutor<'e>,
    new: NewStaff<'_>,
    mode: Insert,
) -> Result<Option<(i64, bool)>, sqlx::Error> {
    let columns = "INSERT INTO staff (email, display_name, role, password_hash, password_changed_at, created_at)";
    let rest = match mode {
        Insert::IntoEmptyTable => {
            "SELECT $1, $2, $3, $4, $5, $5 WHERE NOT EXISTS (SELECT 1 FROM staff)"
        }
        Insert::NewEmail => {
            "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT ((lower(email))) DO NOTHING"
        }
        Insert::OrReset => {
            "VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT ((lower(email))) DO UPDATE
                 SET role = EXCLUDED.role,
                     password_hash = EXCLUDED.password_hash,
                     password_changed_at = EXCLUDED.password_changed_at,
                     disabled_at = NULL,
                     must_change_password = false,
                     totp_secret = NULL,
                     totp_pending_secret = NULL,
                     totp_enabled_at = NULL,
                     totp_last_step = NULL"
        }
    };
    sqlx::query_as(&format!(
        "{columns} {rest} RETURNING id, (xmax = 0) AS created"
    ))
    .bind(new.email)
    .bind(new.display_name)
    .bind(new.role.as_str())
    .bind(new.password_hash)
    .bind(new.now)
    .fetch_optional(db)
    .await
}

/// Creates the first admin, but only while no account exists: two setup requests racing each
/// other cannot both succeed. Returns `None` when an account already exists.
pub async fn insert_first(db: &PgPool, new: NewStaff<'_>) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("LOCK TABLE staff IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let inserted = insert_row(&mut *tx, new, Insert::IntoEmptyTable).await?;
    tx.commit().await?;
    Ok(inserted.map(|(id, _)| id))
}

/// Creates an account, or for an existing email resets its password and role (the CLI's
/// "create or reset an admin"). Returns the id and whether it was created.
pub async fn upsert(db: &PgPool, new: NewStaff<'_>) -> Result<(i64, bool), sqlx::Error> {
    insert_row(db, new, Insert::OrReset)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// Creates an account. `Ok(None)` when the email is taken.
pub async fn insert(db: &PgPool, new: NewStaff<'_>) -> Result<Option<i64>, sqlx::Error> {
    Ok(insert_row(db, new, Insert::NewEmail)
        .await?
        .map(|(id, _)| id))
}

/// The account's own new password (which also ends a reset's "must change" state).
pub async fn set_password(
    db: &PgPool,
    id: i64,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE staff SET password_hash = $2, password_changed_at = $3, \
         must_change_password = false WHERE id = $1",
    )
    .bind(id)
    .bind(password_hash)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Every account, for the staff page (no hashes leave this module's callers).
pub async fn list(db: &PgPool) -> Result<Vec<StaffRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff ORDER BY lower(email)"
    ))
    .fetch_all(db)
    .await
}

/// An account as the staff page lists it: with its lockout and its open sessions.
#[derive(FromRow)]
pub struct AccountRow {
    #[sqlx(flatten)]
    pub staff: StaffRow,
    pub locked_until: Option<OffsetDateTime>,
    pub sessions: i64,
}

/// Which accounts [`accounts`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Accounts {
    All,
    One(i64),
}

/// Accounts with their lockout (the throttle is keyed by the lower-cased email) and the
/// number of their sessions that are still open.
pub async fn accounts(
    db: &PgPool,
    which: Accounts,
    now: OffsetDateTime,
) -> Result<Vec<AccountRow>, sqlx::Error> {
    let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("s.{c}")).collect();
    let id = match which {
        Accounts::All => None,
        Accounts::One(id) => Some(id),
    };
    sqlx::query_as(&format!(
        "SELECT {}, t.locked_until,
                (SELECT count(*) FROM staff_sessions ss
                  WHERE ss.staff_id = s.id AND ss.expiry_date > $1) AS sessions
           FROM staff s
           LEFT JOIN sign_in_throttle t ON t.email = lower(s.email) AND t.locked_until > $1
          WHERE $2::bigint IS NULL OR s.id = $2
          ORDER BY lower(s.email)",
        columns.join(", ")
    ))
    .bind(now)
    .bind(id)
    .fetch_all(db)
    .await
}

/// What an admin does to an account that may take away an active admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Role(Role),
    Disable,
    Enable,
}

/// Why [`change_account`] changed nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    NotFound,
    /// It would leave no active admin.
    LastAdmin,
    /// The admin asking is no longer an active admin (demoted or disabled a moment ago).
    NotAdmin,
}

/// Serialises every change that could remove an admin, across instances: each one counts the
/// remaining admins only after the one before it has committed.
pub const ADMINS_LOCK: i64 = 0x4341_4441_4d49_4e53; // "CADAMINS"

/// Applies `change` to account `id` for the admin `actor`, unless it would leave no active
/// admin. Disabling deletes the account's sessions in the same transaction. Returns the
/// account as it was before.
pub async fn change_account(
    db: &PgPool,
    actor: i64,
    id: i64,
    change: AccountChange,
    now: OffsetDateTime,
) -> Result<Result<StaffRow, Refused>, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(ADMINS_LOCK)
        .execute(&mut *tx)
        .await?;
    // The guard checked the role when the request arrived; a parallel request may have
    // demoted this admin since. Checked again under the lock.
    let still_admin: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM staff WHERE id = $1 AND role = 'admin' AND disabled_at IS NULL)",
    )
    .bind(actor)
    .fetch_one(&mut *tx)
    .await?;
    if !still_admin {
        return Ok(Err(Refused::NotAdmin));
    }
    let before: Option<StaffRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(before) = before else {
        return Ok(Err(Refused::NotFound));
    };
    let active_admin = before.role() == Role::Admin && before.disabled_at.is_none();
    let removes_admin = active_admin
        && matches!(
            change,
            AccountChange::Disable | AccountChange::Role(Role::Editor | Role::Viewer)
        );
    if removes_admin {
        let others: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM staff WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if others == 0 {
            return Ok(Err(Refused::LastAdmin));
        }
    }
    match change {
        AccountChange::Role(role) => {
            sqlx::query("UPDATE staff SET role = $2 WHERE id = $1")
                .bind(id)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
        }
        AccountChange::Disable => {
            sqlx::query("UPDATE staff SET disabled_at = coalesce(disabled_at, $2) WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            end_sessions(&mut *tx, id).await?;
        }
        AccountChange::Enable => {
            sqlx::query("UPDATE staff SET disabled_at = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(Ok(before))
}

/// Deletes every session of account `id`: its next request, on any instance, is anonymous.
pub async fn end_sessions<'e>(db: impl sqlx::PgExecutor<'e>, id: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
            .bind(id)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// An admin's reset: a temporary password the account must replace at its next sign-in. Its
/// sessions end. `false` when no such account exists.
pub async fn reset_password(
    db: &PgPool,
    id: i64,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let updated = sqlx::query(
        "UPDATE staff SET password_hash = $2, password_changed_at = $3, \
         must_change_password = true WHERE id = $1",
    )
    .bind(id)
    .bind(password_hash)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    end_sessions(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(updated == 1)
}

/// Lifts a sign-in lockout on `email` (and forgets its failures). `true` when one was there.
pub async fn unlock(db: &PgPool, email: &str, now: OffsetDateTime) -> Result<bool, sqlx::Error> {
    let was_locked: Option<bool> = sqlx::query_scalar(
        "DELETE FROM sign_in_throttle WHERE email = lower($1)
         RETURNING coalesce(locked_until > $2, false)",
    )
    .bind(email)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(was_locked == Some(true))
}
