//! The wallet's runway: what auto-renewals will take from the wallet in the next 30, 60 and
//! 90 days, and the day the balance would run out without a top-up. Pure arithmetic over the
//! renewals the index knows, so it is tested on its own.

use super::date::{date_of, days_since_epoch};
use super::money::Amount;
use cmr::types::Money;
use serde::{Deserialize, Serialize};

/// How far the forecast looks, in days from today (inclusive).
pub const HORIZONS: [i32; 3] = [30, 60, 90];

/// What renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DueKind {
    /// A mailbox subscription: mailboxes × price per mailbox, at the end of its period.
    Subscription,
    /// A domain: its renewal price, at expiry.
    Domain,
}

/// One auto-renewal the wallet will pay unless someone stops it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueRenewal {
    /// `YYYY-MM-DD`; a day already past counts as today (CMR charges at its next attempt).
    pub on: String,
    pub kind: DueKind,
    /// "example.com (3 mailboxes)", "example.com".
    pub label: String,
    pub customer_id: String,
    /// `None` when the price is not known yet (never read as free).
    pub amount: Option<Amount>,
}

/// What is due within one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Horizon {
    pub days: i32,
    /// The priced renewals due within it, together.
    pub due: Amount,
    pub count: u32,
    /// Renewals due within it whose price is not known (not in `due`).
    pub unpriced: u32,
    /// The balance once `due` is paid.
    pub after: Amount,
}

/// When the balance stops covering the renewals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsOut {
    /// `YYYY-MM-DD`.
    pub on: String,
    /// Days from today.
    pub in_days: i32,
    /// The renewal that would not be covered.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Runway {
    pub balance: Amount,
    pub horizons: Vec<Horizon>,
    pub runs_out: Option<RunsOut>,
    /// The projected balance: `(day from today, cents)` starting with today's balance, one point
    /// per day with payments (for the chart).
    pub points: Vec<(i32, i64)>,
    /// The renewals within the longest horizon, soonest first.
    pub items: Vec<DueRenewal>,
    /// Renewals priced in another currency than the wallet's: listed, not added up.
    pub other_currency: u32,
}

/// The wallet page's data: the forecast, and when CMR gave the balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunwayView {
    pub runway: Runway,
    pub fetched_at: i64,
}

/// The forecast for `balance` on day `today` (days since 1970-01-01) over `renewals` (any
/// order; those beyond the longest horizon or undated are left out).
pub fn forecast(balance: Amount, today: i64, renewals: Vec<DueRenewal>) -> Runway {
    let longest = HORIZONS[HORIZONS.len() - 1];
    let mut items: Vec<(i32, DueRenewal)> = renewals
        .into_iter()
        .filter_map(|r| {
            let day = days_since_epoch(&r.on)? - today;
            let day = i32::try_from(day.max(0)).ok()?;
            (day <= longest).then_some((day, r))
        })
        .collect();
    items.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.label.cmp(&y.label)));
    let counted = |r: &DueRenewal| {
        r.amount
            .as_ref()
            .filter(|a| a.currency == balance.currency)
            .map(|a| a.value)
    };
    let other_currency = items
        .iter()
        .filter(|(_, r)| {
            r.amount
                .as_ref()
                .is_some_and(|a| a.currency != balance.currency)
        })
        .count() as u32;
    let horizons = HORIZONS
        .iter()
        .map(|&days| {
            let within: Vec<&DueRenewal> = items
                .iter()
                .filter(|(d, _)| *d <= days)
                .map(|(_, r)| r)
                .collect();
            let due = within
                .iter()
                .filter_map(|r| counted(r))
                .fold(Money::ZERO, |sum, m| sum.checked_add(m).unwrap_or(sum));
            Horizon {
                days,
                due: Amount::new(due, balance.currency.clone()),
                count: within.len() as u32,
                unpriced: within.iter().filter(|r| r.amount.is_none()).count() as u32,
                after: Amount::new(
                    balance.value.checked_sub(due).unwrap_or(Money::ZERO),
                    balance.currency.clone(),
                ),
            }
        })
        .collect();
    let mut points = vec![(0, balance.value.cents())];
    let mut left = balance.value.cents();
    let mut runs_out = balance.value.is_negative().then(|| RunsOut {
        on: date_of(today),
        in_days: 0,
        label: "the balance is already below zero".into(),
    });
    for (day, r) in &items {
        let Some(price) = counted(r) else { continue };
        left -= price.cents();
        match points.last_mut() {
            Some(last) if last.0 == *day => last.1 = left,
            _ => points.push((*day, left)),
        }
        if left < 0 && runs_out.is_none() {
            runs_out = Some(RunsOut {
                on: date_of(today + i64::from(*day)),
                in_days: *day,
                label: r.label.clone(),
            });
        }
    }
    Runway {
        balance,
        horizons,
        runs_out,
        points,
        items: items.into_iter().map(|(_, r)| r).collect(),
        other_currency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-26.
    const TODAY: i64 = 20_783;

    fn usd(cents: i64) -> Amount {
        Amount::new(Money::from_cents(cents), "USD")
    }

    fn due(on: &str, label: &str, amount: Option<Amount>) -> DueRenewal {
        DueRenewal {
            on: on.into(),
            kind: DueKind::Domain,
            label: label.into(),
            customer_id: "U1".into(),
            amount,
        }
    }

    #[test]
    fn today_is_the_day_the_tests_say() {
        assert_eq!(date_of(TODAY), "2026-11-26");
    }

    #[test]
    fn without_renewals_nothing_is_due_and_nothing_runs_out() {
        let r = forecast(usd(10_000), TODAY, vec![]);
        assert!(r
            .horizons
            .iter()
            .all(|h| h.due == usd(0) && h.after == usd(10_000)));
        assert_eq!(r.runs_out, None);
        assert_eq!(r.points, vec![(0, 10_000)]);
    }

    #[test]
    fn a_renewal_on_the_30th_day_is_within_30_days_and_the_31st_is_not() {
        let r = forecast(
            usd(10_000),
            TODAY,
            vec![
                due("2026-12-26", "a.com", Some(usd(1_000))), // day 30
                due("2026-12-27", "b.com", Some(usd(2_000))), // day 31
                due("2027-02-24", "c.com", Some(usd(4_000))), // day 90
                due("2027-02-25", "d.com", Some(usd(8_000))), // day 91: beyond
            ],
        );
        let dues: Vec<i64> = r.horizons.iter().map(|h| h.due.value.cents()).collect();
        assert_eq!(dues, [1_000, 3_000, 7_000]);
        assert_eq!(r.horizons[2].after, usd(3_000));
        assert_eq!(r.items.len(), 3);
        assert_eq!(r.runs_out, None);
        assert_eq!(
            r.points,
            vec![(0, 10_000), (30, 9_000), (31, 7_000), (90, 3_000)]
        );
    }

    #[test]
    fn a_short_balance_runs_out_on_the_renewal_it_cannot_pay() {
        let r = forecast(
            usd(1_500),
            TODAY,
            vec![
                due("2026-12-01", "a.com", Some(usd(1_000))),
                due("2026-12-10", "b.com", Some(usd(1_000))),
            ],
        );
        let out = r.runs_out.unwrap();
        assert_eq!(
            (out.on.as_str(), out.in_days, out.label.as_str()),
            ("2026-12-10", 14, "b.com")
        );
        assert_eq!(r.horizons[0].after, usd(-500));
    }

    #[test]
    fn a_balance_already_below_zero_runs_out_today() {
        let r = forecast(usd(-1), TODAY, vec![]);
        assert_eq!(r.runs_out.unwrap().in_days, 0);
    }

    #[test]
    fn an_overdue_renewal_counts_as_due_today() {
        let r = forecast(
            usd(500),
            TODAY,
            vec![due("2026-11-20", "late.com", Some(usd(600)))],
        );
        assert_eq!(r.points, vec![(0, -100)]);
        assert_eq!(r.runs_out.unwrap().on, "2026-11-26");
    }

    #[test]
    fn unpriced_and_other_currency_renewals_are_counted_apart_never_as_free() {
        let eur = Amount::new(Money::from_cents(900), "EUR");
        let r = forecast(
            usd(1_000),
            TODAY,
            vec![
                due("2026-12-01", "unknown.com", None),
                due("2026-12-02", "euro.com", Some(eur)),
                due("2026-12-03", "priced.com", Some(usd(100))),
            ],
        );
        assert_eq!(r.horizons[0].due, usd(100));
        assert_eq!(r.horizons[0].count, 3);
        assert_eq!(r.horizons[0].unpriced, 1);
        assert_eq!(r.other_currency, 1);
        assert_eq!(r.items.len(), 3);
    }

    #[test]
    fn undated_renewals_are_left_out() {
        let r = forecast(usd(1_000), TODAY, vec![due("soon", "x.com", Some(usd(1)))]);
        assert!(r.items.is_empty());
    }
}
