//! Calendar days in UTC, as CMR states its windows (45 days before expiry, the 7th day after):
//! no time zone, no clock, so the browser and the server count alike.

/// Days from `now` (Unix seconds, UTC calendar days) to `expires_on` (`YYYY-MM-DD`);
/// negative once past.
pub fn days_left(expires_on: &str, now: i64) -> Option<i32> {
    let expiry = days_since_epoch(expires_on)?;
    i32::try_from(expiry - today(now)).ok()
}

/// Days from 1970-01-01 to a `YYYY-MM-DD` date (proleptic Gregorian; H. Hinnant's
/// days-from-civil), or `None` when it is not a real date.
pub fn days_since_epoch(date: &str) -> Option<i64> {
    let mut parts = date.get(..10)?.split('-');
    let (y, m, d): (i64, i64, i64) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` date `days` days after 1970-01-01 (H. Hinnant's civil-from-days).
pub fn date_of(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Today (UTC) at `now` (Unix seconds), as days since 1970-01-01.
pub fn today(now: i64) -> i64 {
    now.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-26T00:00:00Z.
    const DAY: i64 = 86_400;
    const TODAY: i64 = 1_795_651_200;

    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(days_since_epoch("1970-01-01"), Some(0));
        assert_eq!(days_since_epoch("2026-11-26"), Some(TODAY / DAY));
        assert_eq!(days_since_epoch("2024-02-29"), Some(19_782));
        assert_eq!(days_since_epoch("2025-02-29"), None);
        assert_eq!(days_since_epoch("2026-13-01"), None);
        assert_eq!(days_since_epoch("soon"), None);
    }

    #[test]
    fn days_turn_back_into_dates() {
        for date in [
            "1970-01-01",
            "2024-02-29",
            "2026-11-26",
            "2027-01-10",
            "2000-12-31",
        ] {
            assert_eq!(date_of(days_since_epoch(date).unwrap()), date);
        }
        assert_eq!(date_of(today(TODAY + DAY - 1)), "2026-11-26");
    }
}
