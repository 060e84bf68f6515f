//! Money as staff read it: `1,250.00 USD`.

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
}
