//! The signed-in staff member's own account: changing their password.

use super::{guard, sign_in::Guarded};
use crate::error::AppError;
use crate::model::{validate, Secret, StaffView};
use crate::server::audit::{self, Actor, Change, Entry};
use crate::server::db;
use crate::server::AppState;
use tower_sessions::Session;

/// Changes the signed-in staff member's own password. Their other sessions end. Wrong current
/// passwords count in the same per-email throttle as sign-ins: a stolen session cannot be used
/// to guess the password without limit.
pub async fn change_password(
    state: &AppState,
    session: &Session,
    staff: &StaffView,
    current: Secret,
    new: Secret,
    confirm: Secret,
) -> Result<(), AppError> {
    validate::new_password(new.expose()).map_err(|m| AppError::invalid("new_password", m))?;
    if new == current {
        return Err(AppError::invalid(
            "new_password",
            "Choose a new password, different from the current one.",
        ));
    }
    if new != confirm {
        return Err(AppError::invalid(
            "confirm_password",
            "The two new passwords differ.",
        ));
    }
    let row = db::staff::by_id(&state.db, staff.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let email = row.email.to_lowercase();
    let guarded = Guarded {
        actor: Actor::Staff(staff),
        email: &email,
        action: "auth.password_change",
        failure: "current password wrong",
    };
    let current = current.into_inner();
    let hash = row.password_hash.clone();
    let verified = guarded
        .run(state, async {
            Ok(!current.is_empty() && state.passwords.verify(current, Some(hash)).await?)
        })
        .await?;
    if !verified {
        return Err(AppError::invalid(
            "current_password",
            "The current password is incorrect.",
        ));
    }
    let hash = state.passwords.hash(new.into_inner()).await?;
    db::staff::set_password(&state.db, staff.id, &hash, state.clock.now()).await?;
    let row = db::staff::by_id(&state.db, staff.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    guard::renew_epoch(session, &row).await?;
    let entry = Entry::ok(Actor::Staff(staff), "auth.password_change", None)
        .with_changes(vec![Change::new("password", "", "")]);
    audit::record(state, entry).await
}
