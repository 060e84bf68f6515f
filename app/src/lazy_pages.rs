//! Every page as a lazy island (Leptos' islands mode). The server renders the whole page; in
//! the browser only the page's island hydrates, and in the release build (`scripts/release`
//! splits the wasm) its code is a chunk set of its own, fetched as one bundle when the page is
//! opened: a first load carries the shell and one page. Without the split (development) the
//! islands are ordinary functions in one wasm. Moving between pages is a page load.

use leptos::prelude::*;

/// Each page's island is given its address by the server (there is no router in the browser)
/// and has its own toasts (the layout around it does not hydrate). Its `data-hydrated` marker
/// tells the browser suite, and curious humans, that the page is interactive.
macro_rules! lazy_pages {
    ($($route:ident => $page:path;)*) => {$(
        #[island(lazy)]
        pub fn $route(route: crate::location::RouteValues) -> impl IntoView {
            crate::location::provide(route);
            crate::components::toast::provide_toasts();
            Effect::new(move |_| {
                if let Some(root) = document().document_element() {
                    let _ = root.set_attribute("data-hydrated", "true");
                }
            });
            view! {
                {$page()}
                <crate::components::toast::ToastRegion />
            }
        }
    )*};
}

use crate::pages::*;

lazy_pages! {
    SignIn => auth::SignInPage;
    SignInCode => auth::SignInCodePage;
    Setup => auth::SetupPage;
    Home => home::HomePage;
    Customers => customers::CustomersPage;
    NewCustomer => customers::NewCustomerPage;
    Customer => customers::CustomerPage;
    EditCustomer => customers::EditCustomerPage;
    NewOrder => orders::NewOrderPage;
    Search => index::SearchPage;
    Domains => domains::DomainsPage;
    RenewDomains => domains::RenewPage;
    Domain => domains::DomainPage;
    Dns => domains::DnsPage;
    IndexStatus => index::IndexStatusPage;
    Orders => orders::OrdersPage;
    Order => orders::OrderPage;
    Mailboxes => mailboxes::MailboxesPage;
    Mailbox => mailboxes::MailboxPage;
    Subscriptions => subscriptions::SubscriptionsPage;
    RenewSubscriptions => subscriptions::RenewSubscriptionPage;
    Wallet => wallet::WalletPage;
    Staff => staff::StaffPage;
    StaffAccount => staff::StaffAccountPage;
    Audit => audit::AuditPage;
    Sessions => account::SessionsPage;
    TwoFactor => account::TwoFactorPage;
    ChangePassword => auth::ChangePasswordPage;
}
