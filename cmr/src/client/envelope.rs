//! The one place CMR's response envelope is read.
//!
//! ```jsonc
//! { "status": 200, "message": "…", "data": { … } | [ … ] | null, "actionId": "ACT_…" }
//! ```
//! Success answers become an [`Answer`]; everything else a [`CmrError`]. The typed decoders
//! (`into_reply`, `into_page`, …) then turn `data` into the caller's type. When `data` does
//! not fit, the log says how (never with what: serde's messages can quote the body, which may
//! hold customer data or credentials).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::error::Category;
use serde_json::{Map, Value};

use super::CmrError;
use crate::types::{lenient, Page, Pagination, Reply};

/// Longest refusal text kept from a non-JSON error body.
const MAX_REFUSAL_CHARS: usize = 300;

/// CMR's documented maximum `limit` (reference §1.5): a page that came back this full may
/// have a successor even when a larger limit was asked for.
const MAX_PAGE_LIMIT: u32 = 100;

/// How a list endpoint pages, so that a missing pagination object is read honestly.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Paging {
    /// The endpoint answers with the whole list: no pagination object means "complete".
    Whole,
    /// A paged endpoint, asked for this `page` (default 1) and `limit` (default CMR's):
    /// no pagination object means "size unknown"; a full page may have a successor.
    Asked {
        page: Option<u32>,
        limit: Option<u32>,
    },
}

impl Paging {
    /// What can honestly be said about a page of `count` items that came without pagination.
    fn guess(self, count: usize) -> Pagination {
        match self {
            Paging::Whole => Pagination::single(count),
            Paging::Asked { page, limit } => {
                let full = limit
                    .filter(|l| *l > 0)
                    .is_some_and(|l| count >= l.min(MAX_PAGE_LIMIT) as usize);
                Pagination::unknown(page.filter(|p| *p > 0).unwrap_or(1), full)
            }
        }
    }
}

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
        _ => {
            return Err(CmrError::from_bare_status(
                http_status,
                retry_after,
                refusal_text(body),
            ))
        }
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

/// An error body that is not CMR's JSON, as a message worth showing: plain text (or a JSON
/// string) with whitespace collapsed, at most [`MAX_REFUSAL_CHARS`]. `None` for markup (a
/// proxy's HTML page is not CMR speaking), other JSON, binary or empty bodies.
fn refusal_text(body: &[u8]) -> Option<String> {
    let raw = match serde_json::from_slice::<String>(body) {
        Ok(text) => text,
        Err(_) => std::str::from_utf8(body).ok()?.to_owned(),
    };
    let trimmed = raw.trim_start();
    if raw.contains('<') || trimmed.starts_with('{') || trimmed.starts_with('[') {
        return None;
    }
    let text = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>();
    if text.is_empty() {
        return None;
    }
    if text.chars().count() <= MAX_REFUSAL_CHARS {
        return Some(text);
    }
    let mut cut: String = text.chars().take(MAX_REFUSAL_CHARS - 1).collect();
    cut.push('…');
    Some(cut)
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
        serde_json::from_value(value).map_err(|e| unexpected(status, &e))
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
    /// `{ <key>, currentPage, totalPages }`, or an object with a single array field. The list
    /// itself may be `null` (empty) or a single object (one item). Without a pagination object,
    /// `paging` says what can honestly be claimed.
    pub(crate) fn into_page<T: DeserializeOwned>(
        mut self,
        key: &str,
        paging: Paging,
    ) -> Result<Reply<Page<T>>, CmrError> {
        let status = self.status;
        let (items, pagination) = match std::mem::take(&mut self.data) {
            Value::Null => (Value::Null, None),
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
        let items: Vec<T> = lenient::list_from(items).map_err(|e| unexpected(status, &e))?;
        let pagination = pagination
            .and_then(|p| serde_json::from_value::<Pagination>(p).ok())
            .unwrap_or_else(|| paging.guess(items.len()));
        Ok(self.reply(Page { items, pagination }))
    }

    /// A plain list: `data` as an array or `{ <key>: [..] }`.
    pub(crate) fn into_list<T: DeserializeOwned>(
        self,
        key: &str,
    ) -> Result<Reply<Vec<T>>, CmrError> {
        Ok(self.into_page(key, Paging::Whole)?.map(|page| page.items))
    }
}

/// `data` did not fit the expected type: logged without any value from the body.
fn unexpected(status: u16, error: &serde_json::Error) -> CmrError {
    let problem = describe_decode_error(error);
    tracing::warn!(status, error = %problem, "CMR answer did not match the expected shape");
    CmrError::UnexpectedResponse { status }
}

/// What serde's message says went wrong, keeping only the parts that come from our own types
/// (the expected type, a missing or duplicate field's name) and the kind of value found.
/// Serde's messages quote values (`invalid type: string "…", expected u32`), and custom
/// messages (e.g. an unreadable amount) may quote anything, so those are withheld.
fn describe_decode_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let expected = || expected_part(&message).map_or(String::new(), |e| format!(", {e}"));
    for (prefix, what) in [
        ("missing field `", "missing field"),
        ("duplicate field `", "duplicate field"),
    ] {
        if let Some(name) = message.strip_prefix(prefix).and_then(field_name) {
            return format!("{what} `{name}`");
        }
    }
    for (prefix, what) in [
        ("invalid type: ", "invalid type"),
        ("invalid value: ", "invalid value"),
    ] {
        if let Some(found) = message.strip_prefix(prefix) {
            let kind = VALUE_KINDS
                .iter()
                .find(|kind| {
                    found
                        .strip_prefix(**kind)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ',']))
                })
                .copied()
                .unwrap_or("a value");
            return format!("{what}: {kind}{}", expected());
        }
    }
    for (prefix, what) in [
        ("invalid length ", "invalid length"),
        ("unknown variant ", "unknown variant"),
        ("unknown field ", "unknown field"),
    ] {
        if message.starts_with(prefix) {
            return format!("{what}{}", expected());
        }
    }
    let category = match error.classify() {
        Category::Io => "I/O",
        Category::Syntax => "syntax",
        Category::Data => "data",
        Category::Eof => "end of input",
    };
    format!("{category} error (details withheld: they may quote the answer)")
}

/// How serde names the kind of value it found (`serde::de::Unexpected`, plus serde_json's
/// `null`), without the value itself.
const VALUE_KINDS: [&str; 17] = [
    "null",
    "boolean",
    "integer",
    "floating point",
    "character",
    "string",
    "byte array",
    "unit value",
    "Option value",
    "newtype struct",
    "sequence",
    "map",
    "enum",
    "unit variant",
    "newtype variant",
    "tuple variant",
    "struct variant",
];

/// The trailing `expected …` of a serde message (from our type's own description), without
/// serde_json's position suffix. The last occurrence: a quoted value before it could contain
/// the same words.
fn expected_part(message: &str) -> Option<&str> {
    let start = message.rfind(", expected ")? + 2;
    let part = message[start..]
        .rsplit_once(" at line ")
        .map_or(&message[start..], |(head, _)| head);
    (part.len() <= 200 && !part.contains('"')).then_some(part)
}

/// A field name as the derive writes it (`` `name` ``…); anything odd is not trusted.
fn field_name(rest: &str) -> Option<&str> {
    let (name, _) = rest.split_once('`')?;
    let plain = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    plain.then_some(name)
}

fn take_list(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    if let Some(value) = map.remove(key) {
        return Some(value);
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
            interpret(418, None, b"<p>teapot</p>").unwrap_err(),
            CmrError::Validation {
                status: 418,
                message: "CMR refused the request (HTTP 418)".into(),
                field: None
            }
        );
        assert_eq!(
            interpret(302, None, b"teapot").unwrap_err(),
            CmrError::UnexpectedResponse { status: 302 }
        );
    }

    #[test]
    fn a_plain_text_refusal_keeps_its_words_and_maps_like_an_envelope() {
        assert_eq!(
            interpret(418, None, b"teapot").unwrap_err(),
            CmrError::Validation {
                status: 418,
                message: "teapot".into(),
                field: None
            }
        );
        let conflict = interpret(409, None, b"\"Email already exists\"").unwrap_err();
        assert!(
            matches!(&conflict, CmrError::Conflict { message, .. } if message == "Email already exists"),
            "{conflict:?}"
        );
        assert_eq!(conflict.field(), Some("email"));
        assert_eq!(
            interpret(404, None, b"The requested user does not exist.\n").unwrap_err(),
            CmrError::NotFound {
                message: "The requested user does not exist.".into()
            }
        );
        assert_eq!(
            interpret(401, None, b"nope").unwrap_err(),
            CmrError::Unauthorized {
                message: "Unauthorized".into()
            }
        );
    }

    #[test]
    fn refusal_text_is_collapsed_capped_and_never_markup_or_binary() {
        assert_eq!(refusal_text(b"  a\r\n\t b  ").as_deref(), Some("a b"));
        let long = "x".repeat(1000);
        let cut = refusal_text(long.as_bytes()).unwrap();
        assert_eq!(cut.chars().count(), MAX_REFUSAL_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(refusal_text(b"<html>x</html>"), None);
        assert_eq!(refusal_text(b"a < b"), None);
        assert_eq!(refusal_text(br#"{"error":"x"}"#), None);
        assert_eq!(refusal_text(b"[1,2]"), None);
        assert_eq!(refusal_text(b"\xff\xfe"), None);
        assert_eq!(refusal_text(b"   "), None);
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
            .into_page::<serde_json::Value>("users", Paging::Whole)
            .unwrap()
            .data;
        assert_eq!((page.items.len(), page.pagination.total), (1, Some(41)));

        let bare = br#"{"status":200,"message":"","data":[1,2,3]}"#;
        let page = interpret(200, None, bare)
            .unwrap()
            .into_page::<u32>("users", Paging::Whole)
            .unwrap()
            .data;
        assert_eq!(page.pagination, Pagination::single(3));

        let flat = br#"{"status":200,"data":{"inventory":[1],"currentPage":2,"totalPages":5}}"#;
        let page = interpret(200, None, flat)
            .unwrap()
            .into_page::<u32>("items", Paging::Whole)
            .unwrap()
            .data;
        assert_eq!(
            (page.pagination.current_page, page.pagination.total_pages),
            (2, Some(5))
        );

        let one = br#"{"status":200,"data":{"users":{"id":"A"}}}"#;
        let page = interpret(200, None, one)
            .unwrap()
            .into_page::<serde_json::Value>("users", Paging::Whole)
            .unwrap()
            .data;
        assert_eq!(page.items.len(), 1);
    }

    #[test]
    fn a_paged_list_without_pagination_does_not_invent_a_total() {
        let asked = |page, limit| Paging::Asked { page, limit };
        let bare = br#"{"status":200,"data":[1,2,3]}"#;
        let page = |paging| {
            interpret(200, None, bare)
                .unwrap()
                .into_page::<u32>("users", paging)
                .unwrap()
                .data
                .pagination
        };
        assert_eq!(page(asked(Some(2), Some(3))), Pagination::unknown(2, true));
        assert_eq!(page(asked(Some(2), Some(4))), Pagination::unknown(2, false));
        assert_eq!(page(asked(None, None)), Pagination::unknown(1, false));
        assert_eq!(page(asked(Some(0), Some(0))), Pagination::unknown(1, false));
    }

    #[test]
    fn a_page_as_full_as_cmr_allows_may_have_a_successor() {
        let items = (0..MAX_PAGE_LIMIT)
            .map(|n| n.to_string())
            .collect::<Vec<_>>();
        let body = format!(r#"{{"status":200,"data":[{}]}}"#, items.join(","));
        let page = interpret(200, None, body.as_bytes())
            .unwrap()
            .into_page::<u32>(
                "users",
                Paging::Asked {
                    page: None,
                    limit: Some(500),
                },
            )
            .unwrap()
            .data;
        assert!(page.pagination.has_next());
    }

    #[test]
    fn a_decode_error_is_described_without_values_from_the_body() {
        let secret = "sk_live_9f8e7d6c5b4a";
        let cases: Vec<(serde_json::Error, &str)> = vec![
            (
                serde_json::from_value::<u32>(serde_json::json!(secret)).unwrap_err(),
                "invalid type: string, expected u32",
            ),
            (
                serde_json::from_value::<crate::types::Wallet>(
                    serde_json::json!({ "balance": secret }),
                )
                .unwrap_err(),
                "data error (details withheld: they may quote the answer)",
            ),
            (
                serde_json::from_value::<crate::types::CreatedUser>(
                    serde_json::json!({ "token": secret }),
                )
                .unwrap_err(),
                "missing field `id`",
            ),
            (
                serde_json::from_value::<Vec<u8>>(serde_json::json!([format!(
                    "{secret}, expected nothing"
                )]))
                .unwrap_err(),
                "invalid type: string, expected u8",
            ),
            (
                serde_json::from_str::<Vec<u8>>(&format!(r#"["{secret}"]"#)).unwrap_err(),
                "invalid type: string, expected u8",
            ),
        ];
        for (error, expected) in cases {
            let raw = error.to_string();
            assert!(
                raw.contains(secret) || raw.starts_with("missing field"),
                "the raw message quotes it: {raw}"
            );
            let described = describe_decode_error(&error);
            assert!(!described.contains(secret), "{described}");
            assert_eq!(described, expected);
        }
    }

    #[test]
    fn a_list_of_the_wrong_shape_is_unexpected() {
        let body = br#"{"status":200,"data":{"users":"nope"}}"#;
        assert!(interpret(200, None, body)
            .unwrap()
            .into_page::<u32>("users", Paging::Whole)
            .is_err());
    }
}
