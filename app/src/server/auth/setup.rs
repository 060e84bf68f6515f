//! First run: the one-time setup link creates the first admin, and the `create-admin` command
//! creates or resets an admin from the server's shell.

use super::{password, session};
use crate::error::AppError;
use crate::model::{Role, Secret, StaffView};
use crate::server::audit::{self, Actor, Change, Entry, Target};
use crate::server::db;
use crate::server::staff::Account;
use crate::server::AppState;
use tower_sessions::Session;

/// The setup form: who the first admin is, and their password twice.
pub struct FirstAdmin<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: Secret,
    pub confirm: Secret,
}

/// Creates the first admin through the one-time setup token, then signs them in.
pub async fn complete_setup(
    state: &AppState,
    session: &Session,
    device: super::session::Device,
    token: &Secret,
    form: FirstAdmin<'_>,
) -> Result<StaffView, AppError> {
    let FirstAdmin {
        email,
        display_name,
        password: new_password,
        confirm,
    } = form;
    if !state.setup.matches(token.expose()) {
        return Err(AppError::Rejected(
            "This setup link is not valid (it may have been used already). Restart the server to \
             print a new one, or use the create-admin command."
                .into(),
        ));
    }
    let account = Account::checked(email, display_name, new_password.expose())?;
    if new_password != confirm {
        return Err(AppError::invalid(
            "confirm_password",
            "The two passwords differ.",
        ));
    }
    let hash = state.passwords.hash(new_password.into_inner()).await?;
    let now = state.clock.now();
    let row = account.row(Role::Admin, &hash, now);
    let Some(id) = db::staff::insert_first(&state.db, row).await? else {
        state.setup.close();
        return Err(AppError::Rejected(
            "Setup is already complete: sign in instead.".into(),
        ));
    };
    state.setup.close();
    let row = db::staff::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    session::start(session, &row, now, device).await?;
    let view = row.view();
    let entry = account.created_entry(
        Actor::Staff(&view),
        "staff.create_first_admin",
        id,
        Role::Admin,
    );
    audit::record(state, entry).await?;
    Ok(view)
}

/// The `create-admin` command: creates an admin, or resets an existing account's password and
/// makes it an admin. Audited with the CLI as the actor.
pub async fn create_or_reset_admin(
    state: &AppState,
    email: &str,
    display_name: &str,
    new_password: String,
) -> Result<(i64, bool), AppError> {
    let account = Account::checked(email, display_name, &new_password)?;
    let hash = password::hash(new_password).await?;
    let row = account.row(Role::Admin, &hash, state.clock.now());
    let (id, created) = db::staff::upsert(&state.db, row).await?;
    let action = if created {
        "staff.create_admin_cli"
    } else {
        "staff.reset_admin_cli"
    };
    let cli = Actor::Anonymous {
        email: "command line",
    };
    let entry = Entry::ok(cli, action, Some(Target::Staff(id))).with_changes(vec![
        Change::new("role", serde_json::Value::Null, "admin"),
        Change::new("password", "", ""),
    ]);
    audit::record(state, entry).await?;
    state.setup.close();
    Ok((id, created))
}
