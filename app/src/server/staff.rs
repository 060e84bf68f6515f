//! Staff accounts: the list, an admin creating and managing accounts (role, disable/enable,
//! password reset, unlock), and the one check of a new account's identity and password that
//! setup and the `create-admin` command use too. The last active admin can never be removed.

use super::audit::{self, Actor, Change, Entry, Target};
use super::db::staff::{AccountChange, Accounts, Refused};
use super::db::{self, staff::NewStaff};
use super::AppState;
use crate::error::AppError;
use crate::model::{validate, Role, Secret, StaffAccount, StaffView};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A new account's identity and first password, checked (errors keyed `email`,
/// `display_name` and `password`, all reported at once).
pub struct Account {
    pub email: String,
    pub display_name: String,
}

impl Account {
    pub fn checked(email: &str, display_name: &str, password: &str) -> Result<Account, AppError> {
        let mut errors = BTreeMap::new();
        let email = validate::email(email).map_err(|m| errors.insert("email".into(), m.into()));
        let name = validate::display_name(display_name)
            .map_err(|m| errors.insert("display_name".into(), m.into()));
        if let Err(m) = validate::new_password(password) {
            errors.insert("password".into(), m);
        }
        match (email, name) {
            (Ok(email), Ok(display_name)) if errors.is_empty() => Ok(Account {
                email,
                display_name,
            }),
            _ => Err(AppError::Invalid(errors)),
        }
    }

    /// The row to insert.
    pub fn row<'a>(
        &'a self,
        role: Role,
        password_hash: &'a str,
        now: OffsetDateTime,
    ) -> NewStaff<'a> {
        NewStaff {
            email: &self.email,
            display_name: &self.display_name,
            role,
            password_hash,
            now,
        }
    }

    /// The audit entry for this account's creation by `actor`.
    pub fn created_entry<'a>(
        &'a self,
        actor: Actor<'a>,
        action: &'a str,
        id: i64,
        role: Role,
    ) -> Entry<'a> {
        Entry::ok(actor, action, Some(Target::Staff(id))).with_changes(vec![
            Change::new("email", serde_json::Value::Null, self.email.as_str()),
            Change::new("role", serde_json::Value::Null, role.as_str()),
        ])
    }
}

/// Every account with its state (no password hashes).
#[tracing::instrument(name = "staff.list", skip_all)]
pub async fn list(state: &AppState) -> Result<Vec<StaffAccount>, AppError> {
    read(state, Accounts::All).await
}

/// One account as the list shows it.
pub async fn account(state: &AppState, id: i64) -> Result<StaffAccount, AppError> {
    read(state, Accounts::One(id))
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

async fn read(state: &AppState, which: Accounts) -> Result<Vec<StaffAccount>, AppError> {
    let rows = db::staff::accounts(&state.db, which, state.clock.now()).await?;
    Ok(rows
        .into_iter()
        .map(|row| StaffAccount {
            staff: row.staff.view(),
            disabled: row.staff.disabled_at.is_some(),
            locked_until: row.locked_until.map(|t| t.unix_timestamp()),
            two_factor: row.staff.totp_enabled_at.is_some(),
            must_change_password: row.staff.must_change_password,
            open_sessions: row.sessions,
        })
        .collect())
}

const LAST_ADMIN: &str =
    "This is the last active admin. Make another account an admin first, so someone can still manage the dashboard.";

/// An admin changes another account's role, or disables or re-enables it (disabling ends its
/// sessions at once). Nobody can demote or disable themself, and the last active admin stays.
#[tracing::instrument(name = "staff.change", skip_all, fields(target = id))]
pub async fn change(
    state: &AppState,
    admin: &StaffView,
    id: i64,
    change: AccountChange,
) -> Result<(), AppError> {
    if id == admin.id && change != AccountChange::Role(Role::Admin) {
        let what = match change {
            AccountChange::Disable => "disable your own account",
            _ => "change your own role",
        };
        return Err(AppError::Rejected(format!(
            "You cannot {what}. Ask another admin."
        )));
    }
    let before = match db::staff::change_account(&state.db, admin.id, id, change, state.clock.now())
        .await?
    {
        Ok(before) => before,
        Err(Refused::NotFound) => return Err(AppError::NotFound),
        Err(Refused::NotAdmin) => return Err(AppError::Forbidden),
        Err(Refused::LastAdmin) => {
            let entry = Entry::refused(Actor::Staff(admin), change_action(change), LAST_ADMIN);
            audit::record(
                state,
                Entry {
                    target: Some(Target::Staff(id)),
                    ..entry
                },
            )
            .await?;
            return Err(AppError::Rejected(LAST_ADMIN.into()));
        }
    };
    let changes = match change {
        AccountChange::Role(role) => {
            vec![Change::new("role", before.role().as_str(), role.as_str())]
        }
        AccountChange::Disable => vec![Change::new(
            "status",
            if before.disabled_at.is_some() {
                "disabled"
            } else {
                "active"
            },
            "disabled",
        )],
        AccountChange::Enable => vec![Change::new(
            "status",
            if before.disabled_at.is_some() {
                "disabled"
            } else {
                "active"
            },
            "active",
        )],
    };
    let entry = Entry::ok(
        Actor::Staff(admin),
        change_action(change),
        Some(Target::Staff(id)),
    )
    .with_changes(changes);
    audit::record(state, entry).await
}

fn change_action(change: AccountChange) -> &'static str {
    match change {
        AccountChange::Role(_) => "staff.role",
        AccountChange::Disable => "staff.disable",
        AccountChange::Enable => "staff.enable",
    }
}

/// An admin sets a temporary password for another account: its sessions end, and it must
/// choose its own password at the next sign-in.
#[tracing::instrument(name = "staff.reset_password", skip_all, fields(target = id))]
pub async fn reset_password(
    state: &AppState,
    admin: &StaffView,
    id: i64,
    temporary: Secret,
) -> Result<(), AppError> {
    if id == admin.id {
        return Err(AppError::Rejected(
            "Change your own password on the account page instead.".into(),
        ));
    }
    validate::new_password(temporary.expose()).map_err(|m| AppError::invalid("password", m))?;
    let hash = state.passwords.hash(temporary.into_inner()).await?;
    if !db::staff::reset_password(&state.db, id, &hash, state.clock.now()).await? {
        return Err(AppError::NotFound);
    }
    let entry = Entry::ok(
        Actor::Staff(admin),
        "staff.reset_password",
        Some(Target::Staff(id)),
    )
    .with_changes(vec![Change::new("must_change_password", false, true)]);
    audit::record(state, entry).await
}

/// An admin lifts a sign-in lockout on another account.
#[tracing::instrument(name = "staff.unlock", skip_all, fields(target = id))]
pub async fn unlock(state: &AppState, admin: &StaffView, id: i64) -> Result<(), AppError> {
    let row = db::staff::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !db::staff::unlock(&state.db, &row.email, state.clock.now()).await? {
        return Err(AppError::Rejected("This account is not locked out.".into()));
    }
    let entry = Entry::ok(Actor::Staff(admin), "staff.unlock", Some(Target::Staff(id)))
        .with_changes(vec![Change::new("locked", true, false)]);
    audit::record(state, entry).await
}

/// An admin creates a staff account with an initial password (to hand over out of band).
#[tracing::instrument(name = "staff.create", skip_all)]
pub async fn create(
    state: &AppState,
    admin: &StaffView,
    email: &str,
    display_name: &str,
    role: Role,
    initial_password: Secret,
) -> Result<StaffView, AppError> {
    let account = Account::checked(email, display_name, initial_password.expose())?;
    let hash = state.passwords.hash(initial_password.into_inner()).await?;
    let row = account.row(role, &hash, state.clock.now());
    let Some(id) = db::staff::insert(&state.db, row).await? else {
        return Err(AppError::invalid(
            "email",
            "A staff account with this email already exists.",
        ));
    };
    let entry = account.created_entry(Actor::Staff(admin), "staff.create", id, role);
    audit::record(state, entry).await?;
    Ok(StaffView {
        id,
        email: account.email,
        display_name: account.display_name,
        role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_part_of_a_new_account_is_reported_at_once() {
        let Err(AppError::Invalid(errors)) = Account::checked("nope", "", "short") else {
            panic!("expected field errors");
        };
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["display_name", "email", "password"]);
        let account = Account::checked(" Ann@Example.com ", "Ann", "a long enough passphrase")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(account.email, "ann@example.com");
    }
}
