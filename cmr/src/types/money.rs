//! Money as integer cents.
//!
//! CMR sends prices both as decimal strings (`"renewalPrice": "14.50"`) and as JSON numbers
//! (`"pricePerMailbox": 8`). Floats would round; strings can't be added. Cents are exact.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount in the wallet's currency, stored as whole cents.
///
/// Decodes from `"14.50"`, `"14.5"`, `"1,250"`, `14.5` or `8`; displays and serialises as `"14.50"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_mul(self, times: i64) -> Option<Money> {
        self.0.checked_mul(times).map(Money)
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Nearest cent of a float amount (e.g. `14.5` → 1450); `None` if not finite or too large.
    pub fn from_f64(amount: f64) -> Option<Money> {
        let cents = (amount * 100.0).round();
        (cents.is_finite() && cents.abs() < 9.0e15).then_some(Money(cents as i64))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Why a text amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseMoneyError(String);

impl fmt::Display for ParseMoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an amount of money: {:?}", self.0)
    }
}

impl std::error::Error for ParseMoneyError {}

impl FromStr for Money {
    type Err = ParseMoneyError;

    fn from_str(text: &str) -> Result<Money, ParseMoneyError> {
        let fail = || ParseMoneyError(text.to_owned());
        let trimmed = text.trim();
        let (negative, unsigned) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        // Thousands separators appear in human-facing amounts ("1,250.00").
        let digits: String = unsigned.chars().filter(|c| *c != ',').collect();
        let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction)
        {
            return Err(fail());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| fail())?
        };
        let frac = fraction.as_bytes();
        let digit = |i: usize| frac.get(i).map_or(0, |b| i64::from(b - b'0'));
        // Round half up on the third decimal, as a cashier would.
        let mut cents = digit(0) * 10 + digit(1);
        if digit(2) >= 5 {
            cents += 1;
        }
        let total = whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents))
            .ok_or_else(fail)?;
        Ok(Money(if negative { -total } else { total }))
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        d.deserialize_any(MoneyVisitor)
    }
}

struct MoneyVisitor;

impl Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount as a number or a decimal string")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        v.checked_mul(100)
            .map(Money)
            .ok_or_else(|| E::custom("amount too large"))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        i64::try_from(v)
            .ok()
            .and_then(|v| v.checked_mul(100))
            .map(Money)
            .ok_or_else(|| E::custom("amount too large"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        Money::from_f64(v).ok_or_else(|| E::custom("amount is not a finite number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        v.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::Money;

    fn decode(json: &str) -> Money {
        serde_json::from_str(json).expect("money decodes")
    }

    #[test]
    fn a_decimal_string_price_decodes_to_cents() {
        assert_eq!(decode(r#""14.50""#), Money::from_cents(1450));
        assert_eq!(decode(r#""14.5""#), Money::from_cents(1450));
        assert_eq!(decode(r#""14""#), Money::from_cents(1400));
        assert_eq!(decode(r#"" 1,250.00 ""#), Money::from_cents(125_000));
    }

    #[test]
    fn a_numeric_price_decodes_to_cents() {
        assert_eq!(decode("8"), Money::from_cents(800));
        assert_eq!(decode("14.5"), Money::from_cents(1450));
        assert_eq!(decode("0.1"), Money::from_cents(10));
        assert_eq!(decode("-3"), Money::from_cents(-300));
    }

    #[test]
    fn a_third_decimal_rounds_half_up() {
        assert_eq!(decode(r#""0.005""#), Money::from_cents(1));
        assert_eq!(decode(r#""0.004""#), Money::from_cents(0));
    }

    #[test]
    fn money_displays_and_serialises_with_two_decimals() {
        assert_eq!(Money::from_cents(1450).to_string(), "14.50");
        assert_eq!(Money::from_cents(5).to_string(), "0.05");
        assert_eq!(Money::from_cents(-1450).to_string(), "-14.50");
        assert_eq!(
            serde_json::to_string(&Money::from_cents(125_000)).unwrap(),
            r#""1250.00""#
        );
    }

    #[test]
    fn money_survives_a_round_trip() {
        let m = Money::from_cents(-12_345);
        let back: Money = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn text_that_is_not_an_amount_is_rejected() {
        for bad in [r#""""#, r#""abc""#, r#""1.2.3""#, r#""$5""#, "true", "null"] {
            assert!(
                serde_json::from_str::<Money>(bad).is_err(),
                "{bad} should fail"
            );
        }
    }
}
