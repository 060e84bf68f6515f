//! The data table every list uses: headers given as data, sortable headers that are real links
//! carrying `aria-sort`, an empty row that says why there is nothing, a skeleton while loading,
//! and rows whose first cell links to the detail page (a real `<a>`: it works before
//! hydration, without JavaScript and from the keyboard). Cells are views the caller builds;
//! the table only owns the structure.

use super::skeleton::SkeletonRows;
use leptos::prelude::*;
use std::sync::Arc;

/// A column header: its label, and the key it sorts by when it can sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub label: &'static str,
    pub sort_key: Option<&'static str>,
}

impl Column {
    pub const fn new(label: &'static str) -> Column {
        Column {
            label,
            sort_key: None,
        }
    }

    pub const fn sortable(label: &'static str, key: &'static str) -> Column {
        Column {
            label,
            sort_key: Some(key),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Ascending,
    Descending,
}

/// The current sort, and the address that shows the rows sorted by a given key (the page
/// decides what goes in the URL; the table only links there).
#[derive(Clone)]
pub struct Sorting {
    pub key: &'static str,
    pub direction: SortDirection,
    pub href: Arc<dyn Fn(&'static str) -> String + Send + Sync>,
}

impl Sorting {
    pub fn new(
        key: &'static str,
        direction: SortDirection,
        href: impl Fn(&'static str) -> String + Send + Sync + 'static,
    ) -> Sorting {
        Sorting {
            key,
            direction,
            href: Arc::new(href),
        }
    }
}

/// The `aria-sort` of a header: none for a column that cannot sort, `ascending` or
/// `descending` for the current sort, `none` for the other sortable columns.
pub fn aria_sort(column: &Column, sorting: Option<&Sorting>) -> Option<&'static str> {
    let key = column.sort_key?;
    let sorting = sorting?;
    Some(match (sorting.key == key, sorting.direction) {
        (false, _) => "none",
        (true, SortDirection::Ascending) => "ascending",
        (true, SortDirection::Descending) => "descending",
    })
}

/// One row: its cells, and where its first cell leads.
pub struct Row {
    href: Option<String>,
    cells: Vec<AnyView>,
}

impl Row {
    pub fn new(cells: Vec<AnyView>) -> Row {
        Row { href: None, cells }
    }

    /// Makes the first cell a link to `href` (the row's detail page).
    pub fn link(mut self, href: impl Into<String>) -> Row {
        self.href = Some(href.into());
        self
    }
}

fn header(column: Column, sorting: Option<&Sorting>) -> impl IntoView {
    let sort = aria_sort(&column, sorting);
    let label = match (column.sort_key, sorting) {
        (Some(key), Some(sorting)) => {
            let href = (sorting.href)(key);
            view! { <a class="sort-link" href=href>{column.label}</a> }.into_any()
        }
        _ => column.label.into_any(),
    };
    view! {
        <th scope="col" aria-sort=sort>
            {label}
        </th>
    }
}

#[component]
pub fn Table(
    columns: Vec<Column>,
    rows: Vec<Row>,
    /// Said in a row across all columns when there are no rows (e.g. "No customers match.").
    #[prop(into)]
    empty: String,
    /// The current sort; without it no header is a link.
    #[prop(optional)]
    sorting: Option<Sorting>,
) -> impl IntoView {
    let span = columns.len().max(1);
    let body = if rows.is_empty() {
        view! {
            <tr class="table-empty">
                <td colspan=span>{empty}</td>
            </tr>
        }
        .into_any()
    } else {
        rows.into_iter()
            .map(|row| {
                let mut href = row.href;
                view! {
                    <tr>
                        {row
                            .cells
                            .into_iter()
                            .map(|cell| match href.take() {
                                Some(href) => view! { <td><a href=href>{cell}</a></td> }.into_any(),
                                None => view! { <td>{cell}</td> }.into_any(),
                            })
                            .collect_view()}
                    </tr>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <table class="table">
            <thead>
                <tr>{columns.into_iter().map(|c| header(c, sorting.as_ref())).collect_view()}</tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
    }
}

/// The same table while its rows load: the headers, and skeleton rows.
#[component]
pub fn TableLoading(
    columns: Vec<Column>,
    #[prop(default = 5)] rows: usize,
    /// What a screen reader hears meanwhile.
    #[prop(default = "Loading…")]
    label: &'static str,
) -> impl IntoView {
    let count = columns.len();
    view! {
        <div class="table-loading" aria-busy="true">
            <span class="visually-hidden">{label}</span>
            <table class="table" aria-hidden="true">
                <thead>
                    <tr>
                        {columns
                            .into_iter()
                            .map(|c| view! { <th scope="col">{c.label}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <SkeletonRows columns=count rows />
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by(key: &'static str, direction: SortDirection) -> Sorting {
        Sorting::new(key, direction, |k| format!("/list?sort={k}"))
    }

    #[test]
    fn only_sortable_headers_carry_aria_sort_and_only_the_current_one_names_a_direction() {
        let name = Column::sortable("Name", "name");
        let email = Column::sortable("Email", "email");
        let role = Column::new("Role");
        let sorting = by("name", SortDirection::Ascending);
        assert_eq!(aria_sort(&name, Some(&sorting)), Some("ascending"));
        assert_eq!(aria_sort(&email, Some(&sorting)), Some("none"));
        assert_eq!(aria_sort(&role, Some(&sorting)), None);
        assert_eq!(aria_sort(&name, None), None);
        let sorting = by("email", SortDirection::Descending);
        assert_eq!(aria_sort(&email, Some(&sorting)), Some("descending"));
    }

    #[test]
    fn an_empty_table_says_so_across_all_columns_and_a_row_links_its_first_cell() {
        let owner = Owner::new();
        owner.with(|| {
            let columns = vec![Column::sortable("Name", "name"), Column::new("Email")];
            let html = view! {
                <Table columns=columns.clone() rows=vec![] empty="No customers match." sorting=by("name", SortDirection::Ascending) />
            }
            .to_html()
            .replace("<!>", ""); // hydration markers
            assert!(html.contains(r#"<td colspan="2">No customers match.</td>"#), "{html}");
            assert!(html.contains(r#"aria-sort="ascending""#), "{html}");
            assert!(html.contains(r#"href="/list?sort=name""#), "{html}");

            let rows = vec![Row::new(vec!["Ada".into_any(), "ada@example.com".into_any()])
                .link("/customers/1")];
            let html = view! { <Table columns rows empty="" /> }.to_html().replace("<!>", "");
            assert!(html.contains(r#"<a href="/customers/1">Ada"#), "{html}");
            assert!(!html.contains("aria-sort"), "{html}");
        });
    }
}
