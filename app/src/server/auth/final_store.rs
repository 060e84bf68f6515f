//! The session store: tower-sessions' records in `staff_sessions`
//! (`migrations/20261126000002_staff_sessions.sql`), with the signed-in staff member as a
//! column beside the encoded record.
//!
//! - **Once deleted, a session stays deleted.** `save` only updates a row that still exists:
//!   a request that was in flight when its session was ended (sign-out, password change
//!   elsewhere, expiry) cannot write it back to life at its end.
//! - **One round trip per request.** [`signed_in`] reads a session and its account together,
//!   which is what the authentication guard needs on every request.

use super::session::{self, SessionAuth};
use crate::server::db::staff::{StaffRow, COLUMNS};
use async_trait::async_trait;
use sqlx::PgPool;
use std::sync::LazyLock;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, ExpiredDeletion, Result, SessionStore};

#[derive(Clone, Debug)]
pub struct FinalStore {
    db: PgPool,
}

impl FinalStore {
    pub fn new(db: PgPool) -> FinalStore {
        FinalStore { db }
    }
}

fn backend(err: sqlx::Error) -> Error {
    Error::Backend(err.to_string())
}

fn encode(record: &Record) -> Result<Vec<u8>> {
    rmp_serde::to_vec(record).map_err(|e| Error::Encode(e.to_string()))
}

fn decode(data: &[u8]) -> Result<Record> {
    rmp_serde::from_slice(data).map_err(|e| Error::Decode(e.to_string()))
}

/// The sign-in an encoded record holds (for the sessions list).
pub fn auth_of(data: &[u8]) -> Option<SessionAuth> {
    decode(data).ok().as_ref().and_then(session::auth_in)
}

/// The staff member a record signs in, kept in its own column.
fn staff_id(record: &Record) -> Option<i64> {
    session::auth_in(record).map(|auth| auth.staff_id)
}

#[async_trait]
impl SessionStore for FinalStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = encode(record)?;
        // A fresh id colliding with a stored one is astronomically unlikely; draw again if so.
        loop {
            let inserted = sqlx::query(
                "INSERT INTO staff_sessions (id, staff_id, data, expiry_date) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(staff_id(record))
            .bind(&data)
            .bind(record.expiry_date)
            .execute(&self.db)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        sqlx::query(
            "UPDATE staff_sessions SET staff_id = $2, data = $3, expiry_date = $4 WHERE id = $1",
        )
        .bind(record.id.to_string())
        .bind(staff_id(record))
        .bind(encode(record)?)
        .bind(record.expiry_date)
        .execute(&self.db)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let data: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT data FROM staff_sessions WHERE id = $1 AND expiry_date > $2",
        )
        .bind(id.to_string())
        .bind(OffsetDateTime::now_utc())
        .fetch_optional(&self.db)
        .await
        .map_err(backend)?;
        data.as_deref().map(decode).transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM staff_sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for FinalStore {
    async fn delete_expired(&self) -> Result<()> {
        sqlx::query("DELETE FROM staff_sessions WHERE expiry_date < now()")
            .execute(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// The sign-in session `id` holds and its account, in one query; `None` when the session is
/// unknown, expired, holds no sign-in, or its account is gone.
pub async fn signed_in(db: &PgPool, id: &Id) -> Result<Option<(SessionAuth, StaffRow)>> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        session_data: Vec<u8>,
        #[sqlx(flatten)]
        staff: StaffRow,
    }
    static QUERY: LazyLock<String> = LazyLock::new(|| {
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("s.{c}")).collect();
        format!(
            "SELECT ss.data AS session_data, {} FROM staff_sessions ss \
             JOIN staff s ON s.id = ss.staff_id \
             WHERE ss.id = $1 AND ss.expiry_date > $2 AND s.disabled_at IS NULL",
            columns.join(", ")
        )
    });
    let row: Option<Joined> = sqlx::query_as(&QUERY)
        .bind(id.to_string())
        .bind(OffsetDateTime::now_utc())
        .fetch_optional(db)
        .await
        .map_err(backend)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let auth = session::auth_in(&decode(&row.session_data)?);
    Ok(auth
        .filter(|auth| auth.staff_id == row.staff.id)
        .map(|auth| (auth, row.staff)))
}
