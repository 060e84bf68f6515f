//! Signing in and out: the attempt caps, the per-email throttle, the password gate, and
//! their audit entries. `PasswordCheck` is shared with the password change.

use super::session::{self, Device, PendingSignIn};
use super::two_factor;
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

/// What a correct password leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedIn {
    /// Signed in.
    Done(StaffView),
    /// The account has two-factor sign-in: the code comes next ([`complete_with_code`]).
    CodeNeeded,
}

/// Refused after a correct password: the account is disabled.
pub const DISABLED: &str = "This account is disabled. Ask an admin to enable it.";

/// Checks the credentials and starts a session. In order: the per-address and overall
/// attempt caps (in memory, cheap), the per-email claim (one statement that checks the lock
/// and counts the attempt), then the password check behind the bounded [`PasswordGate`].
/// An account with two-factor sign-in gets a pending session that only its code completes.
///
/// [`PasswordGate`]: super::password::PasswordGate
pub async fn sign_in(
    state: &AppState,
    session: &Session,
    client: Option<IpAddr>,
    device: Device,
    email: &str,
    password: Secret,
) -> Result<SignedIn, AppError> {
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
    let guarded = Guarded {
        actor: Actor::Anonymous { email: &email },
        email: &email,
        action: "auth.sign_in",
        failure: BAD_CREDENTIALS,
    };
    let verified = guarded
        .run(state, async {
            Ok(!password.is_empty() && state.passwords.verify(password, stored_hash).await?)
        })
        .await?;
    let Some(staff) = staff.filter(|_| verified) else {
        return Err(AppError::Rejected(BAD_CREDENTIALS.into()));
    };
    if staff.disabled_at.is_some() {
        let entry = Entry::refused(
            Actor::Anonymous { email: &email },
            "auth.sign_in",
            "account disabled",
        );
        audit::record(state, entry).await?;
        return Err(AppError::Rejected(DISABLED.into()));
    }
    if staff.totp_enabled_at.is_some() {
        let pending = PendingSignIn {
            staff_id: staff.id,
            since: now.unix_timestamp(),
            epoch: staff.password_changed_at.unix_timestamp(),
            device,
        };
        session::start_pending(session, pending).await?;
        return Ok(SignedIn::CodeNeeded);
    }
    session::start(session, &staff, now, device).await?;
    let view = staff.view();
    audit::record(state, Entry::ok(Actor::Staff(&view), "auth.sign_in", None)).await?;
    Ok(SignedIn::Done(view))
}

/// The message when the pending sign-in is gone (too old, or never was).
use crate::model::staff::SIGN_IN_STARTS_AGAIN as START_AGAIN;

/// Completes a pending sign-in with a code from the authenticator app or a recovery code.
/// Wrong codes count in the same per-email throttle as wrong passwords.
pub async fn complete_with_code(
    state: &AppState,
    session: &Session,
    client: Option<IpAddr>,
    code: Secret,
) -> Result<StaffView, AppError> {
    let now = state.clock.now();
    let Some(pending) = session::pending(session, now).await? else {
        return Err(AppError::Rejected(START_AGAIN.into()));
    };
    if code.expose().trim().is_empty() {
        return Err(AppError::invalid("code", "Enter the code from your app."));
    }
    if let Err(wait) = state.sign_in_cap.check(client, now) {
        return Err(AppError::RateLimited(wait.max(1)));
    }
    let staff = db::staff::by_id(&state.db, pending.staff_id)
        .await?
        .filter(|s| {
            s.disabled_at.is_none() && s.password_changed_at.unix_timestamp() == pending.epoch
        })
        .ok_or_else(|| AppError::Rejected(START_AGAIN.into()))?;
    let email = staff.email.to_lowercase();
    let guarded = Guarded {
        actor: Actor::Anonymous { email: &email },
        email: &email,
        action: "auth.sign_in",
        failure: "wrong two-factor code",
    };
    let mut kind = None;
    let accepted = guarded
        .run(state, async {
            kind = two_factor::check_code(state, staff.id, code.expose()).await?;
            Ok(kind.is_some())
        })
        .await?;
    if !accepted {
        return Err(AppError::invalid(
            "code",
            "That code is not right, or it was used already. Enter the newest code.",
        ));
    }
    session::start(session, &staff, now, pending.device).await?;
    let view = staff.view();
    let how = match kind {
        Some(two_factor::CodeKind::Recovery) => "with a recovery code",
        _ => "with an app code",
    };
    let entry = Entry::ok(Actor::Staff(&view), "auth.sign_in", None).noted(how);
    audit::record(state, entry).await?;
    Ok(view)
}

/// One check under the per-email throttle (see `db::throttle`): the attempt is claimed first
/// (a locked email is refused, already audited, without checking), then `check` runs (a
/// password behind the password gate, a two-factor code); a failure is counted and audited
/// (with the lockout it may engage), a success forgets earlier failures.
pub(super) struct Guarded<'a> {
    pub actor: Actor<'a>,
    /// The throttle's key: the normalised email.
    pub email: &'a str,
    /// The audit action of a failed check, and its message.
    pub action: &'a str,
    pub failure: &'a str,
}

impl Guarded<'_> {
    pub async fn run(
        &self,
        state: &AppState,
        check: impl std::future::Future<Output = Result<bool, AppError>>,
    ) -> Result<bool, AppError> {
        let now = state.clock.now();
        let attempt = match db::throttle::claim(&state.db, self.email, now).await? {
            db::throttle::Claim::Allowed(attempt) => attempt,
            db::throttle::Claim::Locked { until, engaged } => {
                let minutes = ((until - now).whole_seconds() + 59) / 60;
                let locked_out = |action| Entry::refused(self.actor, action, "locked out");
                audit::record(state, locked_out(self.action)).await?;
                if engaged {
                    audit::record(state, locked_out("auth.lockout")).await?;
                }
                return Err(AppError::Rejected(locked_message(minutes.max(1))));
            }
        };
        if check.await? {
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
    if let Some(id) = session.id() {
        state.recent_sessions.forget(&id);
    }
    session::end(session).await?;
    audit::record(state, Entry::ok(Actor::Staff(staff), "auth.sign_out", None)).await
}
