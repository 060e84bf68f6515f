//! Customers: reference §4.1.

use super::http::Call;
use super::{CmrClient, CmrError};
use crate::types::{CreatedUser, NewUser, Page, Reply, User, UserListQuery, UserProfile};

impl CmrClient {
    /// `GET /users/list` — one page of customers, optionally filtered by `search`.
    ///
    /// Shape inferred (cmr-api.md §4.1): confirm against the live API. Expected
    /// `data: { users: [...], pagination: {...} }`; bare lists are accepted too.
    pub async fn list_users(&self, query: &UserListQuery) -> Result<Reply<Page<User>>, CmrError> {
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let call = Call::get("/users/list")
            .query_opt("page", query.page)
            .query_opt("limit", query.limit)
            .query_opt("search", search);
        self.send(call).await?.into_page("users")
    }

    /// `GET /users?userId=` — one customer's profile.
    ///
    /// Shape inferred (cmr-api.md §4.1): confirm against the live API.
    pub async fn get_user(&self, user_id: &str) -> Result<Reply<User>, CmrError> {
        let call = Call::get("/users").query("userId", user_id);
        self.send(call).await?.into_reply()
    }

    /// `POST /users` — creates a customer; persist `data.id` as its CMR user id.
    pub async fn create_user(&self, user: &NewUser) -> Result<Reply<CreatedUser>, CmrError> {
        let call = Call::post("/users").json(user)?;
        self.send(call).await?.into_reply()
    }

    /// `PUT /users?userId=` — sends all 14 profile fields (see [`UserProfile`]).
    pub async fn update_user(
        &self,
        user_id: &str,
        profile: &UserProfile,
    ) -> Result<Reply<()>, CmrError> {
        let call = Call::put("/users").query("userId", user_id).json(profile)?;
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
