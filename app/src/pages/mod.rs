//! One module per area: the page components next to the server functions they call.

pub mod account;
pub mod audit;
pub mod auth;
pub mod customers;
pub mod domains;
pub mod geo;
pub mod home;
pub mod index;
pub mod mailboxes;
pub mod not_found;
pub mod orders;
pub mod placeholder;
pub mod staff;
pub mod subscriptions;
pub mod wallet;

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use crate::routes;
    use server_fn::ServerFn;

    #[test]
    fn the_route_table_names_the_server_functions_it_treats_specially() {
        assert_eq!(routes::SIGN_IN_FN, super::auth::SignIn::PATH);
        assert_eq!(routes::SETUP_FN, super::auth::CompleteSetup::PATH);
        assert_eq!(routes::SIGN_IN_CODE_FN, super::auth::SignInCode::PATH);
        assert_eq!(
            routes::PASSWORD_GATE[1..],
            [
                super::auth::ChangePassword::PATH,
                super::auth::SignOut::PATH
            ]
        );
        assert_eq!(
            routes::TWO_FACTOR_GATE[1..],
            [
                super::account::GetTwoFactorStatus::PATH,
                super::account::TwoFactorBegin::PATH,
                super::account::TwoFactorConfirm::PATH,
                super::auth::SignOut::PATH
            ]
        );
        assert_eq!(
            routes::BACKGROUND_FNS,
            [
                super::wallet::WalletSummary::PATH,
                super::index::IndexStatus::PATH,
                super::customers::CustomerTimeline::PATH,
                super::domains::DomainTimeline::PATH,
                super::orders::OrderStatus::PATH,
            ]
        );
        assert_eq!(
            routes::READ_AHEAD_FNS,
            [
                super::customers::ListCustomers::PATH,
                super::customers::GetCustomer::PATH,
                super::customers::GetProfile::PATH,
                super::domains::GetDomain::PATH,
                super::wallet::WalletSummary::PATH,
                super::home::LoadHome::PATH,
            ]
        );
    }
}
