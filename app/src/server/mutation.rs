//! The one path for a change made at CMR, for every area: the audit row (ok, refused, failed
//! or unknown, with CMR's actionId), what staff are told when an answer is lost, and the
//! idempotency key that keeps a request from reaching CMR twice.

use super::audit::{self, Actor, Change, Entry, Outcome, Target};
use super::db::idempotency::{self, Claim, Finish};
use super::reads_sync::{self, Stale};
use super::AppState;
use crate::error::AppError;
use crate::model::StaffView;
use cmr::types::Reply;
use cmr::CmrError;
use serde_json::Value;

/// A change sent to CMR, as the audit log records it: who, what, to what, which fields.
pub struct Attempt<'a> {
    pub staff: &'a StaffView,
    /// `area.verb`, e.g. `customer.update`.
    pub action: &'a str,
    pub target: Target<'a>,
    pub changes: Vec<Change>,
}

impl<'a> Attempt<'a> {
    async fn record(
        self,
        state: &AppState,
        outcome: Outcome<'_>,
        action_id: Option<&str>,
    ) -> Result<(), AppError> {
        // Whatever happened at CMR (done, refused, unknown), kept reads of the target may be
        // stale now, on every instance: the next page load reads it again.
        let stale = match self.target {
            Target::Customer(id) => Stale::Customer(id.to_string()),
            // Other areas keep no reads yet; dropping everything is always safe.
            _ => Stale::Everything,
        };
        reads_sync::announce(&state.db, &state.reads, stale).await;
        let entry = Entry {
            actor: Actor::Staff(self.staff),
            action: self.action,
            target: Some(self.target),
            changes: self.changes,
            outcome,
            action_id,
        };
        audit::record(state, entry).await
    }
}

/// How a CMR call ended, as the audit log says it.
fn outcome_of<T>(result: &Result<Reply<T>, CmrError>) -> Outcome<'_> {
    match result {
        Ok(_) => Outcome::Ok,
        Err(e) if e.is_outcome_unknown() => Outcome::Unknown {
            upstream_status: e.status(),
            message: "sent, but CMR never confirmed it",
        },
        Err(e) => Outcome::Failed {
            upstream_status: e.status(),
            message: e.message().unwrap_or("no answer"),
        },
    }
}

/// The one path for a CMR change: the call's result goes into the audit log, then back to the
/// caller. What staff are told follows CMR's answer, never the audit write: when CMR applied
/// the change but the row cannot be written, that is logged loudly and staff still hear that
/// it worked (telling them it failed would invite a second, duplicate change).
pub async fn audited<T>(
    state: &AppState,
    attempt: Attempt<'_>,
    result: Result<Reply<T>, CmrError>,
) -> Result<Reply<T>, AppError> {
    let action = attempt.action;
    let outcome = outcome_of(&result);
    let action_id = result.as_ref().ok().and_then(|r| r.action_id.as_deref());
    let recorded = attempt.record(state, outcome, action_id).await;
    match (result, recorded) {
        (Ok(reply), Err(err)) => {
            tracing::error!(action, error = %err, "CMR applied a change but its audit entry was not written");
            Ok(reply)
        }
        (result, recorded) => {
            let reply = result?;
            recorded?;
            Ok(reply)
        }
    }
}

/// [`audited`] for one CMR call that changes several records (a renewal of several domains):
/// one audit row per record, all with the call's outcome.
pub async fn audited_each<T>(
    state: &AppState,
    attempts: Vec<Attempt<'_>>,
    result: Result<Reply<T>, CmrError>,
) -> Result<Reply<T>, AppError> {
    let mut attempts = attempts.into_iter();
    let Some(last) = attempts.next_back() else {
        return Ok(result?);
    };
    let action_id = result.as_ref().ok().and_then(|r| r.action_id.clone());
    for attempt in attempts {
        let action = attempt.action;
        if let Err(err) = attempt
            .record(state, outcome_of(&result), action_id.as_deref())
            .await
        {
            tracing::error!(action, error = %err, "a change's audit entry was not written");
        }
    }
    audited(state, last, result).await
}

/// Settles a change whose answer was lost (`err`), from what a fresh read found: `Some(true)`
/// it shows the change (done: `Ok`), `Some(false)` it does not, `None` nothing could be read
/// (both `OutcomeUnknown`, telling staff `what_to_do`). The audit row says which; a failed
/// audit write is logged, never shown instead of what happened to the change.
pub async fn settle_lost_answer(
    state: &AppState,
    attempt: Attempt<'_>,
    err: &CmrError,
    found: Option<bool>,
    what_to_do: &str,
) -> Result<(), AppError> {
    let upstream_status = err.status();
    let (outcome, shown) = match found {
        Some(true) => (
            Outcome::OkNoted {
                upstream_status,
                message: "CMR's answer was lost; a re-read shows the change applied",
            },
            None,
        ),
        Some(false) => (
            Outcome::Unknown {
                upstream_status,
                message: "CMR's answer was lost; a re-read does not show the change (yet)",
            },
            Some(format!(
                "Outcome unknown: CMR did not confirm the change, and a fresh look does not \
                 show it (yet). CMR may still apply it: {what_to_do}."
            )),
        ),
        None => (
            Outcome::Unknown {
                upstream_status,
                message: "CMR's answer was lost and nothing could be re-read",
            },
            Some(format!(
                "Outcome unknown: CMR did not confirm the change and could not be asked what \
                 happened. Sending it again could apply it twice: {what_to_do}."
            )),
        ),
    };
    let action = attempt.action;
    if let Err(err) = attempt.record(state, outcome, None).await {
        tracing::error!(action, error = %err, "a change with a lost answer could not be audited");
    }
    shown.map_or(Ok(()), |message| Err(AppError::OutcomeUnknown(message)))
}

/// Claims `key` for `request` before anything is sent. `Ok(None)`: go ahead, then call
/// [`finish_key`]. `Ok(Some(answer))`: the same request was done before; answer with that and
/// send nothing. Anything else is refused with a reason staff can act on.
pub async fn claim_key(
    state: &AppState,
    staff: &StaffView,
    key: &str,
    action: &str,
    request: &Value,
) -> Result<Option<Value>, AppError> {
    let well_formed = (16..=100).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !well_formed {
        return Err(AppError::Rejected(
            "This form is out of date: reload the page and try again.".into(),
        ));
    }
    let now = state.clock.now();
    match idempotency::claim(&state.db, key, staff.id, action, request, now).await? {
        Claim::Proceed => Ok(None),
        Claim::Replay(answer) => Ok(Some(answer)),
        Claim::InFlight => Err(AppError::Rejected(
            "This request is already being sent to CMR (a second click or another tab). Wait a \
             moment and reload."
                .into(),
        )),
        Claim::Unknown => Err(AppError::OutcomeUnknown(
            "This request was sent before and CMR's answer was lost, so it is not sent again. \
             Check whether it was applied before starting a new one."
                .into(),
        )),
        Claim::Mismatch => Err(AppError::Rejected(
            "This form was already used for a different request: reload the page and try again."
                .into(),
        )),
    }
}

/// How long after a renewal whose answer was lost a fresh read is trusted to show it: CMR
/// queues a renewal at once (it shows RENEWING), so something still unchanged by then was not
/// renewed and may be renewed again.
const RENEWAL_SETTLES: time::Duration = time::Duration::minutes(15);

/// Claims a renewal's period key (`key`: one renewal per domain or subscription and period,
/// whoever sends it, from whichever form). `Ok(None)`: this renewal is ours to send;
/// `Ok(Some(why))`: it is not, and `why` says so, to follow the thing's name.
pub async fn claim_renewal_period(
    state: &AppState,
    staff: &StaffView,
    key: &str,
    action: &str,
    request: &Value,
) -> Result<Option<&'static str>, AppError> {
    let now = state.clock.now();
    let db_error = |e| super::errors::internal("renewal period", e);
    let claim = idempotency::claim(&state.db, key, staff.id, action, request, now)
        .await
        .map_err(db_error)?;
    Ok(match claim {
        Claim::Proceed => None,
        Claim::InFlight => {
            Some("is being renewed right now (from another tab or by someone else).")
        }
        Claim::Replay(_) | Claim::Mismatch => Some("was already renewed for this period."),
        Claim::Unknown => {
            let reclaimed =
                idempotency::reclaim_unknown(&state.db, key, now - RENEWAL_SETTLES, now)
                    .await
                    .map_err(db_error)?;
            (!reclaimed).then_some(
                "was sent for renewal moments ago and CMR's answer was lost; it is not sent \
                 again until CMR shows what happened (up to 15 minutes).",
            )
        }
    })
}

/// Records how the call under `key` ended. A failure to record is logged: the change itself
/// already happened (or not) at CMR, and staff must hear about that, not about the key.
pub async fn finish_key(state: &AppState, key: &str, finish: Finish) {
    if let Err(err) = idempotency::finish(&state.db, key, finish, state.clock.now()).await {
        tracing::error!(error = %err, "an idempotency key's outcome could not be recorded");
    }
}
