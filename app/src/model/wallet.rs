//! The partner wallet.

use serde::{Deserialize, Serialize};

/// How the header shows the balance: plain, amber below the low threshold, red below the
/// critical one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum WalletLevel {
    #[default]
    Fine,
    Low,
    Critical,
}

/// The partner wallet as shown in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletView {
    pub balance: super::money::Amount,
    /// When CMR gave it (Unix seconds).
    pub fetched_at: i64,
    pub level: WalletLevel,
    /// Why it is amber or red ("Below the 500.00 warning threshold").
    pub note: Option<String>,
}

impl WalletLevel {
    /// The level of `balance` against the two thresholds, and what the header says on hover.
    pub fn of(
        balance: &super::money::Amount,
        low_below: cmr::types::Money,
        critical_below: cmr::types::Money,
    ) -> (WalletLevel, Option<String>) {
        let threshold = |kind: &str, at: cmr::types::Money| {
            Some(format!(
                "Below the {} {kind} threshold: top up the wallet before paid actions fail.",
                super::money::with_currency(at, &balance.currency)
            ))
        };
        if balance.value < critical_below {
            (WalletLevel::Critical, threshold("critical", critical_below))
        } else if balance.value < low_below {
            (WalletLevel::Low, threshold("warning", low_below))
        } else {
            (WalletLevel::Fine, None)
        }
    }

    /// The header's CSS class for this level.
    pub fn class(self) -> &'static str {
        match self {
            WalletLevel::Fine => "",
            WalletLevel::Low => "wallet-low",
            WalletLevel::Critical => "wallet-critical",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::money::Amount;
    use cmr::types::Money;

    #[test]
    fn the_header_turns_amber_then_red_at_the_thresholds() {
        let at = |cents| {
            WalletLevel::of(
                &Amount::new(Money::from_cents(cents), "USD"),
                Money::from_cents(50_000),
                Money::from_cents(10_000),
            )
        };
        assert_eq!(at(50_000), (WalletLevel::Fine, None));
        assert_eq!(at(49_999).0, WalletLevel::Low);
        assert_eq!(at(10_000).0, WalletLevel::Low);
        let (level, note) = at(9_999);
        assert_eq!(level, WalletLevel::Critical);
        assert_eq!(
            note.unwrap(),
            "Below the 100.00 USD critical threshold: top up the wallet before paid actions fail."
        );
    }
}
