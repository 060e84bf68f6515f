//! The partner wallet. Path and shape are not documented (cmr-api.md §4.11).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{lenient, Money};

/// `data` of the wallet call: the balance that orders and renewals are debited from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wallet {
    #[serde(alias = "walletBalance", alias = "amount")]
    pub balance: Money,
    #[serde(default = "usd", deserialize_with = "lenient::string")]
    pub currency: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn usd() -> String {
    "USD".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wallet_balance_decodes_from_a_number_or_a_string() {
        let a: Wallet = serde_json::from_str(r#"{"balance":1250,"currency":"USD"}"#).unwrap();
        let b: Wallet = serde_json::from_str(r#"{"balance":"1250.00"}"#).unwrap();
        assert_eq!(a.balance, Money::from_cents(125_000));
        assert_eq!(b.balance, a.balance);
        assert_eq!(b.currency, "USD");
    }
}
