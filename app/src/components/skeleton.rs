//! Placeholders in the shape of what is loading, so the page does not jump when it arrives.
//! The grey bars are hidden from screen readers; they hear one "Loading…" and the container
//! is marked `aria-busy`.

use leptos::prelude::*;

/// A few grey lines for text or a card.
#[component]
pub fn Skeleton(
    #[prop(default = 3)] lines: usize,
    /// What a screen reader hears meanwhile.
    #[prop(default = "Loading…")]
    label: &'static str,
) -> impl IntoView {
    view! {
        <div class="skeleton" aria-busy="true">
            <span class="visually-hidden">{label}</span>
            {(0..lines)
                .map(|_| view! { <span class="skeleton-line" aria-hidden="true"></span> })
                .collect_view()}
        </div>
    }
}

/// Table rows of grey bars, one per cell (for inside a `<tbody>`; the table is marked busy).
#[component]
pub fn SkeletonRows(columns: usize, #[prop(default = 5)] rows: usize) -> impl IntoView {
    (0..rows)
        .map(|_| {
            view! {
                <tr class="skeleton-row" aria-hidden="true">
                    {(0..columns)
                        .map(|_| view! { <td><span class="skeleton-line"></span></td> })
                        .collect_view()}
                </tr>
            }
        })
        .collect_view()
}
