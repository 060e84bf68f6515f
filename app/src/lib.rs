//! The CMR Admin web app: routes, the HTML shell and the page tree. Rendered on the server,
//! hydrated in the browser.

pub mod components;
pub mod error;
pub mod layout;
pub mod model;
pub mod pages;
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
#[cfg(feature = "ssr")]
fn server_side_shell_setup() -> bool {
    use leptos::nonce::{provide_nonce, use_nonce};
    provide_nonce();
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
                <Route path=path!("/sign-in") view=pages::auth::SignInPage ssr=SsrMode::Async />
                <Route path=path!("/sign-in/code") view=pages::auth::SignInCodePage ssr=SsrMode::Async />
                <Route path=path!("/setup") view=pages::auth::SetupPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::home::HomePage ssr=SsrMode::Async />
                    <Route path=path!("/customers") view=pages::customers::CustomersPage ssr=SsrMode::Async />
                    <Route path=path!("/customers/new") view=pages::customers::NewCustomerPage ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id") view=pages::customers::CustomerPage ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id/edit") view=pages::customers::EditCustomerPage ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id/orders/new") view=pages::orders::NewOrderPage ssr=SsrMode::Async />
                    <Route path=path!("/search") view=pages::index::SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/domains") view=pages::domains::DomainsPage ssr=SsrMode::Async />
                    <Route path=path!("/domains/renew") view=pages::domains::RenewPage ssr=SsrMode::Async />
                    <Route path=path!("/domains/:name") view=pages::domains::DomainPage ssr=SsrMode::Async />
                    <Route path=path!("/domains/:name/dns") view=pages::domains::DnsPage ssr=SsrMode::Async />
                    <Route path=path!("/index-status") view=pages::index::IndexStatusPage ssr=SsrMode::Async />
                    <Route path=path!("/orders") view=pages::orders::OrdersPage ssr=SsrMode::Async />
                    <Route path=path!("/orders/:id") view=pages::orders::OrderPage ssr=SsrMode::Async />
                    <Route path=path!("/mailboxes") view=pages::mailboxes::MailboxesPage ssr=SsrMode::Async />
                    <Route path=path!("/mailboxes/:id") view=pages::mailboxes::MailboxPage ssr=SsrMode::Async />
                    <Route path=path!("/subscriptions") view=pages::subscriptions::SubscriptionsPage ssr=SsrMode::Async />
                    <Route path=path!("/subscriptions/renew") view=pages::subscriptions::RenewSubscriptionPage ssr=SsrMode::Async />
                    <Route path=path!("/wallet") view=pages::wallet::WalletPage ssr=SsrMode::Async />
                    <Route path=path!("/staff") view=pages::staff::StaffPage ssr=SsrMode::Async />
                    <Route path=path!("/staff/:id") view=pages::staff::StaffAccountPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=pages::audit::AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/account/sessions") view=pages::account::SessionsPage ssr=SsrMode::Async />
                    <Route path=path!("/account/two-factor") view=pages::account::TwoFactorPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/account/password")
                        view=pages::auth::ChangePasswordPage
                        ssr=SsrMode::Async
                    />
                    // An area in `routes::AREAS` without pages yet: "not built yet"; else 404.
                    <Route path=path!("/*any") view=pages::placeholder::AreaPlaceholder />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
