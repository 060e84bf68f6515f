//! The sessions list: each staff member's open sessions (admins: everyone's), and ending one.
//! Sessions live in Postgres, so an ended session is refused on its next request on every
//! instance.

use super::final_store;
use crate::error::AppError;
use crate::model::staff::describe_agent;
use crate::model::{Role, SessionView, StaffView};
use crate::server::audit::{self, Actor, Entry, Target};
use crate::server::db;
use crate::server::AppState;
use tower_sessions::Session;

/// Whose sessions a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Mine,
    /// One account's (admins only, or the account itself).
    Account(i64),
    /// Everyone's (admins only).
    Everyone,
}

/// The open sessions, newest first within each account; the one this request came with is
/// marked `current`.
pub async fn list(
    state: &AppState,
    session: &Session,
    staff: &StaffView,
    whose: Whose,
) -> Result<Vec<SessionView>, AppError> {
    let owner = match whose {
        Whose::Mine => Some(staff.id),
        Whose::Account(id) if id == staff.id || staff.role == Role::Admin => Some(id),
        Whose::Everyone if staff.role == Role::Admin => None,
        Whose::Account(_) | Whose::Everyone => return Err(AppError::Forbidden),
    };
    let current = session.id().map(|id| id.to_string());
    let rows = db::sessions::open(&state.db, owner, state.clock.now()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let auth = final_store::auth_of(&row.data)?;
            Some(SessionView {
                handle: row.handle,
                staff_id: row.staff_id,
                staff_email: row.email,
                staff_name: row.display_name,
                device: describe_agent(auth.device.agent.as_deref()),
                ip: auth.device.ip,
                signed_in_at: auth.signed_in_at,
                last_active_at: auth.last_seen_at,
                current: current.as_deref() == Some(row.id.as_str()),
            })
        })
        .collect())
}

/// Ends the session `handle`: the staff member's own, or anyone's for an admin. Ending the
/// current session signs out.
pub async fn end(state: &AppState, staff: &StaffView, handle: i64) -> Result<(), AppError> {
    let owner = (staff.role != Role::Admin).then_some(staff.id);
    let Some(owner_id) = db::sessions::end(&state.db, handle, owner).await? else {
        return Err(AppError::Rejected("That session has already ended.".into()));
    };
    let entry = Entry::ok(
        Actor::Staff(staff),
        "auth.session_end",
        Some(Target::Staff(owner_id)),
    );
    audit::record(state, entry).await?;
    // The store never writes a deleted session back, so ending the current one signs out
    // even though this request still holds it.
    Ok(())
}
