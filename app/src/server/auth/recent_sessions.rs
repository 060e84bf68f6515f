//! Sessions this instance confirmed a moment ago, so that a read may start while its session
//! check is still under way (see `guard::authenticate`). An entry grants nothing by itself:
//! every answer still waits for the check. It only decides whether a read may *start* early,
//! so that a cookie this instance has never seen valid (a guess, a stolen old one) cannot
//! spend CMR's budget before the database has said no.

use crate::model::StaffView;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use tower_sessions::session::Id;

/// How long a confirmation lets reads start early. Staff who keep working are confirmed again
/// with every request; after a minute's pause the next request waits for its check.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

/// At most this many sessions are remembered (about 1.5 MB); past it the stale ones go, and
/// if every one is fresh, all of them (which only makes the next reads wait for their check).
pub const MAX_REMEMBERED: usize = 10_000;

#[derive(Debug)]
pub struct RecentSessions {
    fresh_for: Duration,
    seen: Mutex<HashMap<Id, (StaffView, Instant)>>,
}

impl Default for RecentSessions {
    fn default() -> Self {
        RecentSessions::new(FRESH_FOR)
    }
}

impl RecentSessions {
    pub fn new(fresh_for: Duration) -> RecentSessions {
        RecentSessions {
            fresh_for,
            seen: Mutex::default(),
        }
    }

    /// The staff member the session belonged to when this instance last confirmed it, if that
    /// was recent.
    pub fn staff(&self, id: &Id) -> Option<StaffView> {
        let seen = self.lock();
        let (staff, at) = seen.get(id)?;
        (at.elapsed() < self.fresh_for).then(|| staff.clone())
    }

    /// The session check just let `staff` through with nothing left to do first.
    pub fn confirmed(&self, id: Id, staff: StaffView) {
        let mut seen = self.lock();
        if seen.len() >= MAX_REMEMBERED && !seen.contains_key(&id) {
            seen.retain(|_, (_, at)| at.elapsed() < self.fresh_for);
            if seen.len() >= MAX_REMEMBERED {
                seen.clear();
            }
        }
        seen.insert(id, (staff, Instant::now()));
    }

    /// The session check refused the session (or sent it to a gate): no early reads for it.
    pub fn forget(&self, id: &Id) {
        self.lock().remove(id);
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
        recent.confirmed(id, staff(1));
        assert_eq!(recent.staff(&id), Some(staff(1)));
        assert_eq!(recent.staff(&Id(8)), None);
        recent.forget(&id);
        assert_eq!(recent.staff(&id), None);
    }

    #[test]
    fn a_confirmation_older_than_its_freshness_lets_nothing_start_early() {
        let recent = RecentSessions::new(Duration::ZERO);
        recent.confirmed(Id(7), staff(1));
        assert_eq!(recent.staff(&Id(7)), None);
    }

    #[test]
    fn the_memory_is_bounded() {
        let recent = RecentSessions::default();
        for n in 0..(MAX_REMEMBERED as i128 + 5) {
            recent.confirmed(Id(n), staff(1));
        }
        assert!(recent.len() <= MAX_REMEMBERED, "{} kept", recent.len());
        // The newest is always kept.
        assert!(recent.staff(&Id(MAX_REMEMBERED as i128 + 4)).is_some());

        // Stale entries make room first, before any fresh one is dropped.
        let short = RecentSessions::new(Duration::from_millis(1));
        for n in 0..MAX_REMEMBERED as i128 {
            short.confirmed(Id(n), staff(1));
        }
        std::thread::sleep(Duration::from_millis(5));
        short.confirmed(Id(-1), staff(2));
        assert_eq!(short.len(), 1);
    }
}
