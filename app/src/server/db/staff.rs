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

pub const COLUMNS: &str = "id, email, display_name, role, password_hash, password_changed_at";

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
    /// An existing email gets the new password and role (the CLI's reset).
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
                     password_changed_at = EXCLUDED.password_changed_at"
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

pub async fn set_password(
    db: &PgPool,
    id: i64,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE staff SET password_hash = $2, password_changed_at = $3 WHERE id = $1")
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
