//! The partner wallet: reference §4.11.

use super::http::Call;
use super::{CmrClient, CmrError};
use crate::types::{Reply, Wallet};

impl CmrClient {
    /// `GET /wallet` — the partner's balance.
    ///
    /// Shape inferred (cmr-api.md §4.11): confirm against the live API. Path and response were
    /// not found; `data: { balance, currency }` is assumed.
    pub async fn wallet(&self) -> Result<Reply<Wallet>, CmrError> {
        self.send(Call::get("/wallet")).await?.into_reply()
    }
}
