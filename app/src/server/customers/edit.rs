//! Saving the edit form: validate, re-read, merge with whatever CMR holds now, send once, and
//! when the answer is lost, read again to tell staff what happened.

use super::invalid_unless_empty;
use crate::error::AppError;
use crate::model::customer::SaveOutcome;
use crate::model::profile::{self, Merge};
use crate::model::StaffView;
use crate::server::audit::{Change, Target};
use crate::server::mutation::{audited, settle_lost_answer, Attempt};
use crate::server::AppState;
use cmr::types::{ProfileField, UserProfile};

/// Saves the edit form: re-reads CMR's profile, validates, merges (see `profile::merge`) and
/// sends the merged profile once. Nothing is sent when nothing changed. A field CMR did not
/// show (missing, `null`, not text) is left out of the body unless staff typed a value: it is
/// never written back as `""`. When the answer is lost, the profile is read again to tell
/// staff what actually happened.
#[tracing::instrument(name = "customer.update", skip_all, fields(target = %id))]
pub async fn update(
    state: &AppState,
    staff: &StaffView,
    id: &str,
    seen: UserProfile,
    edited: UserProfile,
) -> Result<SaveOutcome, AppError> {
    let seen = profile::normalise(seen);
    let mut edited = profile::normalise(edited);
    if same_state(state, &edited.country, &seen.state, &edited.state).await {
        edited.state = seen.state.clone();
    }
    let mut errors = profile::validate(&edited);
    // Bad input is refused before any CMR call. Only a required field that was empty when the
    // form opened and still is waits for the re-read: CMR may simply not have shown it.
    let untouched_empty = |f: ProfileField| edited.get(f).is_empty() && seen.get(f).is_empty();
    let early: std::collections::BTreeMap<_, _> = errors
        .iter()
        .filter(|(f, _)| !untouched_empty(**f))
        .map(|(f, m)| (*f, m.clone()))
        .collect();
    invalid_unless_empty(early)?;
    let current = state.cmr.get_user(id).await?.data;
    // Untouched fields CMR did not show stay out of the body, so they need no value here.
    let leave_out: Vec<ProfileField> = current
        .unknown_fields
        .into_iter()
        .filter(|&f| edited.get(f) == seen.get(f))
        .collect();
    errors.retain(|field, _| !leave_out.contains(field));
    invalid_unless_empty(errors)?;
    let (merged, changed) = match profile::merge(&seen, &edited, &current.profile) {
        Merge::Unchanged => return Ok(SaveOutcome::NothingChanged),
        Merge::Conflicts(conflicts) => return Err(AppError::EditConflict(conflicts)),
        Merge::Save { profile, changed } => (*profile, changed),
    };
    let saved = SaveOutcome::Saved(changed.iter().map(|(f, _, _)| *f).collect());
    let attempt = Attempt {
        staff,
        action: "customer.update",
        target: Target::Customer(id),
        changes: changed
            .iter()
            .map(|(f, before, after)| Change::new(f.wire_name(), before.as_str(), after.as_str()))
            .collect(),
    };
    match state.cmr.update_user(id, &merged, &leave_out).await {
        Err(err) if err.is_outcome_unknown() => {
            let applied = reread_shows(state, id, &changed).await;
            let what_to_do = "reload the profile in a minute and check before saving again";
            settle_lost_answer(state, attempt, &err, applied, what_to_do).await?;
            Ok(saved)
        }
        result => {
            audited(state, attempt, result).await?;
            Ok(saved)
        }
    }
}

/// Whether `a` and `b` are two spellings (name and code) of one state of `country`. The state
/// select shows one entry for both, so a form that submits the other spelling of what CMR
/// stores did not change the state, and must not rewrite it.
async fn same_state(state: &AppState, country: &str, a: &str, b: &str) -> bool {
    if a == b || a.is_empty() || b.is_empty() || country.len() != 2 {
        return a == b;
    }
    let Ok(states) = state.geo.states(&state.cmr, country).await else {
        return false;
    };
    let spells = |s: &crate::model::geo::GeoOption, v: &str| {
        s.name.eq_ignore_ascii_case(v) || s.code.eq_ignore_ascii_case(v)
    };
    states.iter().any(|s| spells(s, a) && spells(s, b))
}

/// After a lost answer: `Some(true)` when CMR's profile now holds every change, `Some(false)`
/// when it holds none or only some, `None` when it cannot be read either.
async fn reread_shows(
    state: &AppState,
    id: &str,
    changed: &[(ProfileField, String, String)],
) -> Option<bool> {
    let now = state.cmr.get_user(id).await.ok()?.data.profile;
    Some(
        changed
            .iter()
            .all(|(field, _, after)| profile::normalise_field(*field, now.get(*field)) == *after),
    )
}
