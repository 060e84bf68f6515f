//! Client-side pacing so the dashboard never exceeds CMR's per-key limit.
//!
//! CMR allows 5 requests per second per key, *globally* across endpoints. A bursty token bucket
//! would let 5 calls through at once and still trip a sliding-window limiter on CMR's side, so
//! calls are spaced evenly: each takes the next free slot, `1/rate` after the previous one.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

pub(crate) struct RateLimiter {
    interval: Option<Duration>,
    next_slot: Mutex<Instant>,
}

impl RateLimiter {
    /// `0` means unlimited.
    pub(crate) fn per_second(rate: u32) -> RateLimiter {
        RateLimiter {
            interval: (rate > 0).then(|| Duration::from_secs(1) / rate),
            next_slot: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this caller's slot. The lock is held only to claim the slot, never while
    /// sleeping; a caller that gives up (deadline) simply leaves its slot unused.
    pub(crate) async fn acquire(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let mut next = self
                .next_slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_spaced_by_the_interval() {
        let limiter = RateLimiter::per_second(100);
        let start = Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_rate_of_zero_does_not_wait() {
        let limiter = RateLimiter::per_second(0);
        let start = Instant::now();
        for _ in 0..100 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(50));
    }
}
