//! The sessions list: open sessions with their accounts, and ending one by its handle. (The
//! session store itself is `auth::final_store`.)

use sqlx::{FromRow, PgPool};
use time::OffsetDateTime;

/// An open signed-in session. `id` is the cookie's value: it stays on the server.
#[derive(FromRow)]
pub struct SessionRow {
    pub handle: i64,
    pub id: String,
    pub staff_id: i64,
    pub email: String,
    pub display_name: String,
    /// The encoded tower-sessions record (decoded by `auth::final_store::auth_of`).
    pub data: Vec<u8>,
}

/// The open sessions of `staff_id`, or of everyone when `None`.
pub async fn open(
    db: &PgPool,
    staff_id: Option<i64>,
    now: OffsetDateTime,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT ss.handle, ss.id, s.id AS staff_id, s.email, s.display_name, ss.data
           FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
          WHERE ss.expiry_date > $2 AND ($1::bigint IS NULL OR ss.staff_id = $1)
          ORDER BY lower(s.email), ss.handle DESC",
    )
    .bind(staff_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// Ends the session named `handle` when it belongs to `owner` (any account's when `None`).
/// Returns its account, or `None` when no such session was there to end.
pub async fn end(db: &PgPool, handle: i64, owner: Option<i64>) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "DELETE FROM staff_sessions
          WHERE handle = $1 AND staff_id IS NOT NULL AND ($2::bigint IS NULL OR staff_id = $2)
          RETURNING staff_id",
    )
    .bind(handle)
    .bind(owner)
    .fetch_optional(db)
    .await
}
