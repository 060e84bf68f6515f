//! Signing in and out: the attempt caps, the per-email throttle, the password gate, and
//! their audit entries. `PasswordCheck` is shared with the password change.

use super::session;
use crate::error::AppError;
use crate::model::Secret;
use crate::model::{validate, StaffView};
use crate::server::audit::{self, Actor, Entry};
use crate::server::db;
use crate::server::AppState;
use std::net::IpAddr;
use tower_sessions::Session;

/// The one message for an unknown email and a wrong password alike.
pub const BAD_CREDENTIALS: &str = "The email or password is incorrect.";

fn locked_message(minutes: i64) -> String {
    format!(
        "Too many failed sign-ins for this account. Try again in {} minute{}.",
        minutes,
        if minutes == 1 { "" } else { "s" }
    )
}

/// Checks the credentials and starts a session. In order: the per-address and overall
/// attempt caps (in memory, cheap), the per-email claim (one statement that checks the lock
/// and counts the attempt), then the password check behind the bounded [`PasswordGate`].
///
/// [`PasswordGate`]: super::password::PasswordGate
pub async fn sign_in(
    state: &AppState,
    session: &Session,
    client: Option<IpAddr>,
    email: &str,
    password: Secret,
) -> Result<StaffView, AppError> {
    let email = validate::email(email).map_err(|m| AppError::invalid("email", m))?;
    if password.expose().is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    let now = state.clock.now();
    if let Err(wait) = state.sign_in_cap.check(client, now) {
        return Err(AppError::RateLimited(wait.max(1)));
    }
    // Over-long input cannot make an anonymous caller buy expensive hashing.
    let password = if password.expose().chars().count() > validate::PASSWORD_MAX_CHARS {
        String::new()
    } else {
        password.into_inner()
    };
    let staff = db::staff::by_email(&state.db, &email).await?;
    let stored_hash = staff.as_ref().map(|s| s.password_hash.clone());
    let check = PasswordCheck {
        actor: Actor::Anonymous { email: &email },
        email: &email,
        action: "auth.sign_in",
        failure: BAD_CREDENTIALS,
    };
    let verified = check.run(state, password, stored_hash).await?;
    let Some(staff) = staff.filter(|_| verified) else {
        return Err(AppError::Rejected(BAD_CREDENTIALS.into()));
    };
    session::start(session, &staff, now).await?;
    let view = staff.view();
    audit::record(state, Entry::ok(Actor::Staff(&view), "auth.sign_in", None)).await?;
    Ok(view)
}

/// One password check under the per-email throttle (see `db::throttle`): the attempt is
/// claimed first (a locked email is refused, already audited, without checking), then the
/// password is verified behind the password gate; a failure is counted and audited (with the
/// lockout it may engage), a success forgets earlier failures.
pub(super) struct PasswordCheck<'a> {
    pub actor: Actor<'a>,
    /// The throttle's key: the normalised email.
    pub email: &'a str,
    /// The audit action of a failed check, and its message.
    pub action: &'a str,
    pub failure: &'a str,
}

impl PasswordCheck<'_> {
    pub async fn run(
        &self,
        state: &AppState,
        password: String,
        stored_hash: Option<String>,
    ) -> Result<bool, AppError> {
        let now = state.clock.now();
        let attempt = match db::throttle::claim(&state.db, self.email, now).await? {
            db::throttle::Claim::Allowed(attempt) => attempt,
            db::throttle::Claim::Locked { until, engaged } => {
                let minutes = ((until - now).whole_seconds() + 59) / 60;
                let locked_out = |action| Entry::refused(self.actor, action, "locked out");
                audit::record(state, locked_out("auth.sign_in")).await?;
                if engaged {
                    audit::record(state, locked_out("auth.lockout")).await?;
                }
                return Err(AppError::Rejected(locked_message(minutes.max(1))));
            }
        };
        let verified =
            !password.is_empty() && state.passwords.verify(password, stored_hash).await?;
        if verified {
            db::throttle::succeeded(&state.db, self.email, now).await?;
            return Ok(true);
        }
        let locked = db::throttle::failed(&state.db, self.email, attempt, now).await?;
        audit::record(state, Entry::refused(self.actor, self.action, self.failure)).await?;
        if locked {
            audit::record(
                state,
                Entry::refused(self.actor, "auth.lockout", self.failure),
            )
            .await?;
        }
        Ok(false)
    }
}

/// Ends the session (its row is deleted, so the cookie is dead everywhere).
pub async fn sign_out(
    state: &AppState,
    session: &Session,
    staff: &StaffView,
) -> Result<(), AppError> {
    session::end(session).await?;
    audit::record(state, Entry::ok(Actor::Staff(staff), "auth.sign_out", None)).await
}
