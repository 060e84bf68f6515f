//! Sessions this instance confirmed a moment ago, so that a read may start while its session
//! check is still under way (see `guard::authenticate`). An entry grants nothing by itself:
//! every answer still waits for the check. It only decides whether a read may *start* early,
//! so that a cookie this instance has never seen valid (a guess, a stolen old one) cannot
//! spend CMR's budget before the database has said no.

use crate::model::StaffView;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_sessions::session::Id;

/// How long a confirmation lets reads start early. Staff who keep working are confirmed again
/// with every request; after a minute's pause the next request waits for its check.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

/// At most this many sessions are remembered (about 1.5 MB); past it the stale ones go, and
/// if every one is fresh, all of them (which only makes the next reads wait for their check).
pub const MAX_REMEMBERED: usize = 10_000;

/// At most this many reads run ahead of their check at once, on this instance; the rest wait
/// for their check as every other request does. It bounds what a burst from a session that
/// was just ended elsewhere can start before its checks say no.
pub const MAX_AHEAD: usize = 16;

#[derive(Debug)]
pub struct RecentSessions {
    fresh_for: Duration,
    seen: Mutex<HashMap<Id, (StaffView, Instant)>>,
    /// Counts the sessions [`RecentSessions::forget`] removed: a check that began before one
    /// may not remember its session afterwards (it may have read it before it ended).
    forgotten: AtomicU64,
    ahead: Arc<Semaphore>,
}

impl Default for RecentSessions {
    fn default() -> Self {
        RecentSessions::new(FRESH_FOR)
    }
}

/// Leave for one read to run ahead of its check; dropping it gives the place back.
#[derive(Debug)]
pub struct Ahead {
    pub staff: StaffView,
    _place: OwnedSemaphorePermit,
}

impl RecentSessions {
    pub fn new(fresh_for: Duration) -> RecentSessions {
        RecentSessions {
            fresh_for,
            seen: Mutex::default(),
            forgotten: AtomicU64::new(0),
            ahead: Arc::new(Semaphore::new(MAX_AHEAD)),
        }
    }

    /// Leave for a read from session `id` to start before its check: the staff member this
    /// instance confirmed for it, if that was recent and fewer than [`MAX_AHEAD`] reads are
    /// ahead of their checks now.
    pub fn ahead(&self, id: &Id) -> Option<Ahead> {
        let staff = self.staff(id)?;
        let place = Arc::clone(&self.ahead).try_acquire_owned().ok()?;
        Some(Ahead {
            staff,
            _place: place,
        })
    }

    /// The staff member the session belonged to when this instance last confirmed it, if that
    /// was recent.
    pub fn staff(&self, id: &Id) -> Option<StaffView> {
        let seen = self.lock();
        let (staff, at) = seen.get(id)?;
        (at.elapsed() < self.fresh_for).then(|| staff.clone())
    }

    /// Taken before a check begins, and handed to [`RecentSessions::confirmed`] after it.
    pub fn generation(&self) -> u64 {
        self.forgotten.load(Ordering::Acquire)
    }

    /// The session check that began at `generation` let `staff` through with nothing left to
    /// do first. Not remembered if any session was forgotten meanwhile: this check may have
    /// read the session just before it ended (the next check remembers it again).
    pub fn confirmed(&self, id: Id, staff: StaffView, generation: u64) {
        let mut seen = self.lock();
        if self.generation() != generation {
            return;
        }
        if seen.len() >= MAX_REMEMBERED && !seen.contains_key(&id) {
            seen.retain(|_, (_, at)| at.elapsed() < self.fresh_for);
            if seen.len() >= MAX_REMEMBERED {
                seen.clear();
            }
        }
        seen.insert(id, (staff, Instant::now()));
    }

    /// The session ended, or its check refused it or sent it to a gate: no early reads for it.
    pub fn forget(&self, id: &Id) {
        let mut seen = self.lock();
        // Counted only for a session that was remembered (cookies nobody knows, refused by
        // the hundred, must not keep every confirmation out), and under the lock, so that no
        // confirmation slips in between the count and the removal.
        if seen.remove(id).is_some() {
            self.forgotten.fetch_add(1, Ordering::AcqRel);
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Id, (StaffView, Instant)>> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn staff(id: i64) -> StaffView {
        StaffView {
            id,
            email: format!("s{id}@example.com"),
            display_name: "S".into(),
            role: Role::Viewer,
        }
    }

    #[test]
    fn a_confirmed_session_is_remembered_until_forgotten() {
        let recent = RecentSessions::default();
        let id = Id(7);
        assert_eq!(recent.staff(&id), None);
        recent.confirmed(id, staff(1), recent.generation());
        assert_eq!(recent.staff(&id), Some(staff(1)));
        assert_eq!(recent.staff(&Id(8)), None);
        recent.forget(&id);
        assert_eq!(recent.staff(&id), None);
    }

    #[test]
    fn a_confirmation_older_than_its_freshness_lets_nothing_start_early() {
        let recent = RecentSessions::new(Duration::ZERO);
        recent.confirmed(Id(7), staff(1), recent.generation());
        assert_eq!(recent.staff(&Id(7)), None);
    }

    #[test]
    fn the_memory_is_bounded() {
        let recent = RecentSessions::default();
        for n in 0..(MAX_REMEMBERED as i128 + 5) {
            recent.confirmed(Id(n), staff(1), recent.generation());
        }
        assert!(recent.len() <= MAX_REMEMBERED, "{} kept", recent.len());
        // The newest is always kept.
        assert!(recent.staff(&Id(MAX_REMEMBERED as i128 + 4)).is_some());

        // Stale entries make room first, before any fresh one is dropped.
        let short = RecentSessions::new(Duration::from_millis(1));
        for n in 0..MAX_REMEMBERED as i128 {
            short.confirmed(Id(n), staff(1), short.generation());
        }
        std::thread::sleep(Duration::from_millis(5));
        short.confirmed(Id(-1), staff(2), short.generation());
        assert_eq!(short.len(), 1);
    }

    #[test]
    fn a_check_that_began_before_a_sign_out_does_not_bring_the_session_back() {
        let recent = RecentSessions::default();
        let id = Id(7);
        recent.confirmed(id, staff(1), recent.generation());
        // A check begins (the session still valid), the session ends and is forgotten, then
        // the first check's confirmation arrives.
        let began = recent.generation();
        recent.forget(&id);
        recent.confirmed(id, staff(1), began);
        assert_eq!(recent.staff(&id), None);
        // The next check remembers it again.
        recent.confirmed(id, staff(1), recent.generation());
        assert!(recent.staff(&id).is_some());
    }

    #[test]
    fn at_most_max_ahead_reads_run_ahead_at_once() {
        let recent = RecentSessions::default();
        recent.confirmed(Id(7), staff(1), recent.generation());
        let places: Vec<Ahead> = (0..MAX_AHEAD).map_while(|_| recent.ahead(&Id(7))).collect();
        assert_eq!(places.len(), MAX_AHEAD);
        assert!(
            recent.ahead(&Id(7)).is_none(),
            "the next one waits for its check"
        );
        drop(places);
        assert!(recent.ahead(&Id(7)).is_some());
        assert!(
            recent.ahead(&Id(8)).is_none(),
            "never for a session not confirmed"
        );
    }
}
