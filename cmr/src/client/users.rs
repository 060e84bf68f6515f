//! Customers: reference §4.1.

use serde_json::{Map, Value};

use super::http::Call;
use super::{CmrClient, CmrError};
use crate::types::{
    CreatedUser, NewUser, Page, ProfileField, Reply, User, UserListQuery, UserProfile,
};

impl CmrClient {
    /// `GET /users/list` — one page of customers, optionally filtered by `search`.
    ///
    /// Shape inferred (cmr-api.md §4.1): confirm against the live API. Expected
    /// `data: { users: [...], pagination: {...} }`; bare lists are accepted too (then the total
    /// is unknown and a full page may have a successor). A user without an id is kept with an
    /// empty `id`.
    pub async fn list_users(&self, query: &UserListQuery) -> Result<Reply<Page<User>>, CmrError> {
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let call = Call::get("/users/list").query_opt("search", search);
        self.send_paged(call, "users", query.page, query.limit)
            .await
    }

    /// `GET /users?userId=` — one customer's profile. When CMR's answer names no id, the
    /// requested one is filled in. `User::unknown_fields` lists the profile fields CMR did
    /// not show; pass them to [`CmrClient::update_user`] as `leave_out`.
    ///
    /// Shape inferred (cmr-api.md §4.1): confirm against the live API.
    pub async fn get_user(&self, user_id: &str) -> Result<Reply<User>, CmrError> {
        let call = Call::get("/users").query("userId", user_id);
        let mut reply: Reply<User> = self.send(call).await?.into_reply()?;
        if reply.data.id.is_empty() {
            reply.data.id = user_id.to_owned();
        }
        Ok(reply)
    }

    /// `POST /users` — creates a customer; persist `data.id` as its CMR user id.
    pub async fn create_user(&self, user: &NewUser) -> Result<Reply<CreatedUser>, CmrError> {
        let call = Call::post("/users").json(user)?;
        self.send(call).await?.into_reply()
    }

    /// `PUT /users?userId=` — sends the 14 profile fields (see [`UserProfile`]) except those
    /// named in `leave_out` (e.g. `User::unknown_fields` of the profile the edit started from).
    ///
    /// A field CMR did not show us reads as `""` in the profile; sending that `""` would erase
    /// whatever CMR holds, so such a field is left out instead. (The guide warns a partial body
    /// can fail validation: a refusal is recoverable, erased customer data is not.)
    pub async fn update_user(
        &self,
        user_id: &str,
        profile: &UserProfile,
        leave_out: &[ProfileField],
    ) -> Result<Reply<()>, CmrError> {
        let body: Map<String, Value> = ProfileField::ALL
            .into_iter()
            .filter(|field| !leave_out.contains(field))
            .map(|field| {
                (
                    field.wire_name().to_owned(),
                    Value::from(profile.get(field)),
                )
            })
            .collect();
        let call = Call::put("/users").query("userId", user_id).json(&body)?;
        Ok(self.send(call).await?.into_unit())
    }

    /// `DELETE /users?userId=` — refused while the customer has domains or mailboxes:
    /// [`CmrError::Conflict`] with `details: {domainCount, mailboxCount}`.
    ///
    /// Refusal status inferred (cmr-api.md §4.1, "400/409 likely"): confirm against the live API.
    pub async fn delete_user(&self, user_id: &str) -> Result<Reply<()>, CmrError> {
        let call = Call::delete("/users").query("userId", user_id);
        Ok(self.send(call).await?.into_unit())
    }
}
