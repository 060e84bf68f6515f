//! How a list endpoint answers one page: the slice of items and CMR's pagination object. (The
//! requested page and size are read by [`Input::paging`](super::input::Input::paging).)

use serde_json::{json, Value};

/// CMR's pagination object for a 1-based page.
pub(crate) fn pagination(total: usize, page: usize, limit: usize) -> Value {
    let total_pages = total.div_ceil(limit.max(1)).max(1);
    json!({
        "totalSearchedCount": total,
        "currentPage": page,
        "nextPage": if page < total_pages { Value::from(page + 1) } else { Value::Null },
        "totalPages": total_pages,
    })
}

/// The slice of `items` on a 1-based page.
pub(crate) fn page_of<T>(items: &[T], page: usize, limit: usize) -> &[T] {
    let start = (page - 1).saturating_mul(limit).min(items.len());
    let end = start.saturating_add(limit).min(items.len());
    &items[start..end]
}
