//! The partner wallet. Path and shape are not documented (cmr-api.md §4.11).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::lenient::{self, other_spellings};
use super::Money;

/// `data` of the wallet call: the balance that orders and renewals are debited from.
///
/// A balance under none of its names is an error (that is not a wallet answer); an explicit
/// `null` balance reads as zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Wallet {
    #[serde(deserialize_with = "lenient::money")]
    pub balance: Money,
    /// USD when CMR sent none.
    #[serde(default = "usd", deserialize_with = "currency")]
    pub currency: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(Wallet { "balance" <= ["walletBalance", "amount"] });

fn usd() -> String {
    "USD".to_owned()
}

fn currency<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let code = lenient::string(d)?;
    Ok(if code.trim().is_empty() { usd() } else { code })
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

    #[test]
    fn a_null_balance_is_zero_but_a_missing_one_is_an_error() {
        let w: Wallet = serde_json::from_str(r#"{"balance":null,"currency":null}"#).unwrap();
        assert_eq!((w.balance, w.currency.as_str()), (Money::ZERO, "USD"));
        assert!(serde_json::from_str::<Wallet>(r#"{"currency":"USD"}"#).is_err());
    }
}
