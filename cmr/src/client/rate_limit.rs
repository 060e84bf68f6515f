//! Client-side pacing so the dashboard never exceeds CMR's per-key limit.
//!
//! CMR allows 5 requests per second per key, *globally* across endpoints. This is a sliding
//! window over claimed slots: at most `capacity` calls start within any `window`. A page's
//! handful of concurrent calls therefore go out together (the page takes as long as its
//! slowest call), while a longer run of calls is held to the limit even by a strict
//! sliding-window counter on CMR's side. Evenly spacing every call instead would add 200 ms
//! per call to each page.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

pub(crate) struct RateLimiter {
    capacity: usize,
    window: Duration,
    /// Start times of the last `capacity` claimed slots, oldest first (never decreasing).
    slots: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    /// `rate` calls per second; `0` means unlimited.
    pub(crate) fn per_second(rate: u32) -> RateLimiter {
        RateLimiter::new(rate as usize, Duration::from_secs(1))
    }

    pub(crate) fn new(capacity: usize, window: Duration) -> RateLimiter {
        RateLimiter {
            capacity,
            window,
            slots: Mutex::new(VecDeque::with_capacity(capacity)),
        }
    }

    /// Waits for this caller's slot. The lock is held only to claim the slot, never while
    /// sleeping; a caller that gives up (deadline) simply leaves its slot unused.
    pub(crate) async fn acquire(&self) {
        if self.capacity == 0 {
            return;
        }
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = match slots.front() {
                Some(&oldest) if slots.len() >= self.capacity => now.max(oldest + self.window),
                _ => now,
            };
            slots.push_back(slot);
            while slots.len() > self.capacity {
                slots.pop_front();
            }
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_up_to_the_capacity_does_not_wait() {
        let limiter = RateLimiter::per_second(5);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(50));
    }

    #[tokio::test]
    async fn no_window_holds_more_than_the_capacity() {
        let limiter = RateLimiter::new(2, Duration::from_millis(100));
        let start = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..5 {
            limiter.acquire().await;
            starts.push(start.elapsed());
        }
        // Slots 0, 0, 100, 100, 200 ms: the third call waits for the first to leave the window.
        assert!(starts[2] >= Duration::from_millis(100), "{starts:?}");
        assert!(starts[4] >= Duration::from_millis(200), "{starts:?}");
        assert!(starts[4] < Duration::from_millis(600), "{starts:?}");
        for pair in starts.windows(3) {
            assert!(pair[2] - pair[0] >= Duration::from_millis(99), "{starts:?}");
        }
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
