//! One interactive call admitted ahead of need, per instance: the next person's call takes it
//! from memory instead of waiting a database round trip for its admission.
//!
//! Why this keeps the limit, and what it costs:
//! - **The limit holds.** The budget counts a call from its admission until a window after its
//!   end, so a call admitted early and sent later is counted for all the time it could reach
//!   CMR. A warm ticket is an ordinary admission that happens sooner.
//! - **Only while the instance is in use.** A warm ticket is asked for after a person's call on
//!   this instance was admitted, and handed back unused after [`WARM_FOR`]: an idle instance
//!   holds nothing, a busy one at most one call of the rate.
//! - **Handed back, not spent.** A ticket nobody used never left the dashboard, so CMR never
//!   counted it: it is taken out of the window (`cmr_budget_calls_unsent`) and its slot is free
//!   at once. Only when that statement fails is it recorded as an ended call instead (it then
//!   counts a window more, which errs on the safe side).
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

/// A call admitted ahead: its id in the budget, or `None` at a rate of 0 (nothing counted).
type Ahead = Option<i64>;

/// The warm slot and what decides whether it may be used.
#[derive(Debug, Default)]
pub(super) struct Warm {
    /// The call admitted ahead and when.
    slot: StdMutex<Option<(Ahead, Instant)>>,
    /// Whether this instance hears the pause announcements (warm tickets only then).
    hearing: AtomicBool,
    /// Bumped on every pause: a ticket asked for before one is not kept.
    pauses: AtomicU64,
}

impl Warm {
    pub fn hearing(&self) -> bool {
        self.hearing.load(Ordering::SeqCst)
    }

    pub(super) fn held(&self) -> bool {
        self.lock().is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Ahead, Instant)>> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `call` unless a pause came since `asked_in` or a call is held already; what is
    /// not kept comes back, to be handed back.
    fn keep(&self, call: Ahead, asked_in: u64) -> Option<Ahead> {
        let mut slot = self.lock();
        if slot.is_none() && self.pauses.load(Ordering::SeqCst) == asked_in {
            *slot = Some((call, Instant::now()));
            None
        } else {
            Some(call)
        }
    }

    /// When the held call is to be handed back.
    fn expiry(&self) -> Option<Instant> {
        self.lock()
            .as_ref()
            .map(|(_, admitted)| *admitted + WARM_FOR)
    }
}

impl Shared {
    /// The warm ticket, if one is held, fresh, and no pause may have been missed. A stale one
    /// is handed back.
    pub(super) fn take_warm(self: &Arc<Self>) -> Option<Ticket> {
        let (call, admitted) = self.warm.lock().take()?;
        if admitted.elapsed() < WARM_FOR && self.warm.hearing() {
            metrics::counter!("cmr_budget_warm_tickets_total", "outcome" => "used").increment(1);
            Some(match call {
                Some(call) => self.ticket(call),
                None => Ticket::untracked(),
            })
        } else {
            self.hand_back(call);
            None
        }
    }

    /// A pause was recorded (here or by another instance): hand the held call back, and keep
    /// none being asked for.
    pub(super) fn pause_warm(self: &Arc<Self>) {
        self.warm.pauses.fetch_add(1, Ordering::SeqCst);
        let _ = self.forget_warm();
    }

    /// Hands the held call back; whether there was one.
    fn forget_warm(self: &Arc<Self>) -> bool {
        let held = self.warm.lock().take();
        let Some((call, _)) = held else {
            return false;
        };
        self.hand_back(call);
        true
    }

    fn set_hearing(self: &Arc<Self>, hearing: bool) {
        self.warm.hearing.store(hearing, Ordering::SeqCst);
        if !hearing {
            self.pause_warm();
        }
    }

    /// Takes an unused call out of the window, off the caller's path; if that cannot be
    /// recorded, the call is recorded as ended instead (counting a window more).
    fn hand_back(self: &Arc<Self>, call: Ahead) {
        let (Some(call), Ok(runtime)) = (call, tokio::runtime::Handle::try_current()) else {
            return;
        };
        let shared = Arc::clone(self);
        runtime.spawn(async move {
            let unsent = sqlx::query("SELECT cmr_budget_calls_unsent($1)")
                .bind([call].as_slice())
                .execute(&shared.db)
                .await;
            if let Err(err) = unsent {
                tracing::warn!(error = %err, "an unused CMR call could not be handed back; recorded as ended");
                drop(shared.ticket(call));
            }
        });
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
                let _ = shared.forget_warm();
                return;
            }
            None => {
                // Nobody came for it: the instance is idle; ask again on the next call. (A
                // caller may have taken it meanwhile: only a ticket still held is unused.)
                if shared.forget_warm() {
                    metrics::counter!("cmr_budget_warm_tickets_total", "outcome" => "unused")
                        .increment(1);
                }
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
        let call = match granted.first() {
            Some(&call) => Some(call),
            // Admitted without pacing (a rate of 0): nothing to count, only pauses to hear.
            None if wait.is_zero() => None,
            None => {
                let next = Instant::now() + wait;
                if next >= wanted_until {
                    return;
                }
                tokio::time::sleep_until(next).await;
                continue;
            }
        };
        if let Some(refused) = shared.warm.keep(call, asked_in) {
            shared.hand_back(refused);
        }
        return;
    }
}

/// Listens for pause announcements until the budget is dropped (`stop`) or its pool is closed;
/// warm tickets are kept only while listening, and a lost connection hands back the one held.
/// The listener has a connection of its own, outside the pool, so sessions and pages keep all
/// of theirs; it is closed with the pool, so it never holds a database open that is going away.
pub(super) async fn hear_pauses(shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with((*shared.db.connect_options()).clone());
    let mut closed = std::pin::pin!(shared.db.close_event());
    loop {
        let heard = tokio::select! {
            _ = &mut stop => break,
            () = &mut closed => break,
            heard = listen(&own, &shared) => heard,
        };
        shared.set_hearing(false);
        if let Err(err) = heard {
            tracing::warn!(error = %err, "CMR pause announcements interrupted");
        }
        tokio::select! {
            _ = &mut stop => break,
            () = &mut closed => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    shared.set_hearing(false);
    own.close().await;
}

/// Returns when the connection is lost.
async fn listen(db: &PgPool, shared: &Arc<Shared>) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen(CHANNEL).await?;
    shared.set_hearing(true);
    while listener.try_recv().await?.is_some() {
        shared.pause_warm();
    }
    Ok(())
}
