use leptos::prelude::*;
use leptos_meta::Title;

/// For areas whose pages are not built yet: says so plainly instead of a dead link.
#[component]
pub fn ComingSoon(title: &'static str) -> impl IntoView {
    view! {
        <Title text=title />
        <h1>{title}</h1>
        <section class="empty-state">
            <p>"This part of the dashboard is not built yet."</p>
        </section>
    }
}
