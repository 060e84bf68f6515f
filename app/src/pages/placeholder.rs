use crate::location;
use crate::pages::not_found::NotFound;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

/// The router's last route. An area listed in `routes::AREAS` whose pages are not built yet
/// says so plainly instead of being a dead link; any other path is a 404.
#[component]
pub fn AreaPlaceholder() -> impl IntoView {
    let path = location::path_now();
    match routes::area_at(path.trim_end_matches('/')) {
        Some(area) => view! { <ComingSoon title=area.label /> }.into_any(),
        None => view! { <NotFound /> }.into_any(),
    }
}

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
