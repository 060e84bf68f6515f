//! The CMR Admin web app: routes, the HTML shell and the page tree. Rendered on the server,
//! hydrated in the browser.

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
use leptos_router::{path, Lazy, SsrMode};

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
                <HydrationScripts options />
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::toast::provide_toasts();
    view! {
        <Stylesheet id="leptos" href="/pkg/cmr-admin.css" />
        <Title formatter=|page: String| format!("{page} · CMR Admin") />
        <layout::DemoBanner />
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/sign-in") view={Lazy::<lazy_pages::SignIn>::new()} ssr=SsrMode::Async />
                <Route path=path!("/sign-in/code") view={Lazy::<lazy_pages::SignInCode>::new()} ssr=SsrMode::Async />
                <Route path=path!("/setup") view={Lazy::<lazy_pages::Setup>::new()} ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<lazy_pages::Home>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/customers") view={Lazy::<lazy_pages::Customers>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/customers/new") view={Lazy::<lazy_pages::NewCustomer>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id") view={Lazy::<lazy_pages::Customer>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id/edit") view={Lazy::<lazy_pages::EditCustomer>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id/orders/new") view={Lazy::<lazy_pages::NewOrder>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/search") view={Lazy::<lazy_pages::Search>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/domains") view={Lazy::<lazy_pages::Domains>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/domains/renew") view={Lazy::<lazy_pages::RenewDomains>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/domains/:name") view={Lazy::<lazy_pages::Domain>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/domains/:name/dns") view={Lazy::<lazy_pages::Dns>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/index-status") view={Lazy::<lazy_pages::IndexStatus>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/orders") view={Lazy::<lazy_pages::Orders>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/orders/:id") view={Lazy::<lazy_pages::Order>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/mailboxes") view={Lazy::<lazy_pages::Mailboxes>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/mailboxes/:id") view={Lazy::<lazy_pages::Mailbox>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/subscriptions") view={Lazy::<lazy_pages::Subscriptions>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/subscriptions/renew") view={Lazy::<lazy_pages::RenewSubscriptions>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/wallet") view={Lazy::<lazy_pages::Wallet>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff") view={Lazy::<lazy_pages::Staff>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff/:id") view={Lazy::<lazy_pages::StaffAccount>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/audit") view={Lazy::<lazy_pages::Audit>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account/sessions") view={Lazy::<lazy_pages::Sessions>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account/two-factor") view={Lazy::<lazy_pages::TwoFactor>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/account/password")
                        view={Lazy::<lazy_pages::ChangePassword>::new()}
                        ssr=SsrMode::Async
                    />
                    // An area in `routes::AREAS` without pages yet: "not built yet"; else 404.
                    <Route path=path!("/*any") view=pages::placeholder::AreaPlaceholder />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
