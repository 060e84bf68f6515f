//! Sign-in attempts per minute, per client address and for everyone together. The per-account
//! lockout (`db::throttle`) stops guessing one password; this stops one client (or a crowd)
//! from making the server hash all day. Kept in memory: it only has to be cheap and bounded,
//! and each instance capping its own share is enough to protect that instance.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use time::OffsetDateTime;

/// Addresses remembered at most; a flood of new addresses cannot grow the map past this.
const MAX_TRACKED: usize = 10_000;
const WINDOW_SECS: i64 = 60;

#[derive(Clone)]
pub struct AttemptCap {
    per_ip: u32,
    total: u32,
    inner: Arc<Mutex<Windows>>,
}

#[derive(Default)]
struct Windows {
    /// Per address: (minute the count belongs to, attempts in it).
    by_ip: HashMap<IpAddr, (i64, u32)>,
    all: (i64, u32),
}

impl AttemptCap {
    pub fn new(per_ip: u32, total: u32) -> AttemptCap {
        AttemptCap {
            per_ip,
            total,
            inner: Arc::default(),
        }
    }

    /// Counts one attempt from `ip`. `Err(seconds)` when over a cap: how long until the
    /// current minute ends.
    pub fn check(&self, ip: Option<IpAddr>, now: OffsetDateTime) -> Result<(), u64> {
        let now = now.unix_timestamp();
        let minute = now.div_euclid(WINDOW_SECS);
        let wait = (WINDOW_SECS - now.rem_euclid(WINDOW_SECS)) as u64;
        let mut windows = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.all.0 != minute {
            windows.all = (minute, 0);
        }
        if windows.all.1 >= self.total {
            return Err(wait);
        }
        if let Some(ip) = ip {
            if windows.by_ip.len() >= MAX_TRACKED && !windows.by_ip.contains_key(&ip) {
                windows.by_ip.retain(|_, (m, _)| *m == minute);
                if windows.by_ip.len() >= MAX_TRACKED {
                    return Err(wait);
                }
            }
            let slot = windows.by_ip.entry(ip).or_insert((minute, 0));
            if slot.0 != minute {
                *slot = (minute, 0);
            }
            if slot.1 >= self.per_ip {
                return Err(wait);
            }
            slot.1 += 1;
        }
        windows.all.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn one_address_is_capped_and_others_are_not() {
        let cap = AttemptCap::new(3, 100);
        let (a, b) = ("10.0.0.1".parse().ok(), "10.0.0.2".parse().ok());
        for _ in 0..3 {
            assert_eq!(cap.check(a, at(0)), Ok(()));
        }
        assert_eq!(cap.check(a, at(15)), Err(45));
        assert_eq!(cap.check(b, at(15)), Ok(()));
        assert_eq!(cap.check(a, at(60)), Ok(()), "a new minute starts afresh");
    }

    #[test]
    fn everyone_together_is_capped_too() {
        let cap = AttemptCap::new(100, 2);
        assert!(cap.check("10.0.0.1".parse().ok(), at(0)).is_ok());
        assert!(cap.check("10.0.0.2".parse().ok(), at(0)).is_ok());
        assert!(cap.check("10.0.0.3".parse().ok(), at(0)).is_err());
    }
}
