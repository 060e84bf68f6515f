//! `Loaded`: the one way a page shows a resource. A skeleton while it loads, the `ErrorAlert`
//! when it fails, and the page's own view of the data when it arrives, so no page hand-rolls
//! `match res.await { Ok(..) => .., Err(e) => <div class="alert …"> }` again.
//!
//! ```ignore
//! <Loaded resource=customer loading="Loading the customer…" let:detail>
//!     <Profile detail />
//! </Loaded>
//! ```

use super::alert::ErrorAlert;
use super::skeleton::Skeleton;
use crate::error::AppError;
use crate::resource::Resource;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Loaded<T, V, F>(
    resource: Resource<Result<T, AppError>>,
    /// The page's view of the loaded value.
    children: F,
    /// What a screen reader hears while loading (the default skeleton's label).
    #[prop(default = "Loading…")]
    loading: &'static str,
    /// Shown while loading instead of the default skeleton lines (e.g. a `TableLoading`).
    #[prop(optional, into)]
    fallback: Option<ViewFn>,
    /// Keep showing the previous value while a new one loads (a search, a refetch after a
    /// change): `Transition` instead of `Suspense`.
    #[prop(optional)]
    keep_previous: bool,
    /// For a page whose heading comes from the data: the title and heading shown on error.
    #[prop(optional)]
    heading: Option<&'static str>,
    /// Shown under the error (e.g. a way back).
    #[prop(optional, into)]
    after_error: Option<ViewFn>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let fallback =
        fallback.unwrap_or_else(|| ViewFn::from(move || view! { <Skeleton label=loading /> }));
    let content = move || {
        let children = children.clone();
        let after_error = after_error.clone();
        Suspend::new(async move {
            match resource.await {
                Ok(data) => children(data).into_any(),
                Err(error) => view! {
                    {heading.map(|text| view! { <Title text=text /> <h1>{text}</h1> })}
                    <ErrorAlert error=Some(error) />
                    {after_error.map(|view| view.run())}
                }
                .into_any(),
            }
        })
    };
    if keep_previous {
        view! { <Transition fallback=move || fallback.run()>{content}</Transition> }.into_any()
    } else {
        view! { <Suspense fallback=move || fallback.run()>{content}</Suspense> }.into_any()
    }
}
