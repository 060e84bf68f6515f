//! Times as people think of them ("3 minutes ago", "in 2 days"), with the exact UTC time in a
//! `<time datetime>` for machines and on hover for people. Pure functions do the arithmetic
//! (no date crate is needed in the browser), so they are tested without a clock.

use leptos::prelude::*;

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// How `from` reads seen at `now` (both in seconds since the Unix epoch): "just now",
/// "42 seconds ago", "in 5 minutes", "3 hours ago", "in 2 days". Beyond 30 days the date itself
/// says more than a count of days.
pub fn relative(from_secs: i64, now_secs: i64) -> String {
    let delta = from_secs - now_secs;
    let distance = delta.unsigned_abs() as i64;
    if distance < 5 {
        return "just now".into();
    }
    let (count, unit) = match distance {
        d if d < MINUTE => (d, "second"),
        d if d < HOUR => (d / MINUTE, "minute"),
        d if d < DAY => (d / HOUR, "hour"),
        d if d <= 30 * DAY => (d / DAY, "day"),
        _ => return format!("on {}", &iso_utc(from_secs)[..10]),
    };
    let plural = if count == 1 { "" } else { "s" };
    if delta < 0 {
        format!("{count} {unit}{plural} ago")
    } else {
        format!("in {count} {unit}{plural}")
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (proleptic Gregorian, UTC).
pub fn iso_utc(secs: i64) -> String {
    let (days, rest) = (secs.div_euclid(DAY), secs.rem_euclid(DAY));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / HOUR,
        rest % HOUR / MINUTE,
        rest % MINUTE
    )
}

/// Days since 1970-01-01 → (year, month, day); Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Now, in seconds since the Unix epoch (the browser's clock after hydration; `SystemTime`
/// does not exist on wasm32-unknown-unknown).
pub fn now_secs() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        (leptos::web_sys::js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// A point in time relative to now. Rendered once: the server's wording stays after hydration
/// (both clocks agree to the minute), and a page that stays open reads "ago" from then.
#[component]
pub fn RelativeTime(
    /// Seconds since the Unix epoch.
    at: i64,
) -> impl IntoView {
    let iso = iso_utc(at);
    let exact = format!("{} UTC", iso.trim_end_matches('Z').replace('T', " "));
    view! {
        <time datetime=iso title=exact>
            {relative(at, now_secs())}
        </time>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn the_past_reads_ago_in_seconds_minutes_hours_and_days() {
        assert_eq!(relative(NOW - 2, NOW), "just now");
        assert_eq!(relative(NOW - 42, NOW), "42 seconds ago");
        assert_eq!(relative(NOW - 60, NOW), "1 minute ago");
        assert_eq!(relative(NOW - 3 * MINUTE - 59, NOW), "3 minutes ago");
        assert_eq!(relative(NOW - 5 * HOUR, NOW), "5 hours ago");
        assert_eq!(relative(NOW - DAY, NOW), "1 day ago");
        assert_eq!(relative(NOW - 30 * DAY, NOW), "30 days ago");
    }

    #[test]
    fn the_future_reads_in() {
        assert_eq!(relative(NOW + 1, NOW), "just now");
        assert_eq!(relative(NOW + 30, NOW), "in 30 seconds");
        assert_eq!(relative(NOW + 2 * MINUTE, NOW), "in 2 minutes");
        assert_eq!(relative(NOW + HOUR, NOW), "in 1 hour");
        assert_eq!(relative(NOW + 2 * DAY + HOUR, NOW), "in 2 days");
    }

    #[test]
    fn beyond_a_month_the_date_is_shown() {
        assert_eq!(relative(NOW - 31 * DAY, NOW), "on 2023-10-14");
        assert_eq!(relative(NOW + 365 * DAY, NOW), "on 2024-11-13");
    }

    #[test]
    fn iso_times_are_utc_and_correct_across_leap_years() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(NOW), "2023-11-14T22:13:20Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59Z");
    }
}
