//! The partner wallet: CMR's balance, formatted for the header and the home page. Both read it
//! through the read cache, so a page load makes one wallet call however many places show it.

use super::reads::{Freshness, ReadKey};
use super::AppState;
use crate::model::money::Amount;
use crate::model::WalletView;
use cmr::CmrError;

#[tracing::instrument(name = "wallet.summary", skip_all)]
pub async fn summary(state: &AppState, freshness: Freshness) -> Result<WalletView, CmrError> {
    let read = || async { Ok(state.cmr.wallet().await?.data) };
    let fetched = state.reads.read(ReadKey::Wallet, freshness, read).await?;
    let wallet = fetched.value;
    Ok(WalletView {
        balance: Amount::new(wallet.balance, wallet.currency),
        fetched_at: fetched.fetched_at,
    })
}
