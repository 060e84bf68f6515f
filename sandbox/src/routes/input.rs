//! What an endpoint reads from its request: the decoded query and JSON body, with the
//! accessors that turn a missing or malformed value into CMR's 400 (or 404 for an unknown user).

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::envelope::ApiError;
use crate::state::{UserRec, World};

/// A request's decoded query and JSON body.
pub(crate) struct Input {
    query: Vec<(String, String)>,
    body: Value,
}

impl Input {
    /// Decodes the query and body before the world is locked; bad JSON is CMR's 400.
    pub(super) fn parse(query: Option<&str>, body: &[u8]) -> Result<Input, ApiError> {
        let query = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(body)
                .map_err(|_| ApiError::bad_request("Request body is not valid JSON"))?
        };
        Ok(Input { query, body })
    }

    /// A query parameter; empty counts as absent.
    pub(crate) fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    pub(crate) fn require_param(&self, key: &str) -> Result<&str, ApiError> {
        self.param(key)
            .ok_or_else(|| ApiError::bad_request(format!("Please provide a {key}")))
    }

    /// A 1-based page number and a page size (default, max) from `page` / `limit`.
    pub(crate) fn paging(
        &self,
        default_limit: usize,
        max: usize,
    ) -> Result<(usize, usize), ApiError> {
        let number = |key: &str, default: usize| -> Result<usize, ApiError> {
            match self.param(key) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("{key} must be a positive integer"))
                    }),
            }
        };
        Ok((number("page", 1)?, number("limit", default_limit)?.min(max)))
    }

    pub(crate) fn body(&self) -> &Value {
        &self.body
    }

    pub(crate) fn body_object(&self) -> Result<&Map<String, Value>, ApiError> {
        self.body
            .as_object()
            .ok_or_else(|| ApiError::bad_request("Request body must be a JSON object"))
    }

    pub(crate) fn body_str(&self, key: &str) -> Option<&str> {
        self.body
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    pub(crate) fn require_body_str(&self, key: &str) -> Result<&str, ApiError> {
        self.body_str(key)
            .ok_or_else(|| ApiError::bad_request(format!("{key} is required")))
    }

    /// A non-empty array of strings in the body.
    pub(crate) fn require_body_strings(&self, key: &str) -> Result<Vec<String>, ApiError> {
        let items = self
            .body
            .get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::bad_request(format!("{key} must be a non-empty array")))?;
        let strings: Vec<String> = items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        if strings.is_empty() || strings.len() != items.len() {
            return Err(ApiError::bad_request(format!(
                "{key} must be a non-empty array of strings"
            )));
        }
        Ok(strings)
    }

    pub(crate) fn body_bool(&self, key: &str) -> Option<bool> {
        self.body.get(key).and_then(Value::as_bool)
    }

    /// The user named by `?userId=`: 400 without one, 404 when unknown.
    pub(crate) fn user<'w>(&self, world: &'w World) -> Result<&'w UserRec, ApiError> {
        find_user(world, self.require_param("userId")?)
    }

    /// The user named by `userId` in the JSON body (the domain renewal family).
    pub(crate) fn body_user<'w>(&self, world: &'w World) -> Result<&'w UserRec, ApiError> {
        let id = self
            .body_str("userId")
            .ok_or_else(|| ApiError::bad_request("Please provide a userId"))?;
        find_user(world, id)
    }
}

fn find_user<'w>(world: &'w World, id: &str) -> Result<&'w UserRec, ApiError> {
    world
        .user(id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "The requested user does not exist."))
}
