//! Staff accounts: the list, an admin creating an account, and the one check of a new
//! account's identity and password that setup and the `create-admin` command use too.

use super::audit::{self, Actor, Change, Entry, Target};
use super::db::{self, staff::NewStaff};
use super::AppState;
use crate::error::AppError;
use crate::model::{validate, Role, Secret, StaffView};
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

/// Every account (no password hashes).
#[tracing::instrument(name = "staff.list", skip_all)]
pub async fn list(state: &AppState) -> Result<Vec<StaffView>, AppError> {
    let rows = db::staff::list(&state.db).await?;
    Ok(rows.iter().map(db::staff::StaffRow::view).collect())
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
