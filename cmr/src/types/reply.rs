//! What every successful call returns, and the list/pagination shapes.

use serde::{Deserialize, Deserializer, Serialize};

use super::lenient::{self, other_spellings};

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
/// Honest about what CMR did not say: `total` and `total_pages` are `None` then, rather than
/// guessed from the items at hand. `nextPage` is unreliable (the reference's sample says
/// `nextPage: 2` with `totalPages: 1`); use [`Pagination::has_next`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Pagination {
    /// `totalSearchedCount`: items matching the query on all pages; `None` = CMR did not say.
    #[serde(
        rename = "totalSearchedCount",
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<u64>,
    /// 1-based; 1 when CMR did not say.
    #[serde(default = "first_page", deserialize_with = "page_number")]
    pub current_page: u32,
    #[serde(
        default,
        deserialize_with = "lenient::opt_u32",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_page: Option<u32>,
    /// `None` = CMR did not say.
    #[serde(
        default,
        deserialize_with = "lenient::opt_u32",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_pages: Option<u32>,
}

other_spellings!(Pagination {
    "totalSearchedCount" <= ["total", "totalCount"],
});

fn first_page() -> u32 {
    1
}

/// A page number; missing, `null`, 0 or unreadable → 1.
fn page_number<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    Ok(lenient::opt_u32(d)?.filter(|n| *n >= 1).unwrap_or(1))
}

impl Pagination {
    /// A single page holding all `count` items: only for endpoints that return the whole list
    /// at once (a paged endpoint without pagination is [`Pagination::unknown`]).
    pub fn single(count: usize) -> Pagination {
        Pagination {
            total: Some(count as u64),
            current_page: 1,
            next_page: None,
            total_pages: Some(1),
        }
    }

    /// Page `current_page` of a list whose size CMR did not say; `has_next` is the caller's
    /// best knowledge (e.g. "the page came back full").
    pub fn unknown(current_page: u32, has_next: bool) -> Pagination {
        Pagination {
            total: None,
            current_page,
            next_page: has_next.then(|| current_page.saturating_add(1)),
            total_pages: None,
        }
    }

    /// With `totalPages` known: `currentPage < totalPages` (even against `nextPage`);
    /// otherwise whether a `nextPage` after this one was given.
    pub fn has_next(&self) -> bool {
        match self.total_pages {
            Some(total_pages) => self.current_page < total_pages,
            None => self.next_page.is_some_and(|n| n > self.current_page),
        }
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
        assert_eq!(p.total, Some(2));
        assert_eq!(p.next_page, Some(2));
        assert!(
            !p.has_next(),
            "currentPage >= totalPages means no next page"
        );
    }

    #[test]
    fn pagination_numbers_may_be_strings_or_missing() {
        let p: Pagination = serde_json::from_str(r#"{"total":"45","currentPage":"2"}"#).unwrap();
        assert_eq!(
            (p.total, p.current_page, p.total_pages),
            (Some(45), 2, None)
        );
    }

    #[test]
    fn missing_or_null_counts_are_unknown_not_zero() {
        let p: Pagination = serde_json::from_str(
            r#"{"totalSearchedCount":null,"currentPage":null,"totalPages":null}"#,
        )
        .unwrap();
        assert_eq!(p, Pagination::unknown(1, false));
        assert!(!p.has_next());
    }

    #[test]
    fn without_total_pages_a_later_next_page_means_more() {
        let p: Pagination = serde_json::from_str(r#"{"currentPage":2,"nextPage":3}"#).unwrap();
        assert!(p.has_next());
        let p: Pagination = serde_json::from_str(r#"{"currentPage":2,"nextPage":2}"#).unwrap();
        assert!(!p.has_next());
        assert!(Pagination::unknown(4, true).has_next());
        assert!(!Pagination::unknown(4, false).has_next());
    }

    #[test]
    fn both_spellings_of_the_total_are_tolerated() {
        let p: Pagination =
            serde_json::from_str(r#"{"totalSearchedCount":7,"total":9,"totalCount":9}"#).unwrap();
        assert_eq!(p.total, Some(7));
        let p: Pagination =
            serde_json::from_str(r#"{"totalSearchedCount":null,"totalCount":"9"}"#).unwrap();
        assert_eq!(p.total, Some(9));
    }

    #[test]
    fn pagination_round_trips_with_cmr_names() {
        let p = Pagination {
            total: Some(41),
            current_page: 2,
            next_page: Some(3),
            total_pages: Some(3),
        };
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["totalSearchedCount"], 41);
        assert_eq!(serde_json::from_value::<Pagination>(json).unwrap(), p);
        let unknown = Pagination::unknown(3, true);
        let json = serde_json::to_value(&unknown).unwrap();
        assert!(json.get("totalSearchedCount").is_none());
        assert_eq!(serde_json::from_value::<Pagination>(json).unwrap(), unknown);
    }
}
