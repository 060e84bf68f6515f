//! What every successful call returns, and the list/pagination shapes.

use serde::{Deserialize, Serialize};

use super::lenient;

/// A successful CMR answer: the decoded `data`, CMR's human `message`, and the `actionId`
/// that async operations return (at top level or inside `data`; webhooks refer back to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply<T> {
    pub data: T,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
}

impl<T> Reply<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            data: f(self.data),
            message: self.message,
            action_id: self.action_id,
        }
    }
}

/// CMR's pagination object: `{ totalSearchedCount, currentPage, nextPage, totalPages }`.
///
/// `nextPage` is unreliable (the reference's sample says `nextPage: 2` with `totalPages: 1`);
/// use [`Pagination::has_next`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(
        rename = "totalSearchedCount",
        alias = "total",
        alias = "totalCount",
        default,
        deserialize_with = "lenient::u64"
    )]
    pub total: u64,
    #[serde(default = "first_page", deserialize_with = "lenient::u32")]
    pub current_page: u32,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub next_page: Option<u32>,
    #[serde(default = "first_page", deserialize_with = "lenient::u32")]
    pub total_pages: u32,
}

fn first_page() -> u32 {
    1
}

impl Pagination {
    /// A single page holding `count` items (for endpoints that return a bare list).
    pub fn single(count: usize) -> Pagination {
        Pagination {
            total: count as u64,
            current_page: 1,
            next_page: None,
            total_pages: 1,
        }
    }

    pub fn has_next(&self) -> bool {
        self.current_page < self.total_pages
    }

    pub fn has_previous(&self) -> bool {
        self.current_page > 1
    }
}

impl Default for Pagination {
    fn default() -> Pagination {
        Pagination::single(0)
    }
}

/// One page of a list endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

impl<T> Default for Page<T> {
    fn default() -> Page<T> {
        Page {
            items: Vec::new(),
            pagination: Pagination::default(),
        }
    }
}

/// `page` / `limit` for list endpoints (1-based page; CMR's defaults apply when `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmr_pagination_decodes_including_its_odd_next_page() {
        let p: Pagination = serde_json::from_str(
            r#"{"totalSearchedCount":2,"currentPage":1,"nextPage":2,"totalPages":1}"#,
        )
        .unwrap();
        assert_eq!(p.total, 2);
        assert_eq!(p.next_page, Some(2));
        assert!(
            !p.has_next(),
            "currentPage >= totalPages means no next page"
        );
    }

    #[test]
    fn pagination_numbers_may_be_strings_or_missing() {
        let p: Pagination = serde_json::from_str(r#"{"total":"45","currentPage":"2"}"#).unwrap();
        assert_eq!((p.total, p.current_page, p.total_pages), (45, 2, 1));
    }

    #[test]
    fn pagination_round_trips_with_cmr_names() {
        let p = Pagination {
            total: 41,
            current_page: 2,
            next_page: Some(3),
            total_pages: 3,
        };
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["totalSearchedCount"], 41);
        assert_eq!(serde_json::from_value::<Pagination>(json).unwrap(), p);
    }
}
