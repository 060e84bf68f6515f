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
/// A sign-in whose password was right, waiting for its two-factor code.
const PENDING_KEY: &str = "pending_second_factor";
/// How long a correct password waits for its code before signing in starts over.
pub const PENDING_FOR: i64 = 5 * 60;

/// Where a session was started from, as its owner sees it in the sessions list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub ip: Option<String>,
    /// The browser's `User-Agent`, cut to a sane length.
    pub agent: Option<String>,
}

/// Stored in the session under one key. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAuth {
    pub staff_id: i64,
    pub signed_in_at: i64,
    pub last_seen_at: i64,
    /// The account's `password_changed_at` at sign-in: a password change ends other sessions.
    pub epoch: i64,
    /// Sessions from before devices were recorded have none.
    #[serde(default)]
    pub device: Device,
}

/// A password accepted for an account with two-factor sign-in on; the code comes next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub staff_id: i64,
    pub since: i64,
    pub epoch: i64,
    pub device: Device,
}

/// Why a stored session is no longer accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired {
    Idle,
    Absolute,
}

impl SessionAuth {
    pub fn new(staff: &StaffRow, now: OffsetDateTime, device: Device) -> Self {
        let now = now.unix_timestamp();
        SessionAuth {
            staff_id: staff.id,
            signed_in_at: now,
            last_seen_at: now,
            epoch: staff.password_changed_at.unix_timestamp(),
            device,
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
    device: Device,
) -> Result<(), AppError> {
    session
        .cycle_id()
        .await
        .map_err(|e| internal("session cycle", e))?;
    session
        .remove::<PendingSignIn>(PENDING_KEY)
        .await
        .map_err(|e| internal("session store", e))?;
    store(session, SessionAuth::new(staff, now, device)).await
}

/// Holds a password-checked sign-in until its code arrives (a new session id: the anonymous
/// one before it learns nothing).
pub async fn start_pending(session: &Session, pending: PendingSignIn) -> Result<(), AppError> {
    session
        .cycle_id()
        .await
        .map_err(|e| internal("session cycle", e))?;
    session
        .insert(PENDING_KEY, pending)
        .await
        .map_err(|e| internal("session store", e))
}

/// The sign-in waiting for its code, while it is younger than [`PENDING_FOR`].
pub async fn pending(
    session: &Session,
    now: OffsetDateTime,
) -> Result<Option<PendingSignIn>, AppError> {
    let pending: Option<PendingSignIn> = session
        .get(PENDING_KEY)
        .await
        .map_err(|e| internal("session load", e))?;
    Ok(pending.filter(|p| now.unix_timestamp() - p.since < PENDING_FOR))
}

impl Device {
    /// From a request's client address and `User-Agent` header.
    pub fn new(ip: Option<std::net::IpAddr>, agent: Option<&str>) -> Device {
        Device {
            ip: ip.map(|ip| ip.to_string()),
            agent: agent
                .map(|a| a.chars().filter(|c| !c.is_control()).take(300).collect())
                .filter(|a: &String| !a.is_empty()),
        }
    }
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
            device: Device::default(),
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
