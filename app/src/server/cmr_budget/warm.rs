//! One interactive call admitted ahead of need, per instance: the next person's call takes it
//! from memory instead of waiting a database round trip for its admission.
//!
//! Why this keeps the limit, and what it costs:
//! - **The limit holds.** The budget counts a call from its admission until a window after its
//!   end, so a call admitted early and sent later is counted for all the time it could reach
//!   CMR. A warm ticket is an ordinary admission that happens sooner.
//! - **Only while the instance is in use.** A warm ticket is asked for after a person's call on
//!   this instance was admitted, and handed back unused after [`WARM_FOR`]: an idle instance
//!   holds nothing, a busy one at most one call of the rate (and that one a window more when it
//!   goes unused).
//! - **Never ahead of a person.** It is asked for with background work's rules at the full
//!   rate: it never takes a slot that a person waiting on any instance has claimed.
//! - **429 pauses stay shared.** A pause recorded anywhere is announced on [`CHANNEL`]; each
//!   instance drops its warm ticket on hearing it, and keeps warm tickets only while it is
//!   listening. What remains is the announcement's delivery time (about a millisecond), in
//!   which one call per instance may start inside a pause another instance has just recorded:
//!   CMR answers it 429 too, and that instance pauses as well.

use super::Shared;
use cmr::client::Ticket;
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// How long a warm ticket waits for a call before it is handed back: longer than the pause
/// between a busy person's clicks, far shorter than [`super::LONGEST_CALL`] less the client's
/// longest call (the budget forgets an unended call after that).
pub const WARM_FOR: Duration = Duration::from_secs(1);

/// Where pauses are announced to every instance.
pub(super) const CHANNEL: &str = "cmr_admin_budget";

/// The warm slot and what decides whether it may be used.
#[derive(Debug, Default)]
pub(super) struct Warm {
    /// The ticket and when it was admitted.
    slot: StdMutex<Option<(Ticket, Instant)>>,
    /// Whether this instance hears the pause announcements (warm tickets only then).
    hearing: AtomicBool,
    /// Bumped on every pause: a ticket asked for before one is not kept.
    pauses: AtomicU64,
}

impl Warm {
    /// The warm ticket, if one is held, fresh, and no pause may have been missed.
    pub fn take(&self) -> Option<Ticket> {
        let (ticket, admitted) = self.lock().take()?;
        if admitted.elapsed() < WARM_FOR && self.hearing() {
            metrics::counter!("cmr_budget_warm_tickets_total", "outcome" => "used").increment(1);
            Some(ticket)
        } else {
            // Dropped here: the call is over, unused.
            None
        }
    }

    /// A pause was recorded (here or by another instance): drop the ticket, and any being
    /// asked for.
    pub fn pause(&self) {
        self.pauses.fetch_add(1, Ordering::SeqCst);
        self.forget();
    }

    pub fn hearing(&self) -> bool {
        self.hearing.load(Ordering::SeqCst)
    }

    fn held(&self) -> bool {
        self.lock().is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Ticket, Instant)>> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `ticket` unless a pause came since `asked_in` or a ticket is held already.
    fn keep(&self, ticket: Ticket, asked_in: u64) {
        let mut slot = self.lock();
        if slot.is_none() && self.pauses.load(Ordering::SeqCst) == asked_in {
            *slot = Some((ticket, Instant::now()));
        }
    }

    /// When the held ticket is to be handed back.
    fn expiry(&self) -> Option<Instant> {
        self.lock()
            .as_ref()
            .map(|(_, admitted)| *admitted + WARM_FOR)
    }

    fn forget(&self) {
        let dropped = self.lock().take();
        drop(dropped);
    }

    fn set_hearing(&self, hearing: bool) {
        self.hearing.store(hearing, Ordering::SeqCst);
        if !hearing {
            self.pause();
        }
    }
}

/// The task that keeps the slot filled while the instance is in use: each nudge (a person's
/// call was admitted) asks for a ticket, retrying while the window is full for up to
/// [`WARM_FOR`]; a ticket nobody took is handed back at its expiry. Ends when the budget is
/// dropped (`nudges` closes).
pub(super) async fn keep_warm(shared: Arc<Shared>, mut nudges: mpsc::UnboundedReceiver<()>) {
    loop {
        let nudged = match shared.warm.expiry() {
            Some(expiry) => tokio::select! {
                nudge = nudges.recv() => Some(nudge),
                () = tokio::time::sleep_until(expiry) => None,
            },
            None => Some(nudges.recv().await),
        };
        match nudged {
            Some(None) => {
                shared.warm.forget();
                return;
            }
            None => {
                // Nobody came for it: the instance is idle; ask again on the next call.
                shared.warm.forget();
                metrics::counter!("cmr_budget_warm_tickets_total", "outcome" => "unused")
                    .increment(1);
            }
            Some(Some(())) => {
                // Off the admitted call's path: it is on its way to CMR meanwhile.
                tokio::time::sleep(super::END_DELAY).await;
                while nudges.try_recv().is_ok() {}
                fill(&shared).await;
            }
        }
    }
}

async fn fill(shared: &Arc<Shared>) {
    let wanted_until = Instant::now() + WARM_FOR;
    loop {
        if shared.warm.held() || !shared.warm.hearing() {
            return;
        }
        let asked_in = shared.warm.pauses.load(Ordering::SeqCst);
        let (wait, granted) = match tokio::time::timeout_at(wanted_until, shared.ask_ahead()).await
        {
            Ok(Ok(answer)) => answer,
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "no warm CMR ticket: the budget cannot be read");
                return;
            }
            Err(_) => return,
        };
        match granted.first() {
            Some(&call) => {
                shared.warm.keep(shared.ticket(call), asked_in);
                return;
            }
            // Admitted without pacing (a rate of 0): nothing to count, only pauses to hear.
            None if wait.is_zero() => {
                shared.warm.keep(Ticket::untracked(), asked_in);
                return;
            }
            None => {
                let next = Instant::now() + wait;
                if next >= wanted_until {
                    return;
                }
                tokio::time::sleep_until(next).await;
            }
        }
    }
}

/// Listens for pause announcements until the budget is dropped (`stop`) or its pool is closed;
/// warm tickets are kept only while listening, and a lost connection drops the one held. The
/// listener has a connection of its own, outside the pool, so sessions and pages keep all of
/// theirs; it is closed with the pool, so it never holds a database open that is going away.
pub(super) async fn hear_pauses(shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with((*shared.db.connect_options()).clone());
    let mut closed = std::pin::pin!(shared.db.close_event());
    loop {
        let heard = tokio::select! {
            _ = &mut stop => break,
            () = &mut closed => break,
            heard = listen(&own, &shared.warm) => heard,
        };
        shared.warm.set_hearing(false);
        if let Err(err) = heard {
            tracing::warn!(error = %err, "CMR pause announcements interrupted");
        }
        tokio::select! {
            _ = &mut stop => break,
            () = &mut closed => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    shared.warm.set_hearing(false);
    own.close().await;
}

/// Returns when the connection is lost.
async fn listen(db: &PgPool, warm: &Warm) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen(CHANNEL).await?;
    warm.set_hearing(true);
    while listener.try_recv().await?.is_some() {
        warm.pause();
    }
    Ok(())
}
