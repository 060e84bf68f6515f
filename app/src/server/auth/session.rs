//! What a signed-in session holds, and the idle/absolute expiry rules (read from the app's
//! clock, so tests can move time).

use crate::error::AppError;
use crate::server::db::staff::StaffRow;
use crate::server::errors::internal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::session::Record;
use tower_sessions::Session;

const KEY: &str = "auth";

/// Stored in the session under one key. Times are Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAuth {
    pub staff_id: i64,
    pub signed_in_at: i64,
    pub last_seen_at: i64,
    /// The account's `password_changed_at` at sign-in: a password change ends other sessions.
    pub epoch: i64,
}

/// Why a stored session is no longer accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired {
    Idle,
    Absolute,
}

impl SessionAuth {
    pub fn new(staff: &StaffRow, now: OffsetDateTime) -> Self {
        let now = now.unix_timestamp();
        SessionAuth {
            staff_id: staff.id,
            signed_in_at: now,
            last_seen_at: now,
            epoch: staff.password_changed_at.unix_timestamp(),
        }
    }

    pub fn check(
        &self,
        now: OffsetDateTime,
        idle: std::time::Duration,
        absolute: std::time::Duration,
    ) -> Result<(), Expired> {
        let now = now.unix_timestamp();
        if now - self.signed_in_at >= absolute.as_secs() as i64 {
            return Err(Expired::Absolute);
        }
        if now - self.last_seen_at >= idle.as_secs() as i64 {
            return Err(Expired::Idle);
        }
        Ok(())
    }
}

/// The sign-in a stored record holds, if any (what the store reads without a [`Session`]).
pub fn auth_in(record: &Record) -> Option<SessionAuth> {
    let value = record.data.get(KEY)?;
    serde_json::from_value(value.clone()).ok()
}

pub async fn load(session: &Session) -> Result<Option<SessionAuth>, AppError> {
    session
        .get(KEY)
        .await
        .map_err(|e| internal("session load", e))
}

pub async fn store(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    session
        .insert(KEY, auth)
        .await
        .map_err(|e| internal("session store", e))
}

/// Signs `staff` in: a new session id (no fixation), then the auth record.
pub async fn start(
    session: &Session,
    staff: &StaffRow,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    session
        .cycle_id()
        .await
        .map_err(|e| internal("session cycle", e))?;
    store(session, SessionAuth::new(staff, now)).await
}

/// Deletes the session server-side; the cookie it had is dead from now on.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session
        .flush()
        .await
        .map_err(|e| internal("session flush", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn auth(signed_in_at: i64, last_seen_at: i64) -> SessionAuth {
        SessionAuth {
            staff_id: 1,
            signed_in_at,
            last_seen_at,
            epoch: 0,
        }
    }

    #[test]
    fn a_session_expires_after_idling_or_at_its_absolute_lifetime() {
        let idle = Duration::from_secs(30 * 60);
        let absolute = Duration::from_secs(12 * 3600);
        let at = |secs| OffsetDateTime::from_unix_timestamp(secs).unwrap();
        assert_eq!(auth(0, 0).check(at(29 * 60), idle, absolute), Ok(()));
        assert_eq!(
            auth(0, 0).check(at(30 * 60), idle, absolute),
            Err(Expired::Idle)
        );
        let busy = auth(0, 12 * 3600 - 60);
        assert_eq!(
            busy.check(at(12 * 3600), idle, absolute),
            Err(Expired::Absolute)
        );
    }
}
