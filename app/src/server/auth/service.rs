//! Sign-in, sign-out, password change and first-run setup: the rules, with their audit entries.
//! The server functions in `pages::auth` are thin wrappers over these.

use super::{guard, password, session};
use crate::error::AppError;
use crate::model::Secret;
use crate::model::{validate, Role, StaffView};
use crate::server::audit::{self, Actor, Change, Entry, Outcome};
use crate::server::db::{self, staff::NewStaff};
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
    audit::record(state, ok_entry(&view, "auth.sign_in", vec![])).await?;
    Ok(view)
}

/// One password check under the per-email throttle (see `db::throttle`): the attempt is
/// claimed first (a locked email is refused, already audited, without checking), then the
/// password is verified behind the password gate; a failure is counted and audited (with the
/// lockout it may engage), a success forgets earlier failures.
struct PasswordCheck<'a> {
    actor: Actor<'a>,
    /// The throttle's key: the normalised email.
    email: &'a str,
    /// The audit action of a failed check, and its message.
    action: &'a str,
    failure: &'a str,
}

impl PasswordCheck<'_> {
    async fn run(
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
                let locked_out = |action| refused(self.actor, action, "locked out");
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
        audit::record(state, refused(self.actor, self.action, self.failure)).await?;
        if locked {
            audit::record(state, refused(self.actor, "auth.lockout", self.failure)).await?;
        }
        Ok(false)
    }
}

/// An audit entry for a security event that was refused.
fn refused<'a>(actor: Actor<'a>, action: &'a str, message: &'a str) -> Entry<'a> {
    Entry {
        actor,
        action,
        target: None,
        changes: vec![],
        outcome: Outcome::Failed {
            upstream_status: None,
            message,
        },
        action_id: None,
    }
}

fn ok_entry<'a>(staff: &'a StaffView, action: &'a str, changes: Vec<Change>) -> Entry<'a> {
    Entry {
        actor: Actor::Staff(staff),
        action,
        target: None,
        changes,
        outcome: Outcome::Ok,
        action_id: None,
    }
}

pub async fn sign_out(
    state: &AppState,
    session: &Session,
    staff: &StaffView,
) -> Result<(), AppError> {
    session::end(session).await?;
    audit::record(state, ok_entry(staff, "auth.sign_out", vec![])).await
}

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
    let check = PasswordCheck {
        actor: Actor::Staff(staff),
        email: &email,
        action: "auth.password_change",
        failure: "current password wrong",
    };
    if !check
        .run(state, current.into_inner(), Some(row.password_hash.clone()))
        .await?
    {
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
    let changes = vec![Change::new("password", "", "")];
    audit::record(state, ok_entry(staff, "auth.password_change", changes)).await
}

/// Creates the first admin through the one-time setup token, then signs them in.
pub async fn complete_setup(
    state: &AppState,
    session: &Session,
    token: &Secret,
    email: &str,
    display_name: &str,
    new_password: Secret,
    confirm: Secret,
) -> Result<StaffView, AppError> {
    if !state.setup.matches(token.expose()) {
        return Err(AppError::Rejected(
            "This setup link is not valid (it may have been used already). Restart the server to \
             print a new one, or use the create-admin command."
                .into(),
        ));
    }
    let (email, display_name) = validate_identity(email, display_name)?;
    validate::new_password(new_password.expose()).map_err(|m| AppError::invalid("password", m))?;
    if new_password != confirm {
        return Err(AppError::invalid(
            "confirm_password",
            "The two passwords differ.",
        ));
    }
    let hash = state.passwords.hash(new_password.into_inner()).await?;
    let now = state.clock.now();
    let new = NewStaff {
        email: &email,
        display_name: &display_name,
        role: Role::Admin,
        password_hash: &hash,
        now,
    };
    let Some(id) = db::staff::insert_first(&state.db, new).await? else {
        state.setup.close();
        return Err(AppError::Rejected(
            "Setup is already complete: sign in instead.".into(),
        ));
    };
    state.setup.close();
    let row = db::staff::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    session::start(session, &row, now).await?;
    let view = row.view();
    let id_text = id.to_string();
    let entry = Entry {
        actor: Actor::Staff(&view),
        action: "staff.create_first_admin",
        target: Some(("staff", &id_text)),
        changes: vec![Change::new(
            "email",
            serde_json::Value::Null,
            email.as_str(),
        )],
        outcome: Outcome::Ok,
        action_id: None,
    };
    audit::record(state, entry).await?;
    Ok(view)
}

fn validate_identity(email: &str, display_name: &str) -> Result<(String, String), AppError> {
    let mut errors = std::collections::BTreeMap::new();
    let email = validate::email(email).map_err(|m| errors.insert("email".into(), m.to_string()));
    let name = validate::display_name(display_name)
        .map_err(|m| errors.insert("display_name".into(), m.to_string()));
    match (email, name) {
        (Ok(email), Ok(name)) => Ok((email, name)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// The `create-admin` command: creates an admin, or resets an existing account's password and
/// makes it an admin. Audited with the CLI as the actor.
pub async fn create_or_reset_admin(
    state: &AppState,
    email: &str,
    display_name: &str,
    new_password: String,
) -> Result<(i64, bool), AppError> {
    let (email, display_name) = validate_identity(email, display_name)?;
    validate::new_password(&new_password).map_err(|m| AppError::invalid("password", m))?;
    let hash = password::hash(new_password).await?;
    let new = NewStaff {
        email: &email,
        display_name: &display_name,
        role: Role::Admin,
        password_hash: &hash,
        now: state.clock.now(),
    };
    let (id, created) = db::staff::upsert(&state.db, new).await?;
    let id_text = id.to_string();
    let entry = Entry {
        actor: Actor::Anonymous {
            email: "command line",
        },
        action: if created {
            "staff.create_admin_cli"
        } else {
            "staff.reset_admin_cli"
        },
        target: Some(("staff", &id_text)),
        changes: vec![
            Change::new("role", serde_json::Value::Null, "admin"),
            Change::new("password", "", ""),
        ],
        outcome: Outcome::Ok,
        action_id: None,
    };
    audit::record(state, entry).await?;
    state.setup.close();
    Ok((id, created))
}

/// An admin creates a staff account with an initial password (to hand over out of band).
pub async fn create_staff(
    state: &AppState,
    admin: &StaffView,
    email: &str,
    display_name: &str,
    role: Role,
    initial_password: Secret,
) -> Result<StaffView, AppError> {
    let (email, display_name) = validate_identity(email, display_name)?;
    validate::new_password(initial_password.expose())
        .map_err(|m| AppError::invalid("password", m))?;
    let hash = state.passwords.hash(initial_password.into_inner()).await?;
    let new = NewStaff {
        email: &email,
        display_name: &display_name,
        role,
        password_hash: &hash,
        now: state.clock.now(),
    };
    let Some(id) = db::staff::insert(&state.db, new).await? else {
        return Err(AppError::invalid(
            "email",
            "A staff account with this email already exists.",
        ));
    };
    let id_text = id.to_string();
    let entry = Entry {
        actor: Actor::Staff(admin),
        action: "staff.create",
        target: Some(("staff", &id_text)),
        changes: vec![
            Change::new("email", serde_json::Value::Null, email.as_str()),
            Change::new("role", serde_json::Value::Null, role.as_str()),
        ],
        outcome: Outcome::Ok,
        action_id: None,
    };
    audit::record(state, entry).await?;
    Ok(StaffView {
        id,
        email,
        display_name,
        role,
    })
}
