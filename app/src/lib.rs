//! The CMR Admin web app: routes, the HTML shell and the page tree. Rendered on the server;
//! in the browser only the islands hydrate (each page is one, app/src/lazy_pages.rs).

pub mod components;
pub mod error;
pub mod layout;
mod lazy_pages;
pub mod location;
pub mod model;
pub mod pages;
pub mod resource;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod server;

use layout::Layout;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app. On the server it also sets this response's
/// Content-Security-Policy with a fresh nonce for the hydration scripts.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let demo = server_side_shell_setup();
    #[cfg(not(feature = "ssr"))]
    let demo = false;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="cmr-demo" content=if demo { "1" } else { "0" } />
                <link rel="icon" href="/favicon.ico" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Provides the CSP nonce and sets the page's policy header; answers whether demo mode is on.
/// Also turns off the preload hints Leptos writes for a page's wasm chunks (see below).
#[cfg(feature = "ssr")]
fn server_side_shell_setup() -> bool {
    use leptos::nonce::{provide_nonce, use_nonce};
    provide_nonce();
    // Leptos records the lazy pages a render used in this context and, when the render is
    // done, writes a preload link for each of their chunks. The page's view is resolved
    // asynchronously, so whether it is recorded in time varies from one request to the next:
    // the same profile came with 228 links (35.8 kB of HTML) or none (8.5 kB), alternately.
    // Chunks preloaded beside the shell also come without the shell as their compression
    // dictionary (BENCHMARKS.md, first-load budget, seventh session), several kB more on each
    // first load. A context of our own here, on the same owner, takes the records instead, so
    // no page gets the links: the shell's loader fetches the page's chunks once it runs.
    provide_context(leptos::PrefetchLazyFn::default());
    if let (Some(nonce), Some(response)) =
        (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    {
        let csp = server::http::headers::page_csp(&nonce.to_string());
        if let Ok(value) = http::HeaderValue::from_str(&csp) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    use_context::<server::AppState>().is_some_and(|s| s.demo_mode())
}

/// A page's route view: its island, given the address the server matched.
macro_rules! page {
    ($page:ident) => {
        || view! { <lazy_pages::$page route=location::RouteValues::here() /> }
    };
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/cmr-admin.css" />
        <Title formatter=|page: String| format!("{page} · CMR Admin") />
        <layout::DemoBanner />
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/sign-in") view={page!(SignIn)} ssr=SsrMode::Async />
                <Route path=path!("/sign-in/code") view={page!(SignInCode)} ssr=SsrMode::Async />
                <Route path=path!("/setup") view={page!(Setup)} ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                    <Route path=path!("") view={page!(Home)} ssr=SsrMode::Async />
                    <Route path=path!("/customers") view={page!(Customers)} ssr=SsrMode::Async />
                    <Route path=path!("/customers/new") view={page!(NewCustomer)} ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id") view={page!(Customer)} ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id/edit") view={page!(EditCustomer)} ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id/orders/new") view={page!(NewOrder)} ssr=SsrMode::Async />
                    <Route path=path!("/search") view={page!(Search)} ssr=SsrMode::Async />
                    <Route path=path!("/domains") view={page!(Domains)} ssr=SsrMode::Async />
                    <Route path=path!("/domains/renew") view={page!(RenewDomains)} ssr=SsrMode::Async />
                    <Route path=path!("/domains/:name") view={page!(Domain)} ssr=SsrMode::Async />
                    <Route path=path!("/domains/:name/dns") view={page!(Dns)} ssr=SsrMode::Async />
                    <Route path=path!("/index-status") view={page!(IndexStatus)} ssr=SsrMode::Async />
                    <Route path=path!("/orders") view={page!(Orders)} ssr=SsrMode::Async />
                    <Route path=path!("/orders/:id") view={page!(Order)} ssr=SsrMode::Async />
                    <Route path=path!("/mailboxes") view={page!(Mailboxes)} ssr=SsrMode::Async />
                    <Route path=path!("/mailboxes/:id") view={page!(Mailbox)} ssr=SsrMode::Async />
                    <Route path=path!("/subscriptions") view={page!(Subscriptions)} ssr=SsrMode::Async />
                    <Route path=path!("/subscriptions/renew") view={page!(RenewSubscriptions)} ssr=SsrMode::Async />
                    <Route path=path!("/wallet") view={page!(Wallet)} ssr=SsrMode::Async />
                    <Route path=path!("/staff") view={page!(Staff)} ssr=SsrMode::Async />
                    <Route path=path!("/staff/:id") view={page!(StaffAccount)} ssr=SsrMode::Async />
                    <Route path=path!("/audit") view={page!(Audit)} ssr=SsrMode::Async />
                    <Route path=path!("/account/sessions") view={page!(Sessions)} ssr=SsrMode::Async />
                    <Route path=path!("/account/two-factor") view={page!(TwoFactor)} ssr=SsrMode::Async />
                    <Route
                        path=path!("/account/password")
                        view={page!(ChangePassword)}
                        ssr=SsrMode::Async
                    />
                    // An area in `routes::AREAS` without pages yet: "not built yet"; else 404.
                    <Route path=path!("/*any") view=pages::placeholder::AreaPlaceholder />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
