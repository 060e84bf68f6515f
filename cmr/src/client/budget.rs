//! The hook for a budget shared by every instance of the dashboard, and the marker that says
//! whether a call is made for a person (interactive) or for background work.
//!
//! CMR's 5 calls per second are the *key's*, not the process's: two instances behind a load
//! balancer, each with its own [`RateLimiter`](super::rate_limit), would send up to twice that.
//! A [`SharedBudget`] is asked before every attempt, after the in-process limiter has let it
//! through (so the in-process queue keeps its order, deadlines and cancellation), and is told
//! about every 429 so one instance's `Retry-After` holds back all of them. This crate only
//! defines the hook; the dashboard implements it on Postgres (it must not depend on a database
//! here).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::time::Instant;

pub use super::rate_limit::Busy;

/// A boxed, sendable future, so [`SharedBudget`] stays object-safe without `async_trait`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who a call is for. A person waiting for a page is served before background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    /// A person is waiting: pages, forms, the header's balance refresh.
    Interactive,
    /// Nobody is waiting (e.g. a sync of the dashboard's own index): admitted only while the
    /// budget has headroom left for interactive calls.
    Background,
}

tokio::task_local! {
    static PRIORITY: Priority;
}

/// Runs `work` with every CMR call it makes marked [`Priority::Background`].
///
/// The marker is task-local: a task spawned inside `work` is interactive again unless it is
/// wrapped too.
pub async fn in_background<F: Future>(work: F) -> F::Output {
    PRIORITY.scope(Priority::Background, work).await
}

/// The priority of calls made here: [`Priority::Background`] inside [`in_background`],
/// otherwise [`Priority::Interactive`].
pub fn current_priority() -> Priority {
    PRIORITY
        .try_with(|priority| *priority)
        .unwrap_or(Priority::Interactive)
}

/// What an admitted call holds while it is under way. Dropping it (the answer is in, the
/// call failed, or its caller gave up) tells the budget the call is over: CMR counts a call when
/// it arrives, which is some time between its admission and its answer, so a budget that
/// counts each call until a window after its answer holds under any delay in between (a busy
/// machine, a slow network).
pub struct Ticket(Option<Box<dyn FnOnce() + Send>>);

impl Ticket {
    /// Nothing to tell when the call is over.
    pub fn untracked() -> Ticket {
        Ticket(None)
    }

    /// Runs `over` when the call is over (it must not block: spawn any I/O).
    pub fn on_drop(over: impl FnOnce() + Send + 'static) -> Ticket {
        Ticket(Some(Box::new(over)))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(over) = self.0.take() {
            over();
        }
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Ticket"
        } else {
            "Ticket(untracked)"
        })
    }
}

/// A call budget shared by every process that uses the same CMR key.
///
/// Implementations must be cancellation-safe: a caller that drops the future returned by
/// [`SharedBudget::admit`] (it gave up) may leave behind the call it recorded, if it was
/// admitted, and nothing that outlasts the longest call — no reservation, no lock.
pub trait SharedBudget: fmt::Debug + Send + Sync + 'static {
    /// Resolves once a call of this `priority` may be sent, or refuses with [`Busy`] (nothing
    /// may be sent) when that would be after `deadline`. Admitting counts the call against the
    /// budget until its [`Ticket`] is dropped and a window more.
    fn admit(&self, deadline: Instant, priority: Priority) -> BoxFuture<'_, Result<Ticket, Busy>>;

    /// CMR answered 429: no call from any instance starts for `pause` from now. Failures are
    /// the implementation's to log; the caller goes on either way.
    fn record_pause(&self, pause: Duration) -> BoxFuture<'_, ()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_interactive_unless_marked_background() {
        assert_eq!(current_priority(), Priority::Interactive);
        let inside = in_background(async {
            tokio::task::yield_now().await;
            current_priority()
        })
        .await;
        assert_eq!(inside, Priority::Background);
        assert_eq!(current_priority(), Priority::Interactive);
    }

    #[tokio::test]
    async fn a_task_spawned_in_the_background_is_interactive_again() {
        let spawned = in_background(async { tokio::spawn(async { current_priority() }).await })
            .await
            .unwrap();
        assert_eq!(spawned, Priority::Interactive);
    }
}
