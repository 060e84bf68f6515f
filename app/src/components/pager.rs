//! Previous / next links under a list, with "page x of y", or just "page x" when the total is
//! unknown (CMR's pagination is optional; Next is then offered while a page comes back full).

use leptos::prelude::*;

/// What the position reads: "Page 2 of 5", or "Page 2" when the number of pages is unknown.
pub fn position(page: u32, total_pages: Option<u32>) -> String {
    match total_pages {
        Some(pages) => format!("Page {page} of {}", pages.max(1)),
        None => format!("Page {page}"),
    }
}

#[component]
pub fn Pager(
    page: u32,
    total_pages: Option<u32>,
    /// Links to the neighbouring pages; `None` where there is none.
    prev: Option<String>,
    next: Option<String>,
) -> impl IntoView {
    view! {
        <nav class="pagination" aria-label="Pages">
            {prev.map(|href| view! { <a href=href>"← Previous"</a> })}
            <span>{position(page, total_pages)}</span>
            {next.map(|href| view! { <a href=href>"Next →"</a> })}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_total_says_only_the_page() {
        assert_eq!(position(2, Some(5)), "Page 2 of 5");
        assert_eq!(position(1, Some(0)), "Page 1 of 1");
        assert_eq!(position(3, None), "Page 3");
    }
}
