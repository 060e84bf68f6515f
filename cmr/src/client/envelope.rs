//! The one place CMR's response envelope is read.
//!
//! ```jsonc
//! { "status": 200, "message": "…", "data": { … } | [ … ] | null, "actionId": "ACT_…" }
//! ```
//! Success answers become an [`Answer`]; everything else a [`CmrError`]. The typed decoders
//! (`into_reply`, `into_page`, …) then turn `data` into the caller's type.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::CmrError;
use crate::types::{Page, Pagination, Reply};

/// A successful answer whose `data` has not been typed yet.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub message: String,
    pub action_id: Option<String>,
    pub data: Value,
}

/// Reads one HTTP answer.
pub(crate) fn interpret(
    http_status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<Answer, CmrError> {
    let success = (200..300).contains(&http_status);
    if success && http_status == 204 && body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Answer {
            status: http_status,
            message: String::new(),
            action_id: None,
            data: Value::Null,
        });
    }
    let mut envelope = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        // A bare list is unusual but unambiguous.
        Ok(list @ Value::Array(_)) if success => {
            return Ok(Answer {
                status: http_status,
                message: String::new(),
                action_id: None,
                data: list,
            })
        }
        _ if success => {
            return Err(CmrError::UnexpectedResponse {
                status: http_status,
            })
        }
        _ => return Err(CmrError::from_bare_status(http_status, retry_after)),
    };

    let is_envelope = ["status", "message", "data"]
        .iter()
        .any(|k| envelope.contains_key(*k));
    if success && !is_envelope {
        // Some undocumented endpoint answering with the bare object: treat it as `data`.
        return Ok(Answer {
            status: http_status,
            message: String::new(),
            action_id: text(envelope.get("actionId")),
            data: Value::Object(envelope),
        });
    }

    let message = text(envelope.remove("message").as_ref()).unwrap_or_default();
    let data = envelope.remove("data").unwrap_or(Value::Null);
    let action_id =
        text(envelope.remove("actionId").as_ref()).or_else(|| text(data.get("actionId")));
    // The body's `status` mirrors HTTP. Should a 2xx carry an error status, believe the body:
    // acting on a refused request as if it succeeded is the worse mistake.
    let status = match envelope.get("status").and_then(status_number) {
        Some(body_status) if success && body_status >= 400 => body_status,
        _ => http_status,
    };
    if (200..300).contains(&status) {
        Ok(Answer {
            status,
            message,
            action_id,
            data,
        })
    } else {
        Err(CmrError::from_answer(
            status,
            message,
            data,
            &envelope,
            retry_after,
        ))
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn status_number(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Answer {
    fn decode<T: DeserializeOwned>(status: u16, value: Value) -> Result<T, CmrError> {
        serde_json::from_value(value).map_err(|e| {
            // The serde message names the field and type, never the body.
            tracing::warn!(status, error = %e, "CMR answer did not match the expected shape");
            CmrError::UnexpectedResponse { status }
        })
    }

    fn reply<T>(self, data: T) -> Reply<T> {
        Reply {
            data,
            message: self.message,
            action_id: self.action_id,
        }
    }

    /// `data` decoded as `T`.
    pub(crate) fn into_reply<T: DeserializeOwned>(mut self) -> Result<Reply<T>, CmrError> {
        let data = Self::decode(self.status, std::mem::take(&mut self.data))?;
        Ok(self.reply(data))
    }

    /// `data` ignored (documented as `null`, or not documented at all).
    pub(crate) fn into_unit(self) -> Reply<()> {
        self.reply(())
    }

    /// `data` as `T` when it has that shape, `None` otherwise — for answers whose shape the
    /// reference could not confirm, where a surprise must not turn a success into an error.
    pub(crate) fn into_optional<T: DeserializeOwned>(mut self) -> Reply<Option<T>> {
        let data = match std::mem::take(&mut self.data) {
            Value::Null => None,
            value => serde_json::from_value(value).ok(),
        };
        self.reply(data)
    }

    /// A list: `data` as `{ <key>: [..], pagination }`, a bare array, a flat
    /// `{ <key>, currentPage, totalPages }`, or an object with a single array field.
    pub(crate) fn into_page<T: DeserializeOwned>(
        mut self,
        key: &str,
    ) -> Result<Reply<Page<T>>, CmrError> {
        let status = self.status;
        let (items, pagination) = match std::mem::take(&mut self.data) {
            Value::Null => (Value::Array(Vec::new()), None),
            list @ Value::Array(_) => (list, None),
            Value::Object(mut map) => {
                let items =
                    take_list(&mut map, key).ok_or(CmrError::UnexpectedResponse { status })?;
                let pagination = match map.remove("pagination") {
                    Some(p @ Value::Object(_)) => Some(p),
                    _ if map.contains_key("currentPage") || map.contains_key("totalPages") => {
                        Some(Value::Object(map))
                    }
                    _ => None,
                };
                (items, pagination)
            }
            _ => return Err(CmrError::UnexpectedResponse { status }),
        };
        let items: Vec<T> = Self::decode(status, items)?;
        let pagination = pagination
            .and_then(|p| serde_json::from_value::<Pagination>(p).ok())
            .unwrap_or_else(|| Pagination::single(items.len()));
        Ok(self.reply(Page { items, pagination }))
    }

    /// A plain list: `data` as an array or `{ <key>: [..] }`.
    pub(crate) fn into_list<T: DeserializeOwned>(
        self,
        key: &str,
    ) -> Result<Reply<Vec<T>>, CmrError> {
        Ok(self.into_page(key)?.map(|page| page.items))
    }
}

fn take_list(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    if let Some(value) = map.remove(key) {
        return Some(if value.is_null() {
            Value::Array(Vec::new())
        } else {
            value
        });
    }
    let mut arrays = map
        .iter()
        .filter(|(_, v)| v.is_array())
        .map(|(k, _)| k.clone());
    match (arrays.next(), arrays.next()) {
        (Some(only), None) => map.remove(&only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::CreatedUser;

    #[test]
    fn the_documented_create_user_answer_decodes_as_written() {
        let body = br#"{"status":200,"message":"User created","data":{"id":"H8M9JV2S9HMPYFQW393AZHQVD4XM"},"actionId":"ACT_7a078272-0fa7-4db4-a85b-c78697dacea1"}"#;
        let reply = interpret(200, None, body)
            .unwrap()
            .into_reply::<CreatedUser>()
            .unwrap();
        assert_eq!(reply.data.id, "H8M9JV2S9HMPYFQW393AZHQVD4XM");
        assert_eq!(reply.message, "User created");
        assert_eq!(
            reply.action_id.as_deref(),
            Some("ACT_7a078272-0fa7-4db4-a85b-c78697dacea1")
        );
    }

    #[test]
    fn an_action_id_inside_data_is_found() {
        let body = br#"{"status":200,"message":"ok","data":{"actionId":"ACT_1"}}"#;
        assert_eq!(
            interpret(200, None, body).unwrap().action_id.as_deref(),
            Some("ACT_1")
        );
    }

    #[test]
    fn an_answer_without_data_is_a_unit_reply() {
        let body = br#"{"status":200,"message":"Mailbox will be removed shortly"}"#;
        let reply = interpret(200, None, body).unwrap().into_unit();
        assert_eq!(reply.message, "Mailbox will be removed shortly");
        assert_eq!(reply.action_id, None);
    }

    #[test]
    fn malformed_json_is_an_unexpected_response_with_its_status() {
        let err = interpret(200, None, br#"{"status":200,"mess"#).unwrap_err();
        assert_eq!(err, CmrError::UnexpectedResponse { status: 200 });
    }

    #[test]
    fn an_html_error_page_maps_by_status() {
        assert!(matches!(
            interpret(502, None, b"<html>Bad gateway</html>").unwrap_err(),
            CmrError::Server { status: 502, .. }
        ));
        assert_eq!(
            interpret(418, None, b"teapot").unwrap_err(),
            CmrError::UnexpectedResponse { status: 418 }
        );
    }

    #[test]
    fn an_error_status_in_a_2xx_body_is_believed() {
        let body = br#"{"status":422,"message":"years is required","data":null}"#;
        assert!(matches!(
            interpret(200, None, body).unwrap_err(),
            CmrError::Validation { status: 422, .. }
        ));
    }

    #[test]
    fn a_429_keeps_the_retry_after() {
        let body = br#"{"status":429,"message":"Rate limit exceeded","data":null}"#;
        assert_eq!(
            interpret(429, Some(Duration::from_secs(2)), body).unwrap_err(),
            CmrError::RateLimited {
                retry_after: Some(Duration::from_secs(2)),
                message: "Rate limit exceeded".into()
            }
        );
    }

    #[test]
    fn lists_decode_from_every_tolerated_shape() {
        let keyed = br#"{"status":200,"message":"","data":{"users":[{"id":"A"}],
            "pagination":{"totalSearchedCount":41,"currentPage":1,"nextPage":2,"totalPages":3}}}"#;
        let page = interpret(200, None, keyed)
            .unwrap()
            .into_page::<serde_json::Value>("users")
            .unwrap()
            .data;
        assert_eq!((page.items.len(), page.pagination.total), (1, 41));

        let bare = br#"{"status":200,"message":"","data":[1,2,3]}"#;
        let page = interpret(200, None, bare)
            .unwrap()
            .into_page::<u32>("users")
            .unwrap()
            .data;
        assert_eq!(page.pagination, Pagination::single(3));

        let flat = br#"{"status":200,"data":{"inventory":[1],"currentPage":2,"totalPages":5}}"#;
        let page = interpret(200, None, flat)
            .unwrap()
            .into_page::<u32>("items")
            .unwrap()
            .data;
        assert_eq!(
            (page.pagination.current_page, page.pagination.total_pages),
            (2, 5)
        );
    }

    #[test]
    fn a_list_of_the_wrong_shape_is_unexpected() {
        let body = br#"{"status":200,"data":{"users":"nope"}}"#;
        assert!(interpret(200, None, body)
            .unwrap()
            .into_page::<u32>("users")
            .is_err());
    }
}
