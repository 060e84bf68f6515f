//! Every page as a lazily loaded route. Built with `cargo leptos build --split` (the release
//! build), each page's code is a wasm chunk of its own, fetched when the page is first shown:
//! a first load carries the shell and one page, not every area. Without `--split`
//! (development, the browser suite's debug build) they are ordinary routes in one wasm.
//!
//! A page's data loads inside the page (its resources), so `data()` has nothing to start.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

macro_rules! lazy_pages {
    ($($route:ident => $page:path;)*) => {$(
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
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
