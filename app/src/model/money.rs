//! Money as staff read it: `1,250.00 USD`.

use cmr::types::Money;
use serde::{Deserialize, Serialize};

/// An amount with its currency, as CMR gives the wallet and prices. Crosses the wire as cents
/// (via `Money`), never as a float or a pre-formatted string, so pages can compute with it
/// (the balance after a charge) and format it in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub value: Money,
    pub currency: String,
}

impl Amount {
    pub fn new(value: Money, currency: impl Into<String>) -> Amount {
        Amount {
            value,
            currency: currency.into(),
        }
    }

    /// What is left after paying `price`; `None` when the currencies differ (nothing to
    /// subtract) or the amounts overflow.
    pub fn minus(&self, price: &Amount) -> Option<Amount> {
        (self.currency == price.currency)
            .then(|| self.value.checked_sub(price.value))
            .flatten()
            .map(|value| Amount::new(value, self.currency.clone()))
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&with_currency(self.value, &self.currency))
    }
}

/// Groups the integer part of a decimal amount in thousands: `"-1250.5"` → `"-1,250.5"`.
pub fn grouped(amount: &str) -> String {
    let (sign, rest) = amount.strip_prefix('-').map_or(("", amount), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(frac) => format!("{sign}{out}.{frac}"),
        None => format!("{sign}{out}"),
    }
}

/// An amount with its currency, grouped.
pub fn with_currency(amount: impl std::fmt::Display, currency: &str) -> String {
    format!("{} {currency}", grouped(&amount.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_in_thousands() {
        assert_eq!(grouped("1250.00"), "1,250.00");
        assert_eq!(grouped("999.99"), "999.99");
        assert_eq!(grouped("1234567"), "1,234,567");
        assert_eq!(grouped("-1000.5"), "-1,000.5");
        assert_eq!(with_currency("14.50", "USD"), "14.50 USD");
    }

    #[test]
    fn an_amount_shows_grouped_with_its_currency_and_subtracts_only_the_same_currency() {
        let balance = Amount::new(Money::from_cents(125_000), "USD");
        assert_eq!(balance.to_string(), "1,250.00 USD");
        let price = Amount::new(Money::from_cents(1_200), "USD");
        assert_eq!(
            balance.minus(&price),
            Some(Amount::new(Money::from_cents(123_800), "USD"))
        );
        assert_eq!(
            balance.minus(&Amount::new(Money::from_cents(1), "EUR")),
            None
        );
    }
}
