//! CMR's call budget shared by every instance of the dashboard, kept in Postgres.
//!
//! CMR allows 5 calls per second per API key for the whole partner. Each process's client
//! keeps its own limiter (arrival order, deadlines, a bounded queue); this is the second gate
//! every attempt passes, the one all instances share (`migrations/20261126000003_cmr_budget_one_row.sql`).
//!
//! Why this shape:
//! - **A sliding window of recorded calls**, not a token bucket: it is the rule CMR enforces
//!   ("at most N in any second"), and what a page needs (its handful of concurrent calls go out
//!   together instead of 200 ms apart).
//! - **A call counts until a window after its answer**, not a window after its admission
//!   (`migrations/20261127000002_cmr_budget_counts_until_answered.sql`): CMR counts a call
//!   when it arrives, anywhere between the two, and on a busy machine that gap has no bound.
//!   The client drops the call's [`Ticket`] when the answer is in (or it gave up), which
//!   records the end [`END_DELAY`] later, together with the other ends of that moment, so
//!   the bookkeeping runs after the answer has left rather than beside it (a later end only
//!   counts the call longer). A window more per call costs one round trip of throughput per call
//!   (5 calls per 1.05 s plus CMR's answer time) and makes the limit hold under any delay.
//! - **One statement per admission.** `cmr_budget_admit` locks the budget's one row, drops
//!   expired starts, checks the 429 pause, counts, and records the start, all in one round
//!   trip. The lock lives only while the database runs that statement: no caller ever sleeps
//!   holding it, and a caller that gives up mid-statement cannot leave it taken. A dropped
//!   caller leaves behind at most the start it was granted.
//! - **Unlogged.** Nothing in the budget outlives a second or two, so its table writes no
//!   write-ahead log: a crash empties it (the function starts again from nothing), and an
//!   admission never waits for a disk flush.
//! - **The database's clock only.** Starts, the window and the pause are all measured by
//!   `clock_timestamp()`, so clock skew between instances cannot matter. The window is 1 s
//!   plus [`JITTER_MARGIN`], for CMR's own timing of arrivals.
//! - **Waiting happens here, not in the database.** When the window is full the statement
//!   answers how long until a start leaves it; the caller sleeps that long without a
//!   connection and asks again, or is refused at once ([`Busy`]) when that would pass its
//!   deadline, exactly as the local limiter refuses.
//! - **One caller per priority asks at a time, per process.** Waiters queue first come first
//!   served on a local lock, so a burst does not turn into a stampede of polls that takes the
//!   connection pool from sign-ins and sessions; the database is asked at most twice at a time
//!   per instance.
//! - **Interactive before background.** Background work is admitted only while the window
//!   holds fewer than [`background_limit`] starts (4 of 5, CMR's advice for bulk work), and
//!   never while a person's call is waiting: an interactive caller told to wait leaves a claim
//!   that lasts until its turn plus [`CLAIM`], so the slot that frees goes to the person even
//!   when the background caller happens to ask first. The claim runs out by itself, so a
//!   person who gives up holds background work back for at most a window plus [`CLAIM`].
//! - **Fail closed.** If the database cannot answer before the deadline, the call is refused
//!   as busy rather than sent outside the budget (sessions need the database anyway).

use cmr::client::{BoxFuture, Busy, Priority, SharedBudget, Ticket};
use sqlx::PgPool;
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How much longer than a second the window is: a margin for how CMR times arrivals.
pub const JITTER_MARGIN: Duration = Duration::from_millis(50);

/// A call whose end was never recorded (its process died mid-call) stops counting this long
/// after its admission: longer than the client's longest call (connect plus request timeout).
pub const LONGEST_CALL: Duration = Duration::from_secs(30);

/// How long past its turn a waiting interactive caller keeps background work out: the time it
/// needs to wake up and ask again.
pub const CLAIM: Duration = Duration::from_millis(100);

/// How long a call's end waits to be recorded, with the others that end meanwhile: long enough
/// for the answer to be on its way to the browser first, short against a window (a later end
/// only makes a call count a little longer).
pub const END_DELAY: Duration = Duration::from_millis(10);

/// The hint a refusal carries when the budget itself could not be asked.
const RETRY_HINT: Duration = Duration::from_secs(1);

/// At most `rate` CMR calls start within any second plus [`JITTER_MARGIN`], across every
/// instance using this database.
#[derive(Debug)]
pub struct PgBudget {
    db: PgPool,
    rate: u32,
    window: Duration,
    /// This process's interactive callers take turns asking the database, first come first
    /// served.
    interactive: Mutex<()>,
    /// The same for background callers; a separate line so that a background caller waiting
    /// for headroom never holds an interactive one back.
    background: Mutex<()>,
    /// Admitted calls that are over, waiting to be recorded together ([`END_DELAY`]).
    ends: Arc<StdMutex<Vec<i64>>>,
}

/// How many starts a window may already hold for background work to be admitted: `rate` less
/// a fifth (at least one), never below one. 5 → 4.
pub fn background_limit(rate: u32) -> u32 {
    rate.saturating_sub(rate.div_ceil(5)).max(1)
}

impl PgBudget {
    /// `rate` calls per second for everyone sharing `db` (`0`: no pacing, only 429 pauses).
    pub fn new(db: PgPool, rate: u32) -> PgBudget {
        PgBudget {
            db,
            rate,
            window: Duration::from_secs(1) + JITTER_MARGIN,
            interactive: Mutex::new(()),
            background: Mutex::new(()),
            ends: Arc::default(),
        }
    }

    /// Waits until a call of this priority may start, or refuses at once when that would be
    /// after `deadline` (or the database cannot tell in time). Cancellation-safe.
    pub async fn admit_by(&self, deadline: Instant, priority: Priority) -> Result<Ticket, Busy> {
        let (line, limit) = match priority {
            Priority::Interactive => (&self.interactive, self.rate),
            Priority::Background => (&self.background, background_limit(self.rate)),
        };
        let limit = if self.rate == 0 { 0 } else { limit };
        let Ok(_turn) = tokio::time::timeout_at(deadline, line.lock()).await else {
            return Err(Busy {
                retry_after: RETRY_HINT,
            });
        };
        loop {
            let wait = match tokio::time::timeout_at(deadline, self.ask(priority, limit)).await {
                Ok(Ok((_, Some(call)))) => return Ok(self.ticket(call)),
                Ok(Ok((wait, None))) => wait,
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "the shared CMR budget cannot be read; call not sent");
                    return Err(Busy {
                        retry_after: RETRY_HINT,
                    });
                }
                Err(_) => {
                    tracing::warn!("the shared CMR budget did not answer in time; call not sent");
                    return Err(Busy {
                        retry_after: RETRY_HINT,
                    });
                }
            };
            if wait.is_zero() {
                // Admitted without pacing (a rate of 0): nothing to count.
                return Ok(Ticket::untracked());
            }
            let next = Instant::now() + wait;
            if next > deadline {
                return Err(Busy { retry_after: wait });
            }
            tokio::time::sleep_until(next).await;
        }
    }

    /// One admission attempt: the call's id when admitted (it is recorded), else how long
    /// until it is worth asking again.
    async fn ask(
        &self,
        priority: Priority,
        limit: u32,
    ) -> Result<(Duration, Option<i64>), sqlx::Error> {
        let (wait_ms, call): (f64, Option<i64>) =
            sqlx::query_as("SELECT wait_ms, call_id FROM cmr_budget_admit($1, $2, $3, $4, $5)")
                .bind(priority == Priority::Interactive)
                .bind(i32::try_from(limit).unwrap_or(i32::MAX))
                .bind(millis(self.window))
                .bind(millis(CLAIM))
                .bind(millis(LONGEST_CALL))
                .fetch_one(&self.db)
                .await?;
        Ok((Duration::from_secs_f64(wait_ms.max(0.0) / 1000.0), call))
    }

    /// The ticket of admitted call `call`: dropping it records the call's end, off the
    /// caller's path (a failure to record leaves the call counting until [`LONGEST_CALL`]).
    fn ticket(&self, call: i64) -> Ticket {
        let db = self.db.clone();
        let ends = Arc::clone(&self.ends);
        Ticket::on_drop(move || {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return;
            };
            let first = {
                let mut pending = ends.lock().unwrap_or_else(PoisonError::into_inner);
                pending.push(call);
                pending.len() == 1
            };
            // The first end of a batch schedules the batch; the others join it.
            if first {
                runtime.spawn(record_ends(db, ends));
            }
        })
    }

    /// Holds every instance back for `pause` from now (by the database's clock).
    pub async fn pause_everyone(&self, pause: Duration) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT cmr_budget_record_pause($1)")
            .bind(millis(pause))
            .execute(&self.db)
            .await?;
        Ok(())
    }
}

impl SharedBudget for PgBudget {
    fn admit(&self, deadline: Instant, priority: Priority) -> BoxFuture<'_, Result<Ticket, Busy>> {
        Box::pin(self.admit_by(deadline, priority))
    }

    fn record_pause(&self, pause: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(err) = self.pause_everyone(pause).await {
                tracing::warn!(error = %err, "could not share CMR's 429 pause with other instances");
            }
        })
    }
}

/// Records the ends waiting in `ends` after [`END_DELAY`], in one statement.
async fn record_ends(db: PgPool, ends: Arc<StdMutex<Vec<i64>>>) {
    tokio::time::sleep(END_DELAY).await;
    let calls = std::mem::take(&mut *ends.lock().unwrap_or_else(PoisonError::into_inner));
    let over = sqlx::query("SELECT cmr_budget_calls_over($1)")
        .bind(&calls)
        .execute(&db)
        .await;
    if let Err(err) = over {
        tracing::warn!(error = %err, calls = calls.len(), "CMR calls' ends could not be recorded");
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_work_leaves_a_fifth_of_the_budget_to_people() {
        assert_eq!(background_limit(5), 4);
        assert_eq!(background_limit(10), 8);
        assert_eq!(background_limit(2), 1);
        // With one call a second there is nothing to hold back without starving the work.
        assert_eq!(background_limit(1), 1);
    }
}
