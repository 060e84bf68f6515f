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
//! - **One statement per admission, and one for callers that ask together.**
//!   `cmr_budget_admit_many` locks the budget's one row, drops expired starts, checks the 429
//!   pause, counts, and records as many starts as there is room for, all in one round trip
//!   (`migrations/20261130000001_cmr_budget_admits_together.sql`): a page's five reads cost one
//!   statement, not five in a row. The lock lives only while the database runs that
//!   statement: no caller ever sleeps holding it, and a caller that gives up mid-statement
//!   cannot leave it taken. A dropped caller leaves behind at most the start it was granted.
//! - **Unlogged.** Nothing in the budget outlives a second or two, so its table writes no
//!   write-ahead log: a crash empties it (the function starts again from nothing), and an
//!   admission never waits for a disk flush.
//! - **The database's clock only.** Starts, the window and the pause are all measured by
//!   `clock_timestamp()`, so clock skew between instances cannot matter. The window is 1 s
//!   plus [`JITTER_MARGIN`], for CMR's own timing of arrivals.
//! - **Waiting happens here, not in the database.** When the window is full the statement
//!   answers how long until a start leaves it; the line sleeps that long without a
//!   connection and asks again, and a caller whose deadline that would pass is refused at
//!   once ([`Busy`]), exactly as the local limiter refuses.
//! - **One asker per priority, per process.** Callers join their priority's line (first come
//!   first served); one task asks the database for everyone in the line at once, so a burst
//!   does not turn into a stampede of polls that takes the connection pool from sign-ins and
//!   sessions: the database is asked at most twice at a time per instance.
//! - **Interactive before background.** Background work is admitted only while the window
//!   holds fewer than [`background_limit`] starts (4 of 5, CMR's advice for bulk work), and
//!   never while a person's call is waiting: an interactive caller told to wait leaves a claim
//!   that lasts until its turn plus [`CLAIM`], so the slot that frees goes to the person even
//!   when the background caller happens to ask first. The claim runs out by itself, so a
//!   person who gives up holds background work back for at most a window plus [`CLAIM`].
//! - **Fail closed.** If the database cannot answer before the deadline, the call is refused
//!   as busy rather than sent outside the budget (sessions need the database anyway).
//! - **One call admitted ahead, while in use** ([`warm`]): a person's call usually finds a
//!   ticket waiting and makes no round trip for its admission.

mod warm;

pub use warm::WARM_FOR;

use cmr::client::{BoxFuture, Busy, Priority, SharedBudget, Ticket};
use sqlx::PgPool;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex as StdMutex, OnceLock, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
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
    shared: Arc<Shared>,
    /// This process's interactive callers, in arrival order, for the one task that asks the
    /// database on their behalf (started with the first caller).
    interactive: OnceLock<mpsc::UnboundedSender<Waiter>>,
    /// The same for background callers; a separate line so that a background caller waiting
    /// for headroom never holds an interactive one back.
    background: OnceLock<mpsc::UnboundedSender<Waiter>>,
    /// Nudges the task that keeps a warm ticket (started with the first interactive caller).
    warmer: OnceLock<mpsc::UnboundedSender<()>>,
    /// Stops the pause listener when the budget is dropped (set by [`PgBudget::hear_pauses`]).
    hearing: OnceLock<oneshot::Sender<()>>,
}

/// What the lines' tasks and the tickets share.
#[derive(Debug)]
struct Shared {
    db: PgPool,
    rate: u32,
    window: Duration,
    /// Admitted calls that are over, waiting to be recorded together ([`END_DELAY`]).
    ends: StdMutex<Vec<i64>>,
    /// The interactive call admitted ahead of need, if any.
    warm: warm::Warm,
}

/// A caller waiting in a line: its deadline, and where its answer goes.
#[derive(Debug)]
struct Waiter {
    deadline: Instant,
    answer: oneshot::Sender<Result<Ticket, Busy>>,
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
            shared: Arc::new(Shared {
                db,
                rate,
                window: Duration::from_secs(1) + JITTER_MARGIN,
                ends: StdMutex::default(),
                warm: warm::Warm::default(),
            }),
            interactive: OnceLock::new(),
            background: OnceLock::new(),
            warmer: OnceLock::new(),
            hearing: OnceLock::new(),
        }
    }

    /// Listens for the pauses other instances record, for as long as the budget lives; only
    /// then are calls admitted ahead of need ([`warm`]). Call once, inside the runtime.
    pub fn hear_pauses(&self) {
        let (stop, stopped) = oneshot::channel();
        if self.hearing.set(stop).is_ok() {
            tokio::spawn(warm::hear_pauses(Arc::clone(&self.shared), stopped));
        }
    }

    /// Whether the pause listener is connected (calls are admitted ahead of need only then).
    pub fn hears_pauses(&self) -> bool {
        self.shared.warm.hearing()
    }

    /// Whether this instance holds a call admitted ahead of need right now.
    pub fn holds_ticket_ahead(&self) -> bool {
        self.shared.warm.held()
    }

    /// Waits until a call of this priority may start, or refuses at once when that would be
    /// after `deadline` (or the database cannot tell in time). Cancellation-safe: a caller
    /// that gives up leaves its place, and a call granted to it as it left is over at once.
    pub async fn admit_by(&self, deadline: Instant, priority: Priority) -> Result<Ticket, Busy> {
        if priority == Priority::Background {
            return self.queue(deadline, priority).await;
        }
        let admitted = match self.shared.take_warm() {
            Some(ticket) => Ok(ticket),
            None => self.queue(deadline, priority).await,
        };
        if admitted.is_ok() {
            // In use: have a ticket ready for the next call.
            let warmer = self.warmer.get_or_init(|| {
                let (nudge, nudges) = mpsc::unbounded_channel();
                tokio::spawn(warm::keep_warm(Arc::clone(&self.shared), nudges));
                nudge
            });
            let _ = warmer.send(());
        }
        admitted
    }

    /// Waits in this priority's line for the database's answer.
    async fn queue(&self, deadline: Instant, priority: Priority) -> Result<Ticket, Busy> {
        let line = match priority {
            Priority::Interactive => &self.interactive,
            Priority::Background => &self.background,
        };
        let line = line.get_or_init(|| {
            let (queue, waiting) = mpsc::unbounded_channel();
            tokio::spawn(serve_line(Arc::clone(&self.shared), priority, waiting));
            queue
        });
        let (answer, answered) = oneshot::channel();
        let busy = Busy {
            retry_after: RETRY_HINT,
        };
        if line.send(Waiter { deadline, answer }).is_err() {
            return Err(busy);
        }
        match tokio::time::timeout_at(deadline, answered).await {
            Ok(Ok(answer)) => answer,
            // The line's task is gone (its runtime is shutting down), or the deadline passed.
            Ok(Err(_)) | Err(_) => Err(busy),
        }
    }

    /// Holds every instance back for `pause` from now (by the database's clock).
    /// The pause is announced too, so every instance drops its warm ticket.
    pub async fn pause_everyone(&self, pause: Duration) -> Result<(), sqlx::Error> {
        self.shared.pause_warm();
        sqlx::query("SELECT cmr_budget_record_pause($1), pg_notify($2, '')")
            .bind(millis(pause))
            .bind(warm::CHANNEL)
            .execute(&self.shared.db)
            .await?;
        Ok(())
    }
}

impl Shared {
    /// The most starts a window may hold for callers of this priority (0: no pacing).
    fn limit(&self, priority: Priority) -> u32 {
        match (self.rate, priority) {
            (0, _) => 0,
            (rate, Priority::Interactive) => rate,
            (rate, Priority::Background) => background_limit(rate),
        }
    }

    /// One admission statement for the first `wanted` callers of a line: the ids of the calls
    /// granted now, in line order, and, when not all were, how long until it is worth asking
    /// again for the rest.
    async fn ask(
        &self,
        priority: Priority,
        wanted: usize,
    ) -> Result<(Duration, Vec<i64>), sqlx::Error> {
        self.admit_many(
            wanted,
            priority == Priority::Interactive,
            self.limit(priority),
        )
        .await
    }

    /// One call ahead of need: the full rate, but background work's rules (it never takes a
    /// slot a waiting person has claimed, and claims none).
    async fn ask_ahead(&self) -> Result<(Duration, Vec<i64>), sqlx::Error> {
        self.admit_many(1, false, self.limit(Priority::Interactive))
            .await
    }

    async fn admit_many(
        &self,
        wanted: usize,
        interactive: bool,
        limit: u32,
    ) -> Result<(Duration, Vec<i64>), sqlx::Error> {
        let (wait_ms, ids): (f64, Vec<i64>) = sqlx::query_as(
            "SELECT wait_ms, ids FROM cmr_budget_admit_many($1, $2, $3, $4, $5, $6)",
        )
        .bind(i32::try_from(wanted).unwrap_or(i32::MAX))
        .bind(interactive)
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .bind(millis(self.window))
        .bind(millis(CLAIM))
        .bind(millis(LONGEST_CALL))
        .fetch_one(&self.db)
        .await?;
        Ok((Duration::from_secs_f64(wait_ms.max(0.0) / 1000.0), ids))
    }

    /// The ticket of admitted call `call`: dropping it records the call's end, off the
    /// caller's path (a failure to record leaves the call counting until [`LONGEST_CALL`]).
    fn ticket(self: &Arc<Self>, call: i64) -> Ticket {
        let shared = Arc::clone(self);
        Ticket::on_drop(move || {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return;
            };
            let first = {
                let mut pending = shared.ends.lock().unwrap_or_else(PoisonError::into_inner);
                pending.push(call);
                pending.len() == 1
            };
            // The first end of a batch schedules the batch; the others join it.
            if first {
                runtime.spawn(shared.record_ends());
            }
        })
    }

    /// Records the ends waiting in `ends` after [`END_DELAY`], in one statement.
    async fn record_ends(self: Arc<Self>) {
        tokio::time::sleep(END_DELAY).await;
        let calls = std::mem::take(&mut *self.ends.lock().unwrap_or_else(PoisonError::into_inner));
        let over = sqlx::query("SELECT cmr_budget_calls_over($1)")
            .bind(&calls)
            .execute(&self.db)
            .await;
        if let Err(err) = over {
            tracing::warn!(error = %err, calls = calls.len(), "CMR calls' ends could not be recorded");
        }
    }
}

/// A line's task: asks the database for everyone waiting in the line at once, hands out the
/// calls granted in arrival order, refuses those whose deadline the next turn would pass, and
/// sleeps (holding no connection) until the window frees for the rest. Ends when the budget
/// is dropped.
async fn serve_line(
    shared: Arc<Shared>,
    priority: Priority,
    mut queue: mpsc::UnboundedReceiver<Waiter>,
) {
    let mut waiting: VecDeque<Waiter> = VecDeque::new();
    loop {
        if waiting.is_empty() {
            match queue.recv().await {
                Some(waiter) => waiting.push_back(waiter),
                None => return,
            }
        }
        while let Ok(waiter) = queue.try_recv() {
            waiting.push_back(waiter);
        }
        // Those who gave up, or whose deadline passed while in line, are not asked for.
        let now = Instant::now();
        waiting.retain(|w| !w.answer.is_closed() && w.deadline > now);
        // A ticket admitted ahead goes to the first in line rather than waiting unused.
        if priority == Priority::Interactive && !waiting.is_empty() {
            if let Some(ticket) = shared.take_warm() {
                if let Some(waiter) = waiting.pop_front() {
                    drop(waiter.answer.send(Ok(ticket)));
                }
            }
        }
        let Some(latest) = waiting.iter().map(|w| w.deadline).max() else {
            continue;
        };
        let (wait, granted) = match tokio::time::timeout_at(
            latest,
            shared.ask(priority, waiting.len()),
        )
        .await
        {
            Ok(Ok(answer)) => answer,
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "the shared CMR budget cannot be read; calls not sent");
                refuse_all(&mut waiting, RETRY_HINT);
                continue;
            }
            Err(_) => {
                tracing::warn!("the shared CMR budget did not answer in time; calls not sent");
                refuse_all(&mut waiting, RETRY_HINT);
                continue;
            }
        };
        if wait.is_zero() && granted.is_empty() {
            // Admitted without pacing (a rate of 0): nothing to count.
            for waiter in waiting.drain(..) {
                let _ = waiter.answer.send(Ok(Ticket::untracked()));
            }
            continue;
        }
        for call in granted {
            let ticket = shared.ticket(call);
            match waiting.pop_front() {
                // A caller that left meanwhile hands the ticket back; dropping it ends the call.
                Some(waiter) => drop(waiter.answer.send(Ok(ticket))),
                None => drop(ticket),
            }
        }
        if waiting.is_empty() {
            continue;
        }
        let next = Instant::now() + wait;
        let (stay, mut refused): (VecDeque<_>, VecDeque<_>) =
            waiting.drain(..).partition(|w| w.deadline >= next);
        waiting = stay;
        refuse_all(&mut refused, wait);
        if !waiting.is_empty() {
            tokio::time::sleep_until(next).await;
        }
    }
}

/// Tells everyone in `waiting` that no call may be sent now, with when to try again.
fn refuse_all(waiting: &mut VecDeque<Waiter>, retry_after: Duration) {
    for waiter in waiting.drain(..) {
        let _ = waiter.answer.send(Err(Busy { retry_after }));
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
