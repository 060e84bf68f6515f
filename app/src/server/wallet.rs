//! The partner wallet: one read of CMR's balance, formatted for the header and the home page.

use super::AppState;
use crate::model::money::with_currency;
use crate::model::WalletView;
use cmr::CmrError;

#[tracing::instrument(name = "wallet.summary", skip_all)]
pub async fn summary(state: &AppState) -> Result<WalletView, CmrError> {
    let wallet = state.cmr.wallet().await?.data;
    Ok(WalletView {
        balance: with_currency(wallet.balance, &wallet.currency),
    })
}
