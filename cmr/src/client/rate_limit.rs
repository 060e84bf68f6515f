//! Client-side pacing so the dashboard stays inside CMR's per-key budget.
//!
//! CMR allows 5 requests per second per key, *globally* across endpoints. At most `capacity`
//! calls start within any sliding `window`: a page's handful of concurrent calls therefore go
//! out together (the page takes as long as its slowest call), while a longer run of calls is
//! held to the limit even by a strict sliding-window counter on CMR's side. Evenly spacing
//! every call instead would add 200 ms per call to each page.
//!
//! Callers that must wait are served first come, first served, and nothing is reserved ahead:
//! a waiter's start time is recomputed from the calls actually started and the waiters still
//! ahead of it. A caller that gives up (its future dropped) therefore hands its place to those
//! behind it, instead of leaving a reserved slot that pushes every later call past its
//! deadline. A caller whose turn would come after its deadline, or who finds the queue full,
//! is refused at once ([`Busy`]): nothing is sent, and the budget goes to calls that can still
//! use it. A 429 from CMR pauses every caller of the client (all clones share one limiter)
//! until its `Retry-After` has passed, since the budget is the key's, not the caller's.
//!
//! This limiter only knows its own process. Where several processes share the key, each
//! attempt this limiter lets through also asks the [`SharedBudget`](super::SharedBudget).

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tokio::time::Instant;

/// The pause after a 429 that carries no usable `Retry-After`.
pub(crate) const DEFAULT_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause a 429 can impose: a misbehaving proxy must not silence the dashboard
/// for hours.
pub(crate) const MAX_PAUSE: Duration = Duration::from_secs(60);

/// A limiter (this process's or the [shared budget](super::SharedBudget)) refused a caller;
/// nothing was sent. `retry_after` is when the caller's turn would have come (a hint, not a
/// promise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub retry_after: Duration,
}

pub(crate) struct RateLimiter {
    /// `0` means unlimited (only a 429 pause holds calls back).
    capacity: usize,
    window: Duration,
    max_queue: usize,
    state: Mutex<State>,
    /// Woken when a waiter leaves the queue early or a pause starts: the others recompute.
    changed: Notify,
}

#[derive(Default)]
struct State {
    /// Start times of the last `capacity` calls let through, oldest first (never decreasing).
    started: VecDeque<Instant>,
    /// Tickets of the waiting callers, first come first.
    queue: VecDeque<u64>,
    next_ticket: u64,
    /// No call starts before this (set by a 429).
    paused_until: Option<Instant>,
}

impl RateLimiter {
    /// `rate` calls per second (`0`: unlimited); at most `max_queue` callers wait.
    pub(crate) fn per_second(rate: u32, max_queue: usize) -> RateLimiter {
        RateLimiter::new(rate as usize, Duration::from_secs(1), max_queue)
    }

    pub(crate) fn new(capacity: usize, window: Duration, max_queue: usize) -> RateLimiter {
        RateLimiter {
            capacity,
            window,
            max_queue,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    /// Waits for this caller's turn to start a call, or refuses at once when that turn would
    /// come after `deadline` or the queue is full. Dropping the future while it waits gives
    /// the place up to the callers behind. The lock is never held across an await.
    pub(crate) async fn acquire(&self, deadline: Instant) -> Result<(), Busy> {
        let place = {
            let mut state = self.lock();
            let now = Instant::now();
            let position = state.queue.len();
            let slot = self.slot(&state, position, now);
            if slot <= now {
                self.start(&mut state, now);
                return Ok(());
            }
            if position >= self.max_queue || slot > deadline {
                return Err(Busy {
                    retry_after: slot - now,
                });
            }
            let ticket = state.next_ticket;
            state.next_ticket += 1;
            state.queue.push_back(ticket);
            Place {
                limiter: self,
                ticket,
                waiting: true,
            }
        };
        self.wait_in_line(place, deadline).await
    }

    async fn wait_in_line(&self, mut place: Place<'_>, deadline: Instant) -> Result<(), Busy> {
        loop {
            // Created before the state is read, so a change made after the read still wakes us.
            let mut changed = pin!(self.changed.notified());
            changed.as_mut().enable();
            let slot = {
                let mut state = self.lock();
                let now = Instant::now();
                let position = state
                    .queue
                    .iter()
                    .position(|t| *t == place.ticket)
                    .unwrap_or(state.queue.len());
                let slot = self.slot(&state, position, now);
                if slot <= now || slot > deadline {
                    state.queue.retain(|t| *t != place.ticket);
                    place.waiting = false;
                    if slot <= now {
                        // Everyone ahead is due now as well, so taking the slot first keeps
                        // both the order and the window.
                        self.start(&mut state, now);
                        return Ok(());
                    }
                    drop(state);
                    // Refused (a pause pushed the turn past the deadline): those behind move up.
                    self.changed.notify_waiters();
                    return Err(Busy {
                        retry_after: slot - now,
                    });
                }
                slot
            };
            tokio::select! {
                () = tokio::time::sleep_until(slot) => {}
                () = changed => {}
            }
        }
    }

    /// Holds every caller back for `pause` (capped at [`MAX_PAUSE`]), e.g. after a 429.
    /// Calls already sent are not affected; waiters whose deadline the pause outlasts are
    /// refused at once.
    pub(crate) fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause.min(MAX_PAUSE);
        {
            let mut state = self.lock();
            state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        }
        self.changed.notify_waiters();
    }

    /// When the caller at `position` in the queue (0 = first) may start, if everyone ahead
    /// starts as early as they can.
    fn slot(&self, state: &State, position: usize, now: Instant) -> Instant {
        let floor = state.paused_until.map_or(now, |p| p.max(now));
        if self.capacity == 0 {
            return floor;
        }
        let mut starts = state.started.clone();
        let mut slot = floor;
        for _ in 0..=position {
            slot = match starts.front() {
                Some(&oldest) if starts.len() >= self.capacity => floor.max(oldest + self.window),
                _ => floor,
            };
            starts.push_back(slot);
            if starts.len() > self.capacity {
                starts.pop_front();
            }
        }
        slot
    }

    fn start(&self, state: &mut State, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        state.started.push_back(now);
        while state.started.len() > self.capacity {
            state.started.pop_front();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A caller's place in the queue; dropping it while still waiting (the caller gave up) takes
/// it out of the queue and lets the others recompute.
struct Place<'a> {
    limiter: &'a RateLimiter,
    ticket: u64,
    waiting: bool,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if self.waiting {
            self.limiter.lock().queue.retain(|t| *t != self.ticket);
            self.limiter.changed.notify_waiters();
        }
    }
}

/// A `Retry-After` value: delta-seconds (`"120"`) or an HTTP-date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`, as of `now`; a past date is zero). `None` when it is
/// neither.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const FAR: Duration = Duration::from_secs(3600);

    fn later(d: Duration) -> Instant {
        Instant::now() + d
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_up_to_the_capacity_does_not_wait() {
        let limiter = RateLimiter::per_second(5, 64);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire(later(FAR)).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_than_the_capacity() {
        let limiter = RateLimiter::new(2, Duration::from_millis(100), 64);
        let start = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..5 {
            limiter.acquire(later(FAR)).await.unwrap();
            starts.push(start.elapsed());
        }
        // Slots 0, 0, 100, 100, 200 ms: the third call waits for the first to leave the window.
        let ms = |n| Duration::from_millis(n);
        assert_eq!(starts, [ms(0), ms(0), ms(100), ms(100), ms(200)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_of_zero_does_not_wait() {
        let limiter = RateLimiter::per_second(0, 0);
        let start = Instant::now();
        for _ in 0..100 {
            limiter.acquire(later(FAR)).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_whose_turn_is_past_its_deadline_is_refused_at_once_and_reserves_nothing() {
        let limiter = RateLimiter::new(1, Duration::from_secs(1), 64);
        limiter.acquire(later(FAR)).await.unwrap();
        let start = Instant::now();
        let busy = limiter
            .acquire(later(Duration::from_millis(500)))
            .await
            .unwrap_err();
        assert_eq!(start.elapsed(), Duration::ZERO, "refused without waiting");
        assert_eq!(busy.retry_after, Duration::from_secs(1));
        // The refused caller left no slot behind: the next one gets the 1 s slot, not 2 s.
        limiter.acquire(later(FAR)).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_waiter_lets_those_behind_move_up() {
        let limiter = Arc::new(RateLimiter::new(1, Duration::from_secs(1), 64));
        let start = Instant::now();
        limiter.acquire(later(FAR)).await.unwrap();
        // The first waiter's turn would be at 1 s; it gives up at 500 ms.
        let quitter = tokio::time::timeout(Duration::from_millis(500), limiter.acquire(later(FAR)));
        let patient = {
            let limiter = Arc::clone(&limiter);
            tokio::spawn(async move {
                tokio::task::yield_now().await; // queue behind the quitter
                limiter.acquire(later(FAR)).await.unwrap();
                start.elapsed()
            })
        };
        assert!(quitter.await.is_err(), "still waiting at 500 ms");
        assert_eq!(patient.await.unwrap(), Duration::from_secs(1), "not 2 s");
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_arrival_order() {
        let limiter = Arc::new(RateLimiter::new(1, Duration::from_millis(100), 64));
        limiter.acquire(later(FAR)).await.unwrap();
        let served = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (limiter, served) = (Arc::clone(&limiter), Arc::clone(&served));
            tasks.push(tokio::spawn(async move {
                limiter.acquire(later(FAR)).await.unwrap();
                served.lock().unwrap().push(i);
            }));
            // Let this waiter take its place before the next one arrives.
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*served.lock().unwrap(), [0, 1, 2, 3, 4, 5]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_refuses_at_once() {
        let limiter = Arc::new(RateLimiter::new(1, Duration::from_secs(1), 2));
        limiter.acquire(later(FAR)).await.unwrap();
        let mut waiters = Vec::new();
        for _ in 0..2 {
            let limiter = Arc::clone(&limiter);
            waiters.push(tokio::spawn(
                async move { limiter.acquire(later(FAR)).await },
            ));
            tokio::task::yield_now().await;
        }
        let start = Instant::now();
        let busy = limiter.acquire(later(FAR)).await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(busy.retry_after, Duration::from_secs(3));
        for waiter in waiters {
            waiter.await.unwrap().unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_caller_until_it_ends() {
        let limiter = Arc::new(RateLimiter::per_second(5, 64));
        let start = Instant::now();
        limiter.pause(Duration::from_secs(2));
        limiter.acquire(later(FAR)).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        // Later calls are paced as usual again.
        limiter.acquire(later(FAR)).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_refuses_waiters_it_would_carry_past_their_deadline() {
        let limiter = Arc::new(RateLimiter::new(1, Duration::from_secs(1), 64));
        limiter.acquire(later(FAR)).await.unwrap();
        let start = Instant::now();
        let waiter = {
            let limiter = Arc::clone(&limiter);
            tokio::spawn(async move {
                let result = limiter.acquire(later(Duration::from_secs(3))).await;
                (result, start.elapsed())
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        limiter.pause(Duration::from_secs(10));
        let (result, at) = waiter.await.unwrap();
        assert_eq!(
            at,
            Duration::from_millis(100),
            "refused when the pause began"
        );
        assert_eq!(result.unwrap_err().retry_after, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_is_capped() {
        let limiter = RateLimiter::per_second(5, 64);
        let start = Instant::now();
        limiter.pause(Duration::from_secs(86_400));
        limiter.acquire(later(FAR)).await.unwrap();
        assert_eq!(start.elapsed(), MAX_PAUSE);
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_an_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        let parse = |v| parse_retry_after(v, now);
        assert_eq!(parse("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse("Wed, 21 Oct 2026 07:28:30 GMT"),
            Some(Duration::from_secs(30))
        );
        // The two obsolete formats HTTP still allows.
        assert_eq!(
            parse("Wednesday, 21-Oct-26 07:29:00 GMT"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse("Wed Oct 21 07:28:05 2026"),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse("Wed, 21 Oct 2026 07:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("-1"), None);
        assert_eq!(parse(""), None);
    }
}
