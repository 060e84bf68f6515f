//! Authorization by default. One middleware resolves the session on every request and refuses
//! anything that is not explicitly public; server functions then ask [`require_role`] for the
//! role they need. A new server function is therefore refused to anonymous callers without
//! anyone remembering to add a check.
//!
//! One refinement, for speed: a read listed in [`routes::READ_AHEAD_FNS`], from a session this
//! instance confirmed a moment ago, starts while its session check runs beside it (the check
//! is a database round trip, and the read's CMR call would otherwise wait for it). Its answer
//! is still held until the check is done: refused, it is thrown away; changed (a new role),
//! the read runs again as the account now is.

use super::recent_sessions::Ahead;
use super::{final_store, session};
use crate::error::AppError;
use crate::model::{Role, StaffView};
use crate::routes;
use crate::server::errors::internal;
use crate::server::{db, AppState};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tower_sessions::Session;

/// The largest request body a read started ahead of its session check may have: it is kept
/// to run the read again should the check find the account changed. Reads' arguments are a
/// few short fields.
const READ_AHEAD_MAX_BODY: usize = 16 * 1024;

/// The staff member behind this request, or `None` when anonymous.
#[derive(Debug, Clone)]
pub struct CurrentStaff(pub Option<StaffView>);

/// The middleware: resolves the session, refuses anonymous access to non-public paths (401 for
/// server functions, a redirect to the sign-in page for pages), and records the staff member
/// in the request for [`require_role`] and the page shell.
pub async fn authenticate(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    // A page's own background refresh proves a tab is open, not that anyone is there.
    let activity = !routes::BACKGROUND_FNS.contains(&req.uri().path());
    if may_read_ahead(&req) {
        if let Some(ahead) = session.id().and_then(|id| state.recent_sessions.ahead(&id)) {
            return read_ahead(&state, &session, activity, ahead, req, next).await;
        }
    }
    let (staff, gate) = match check(&state, &session, activity).await {
        Ok(Some((staff, gate))) => (Some(staff), gate),
        Ok(None) => (None, Gate::Open),
        Err(err) => return error_response(&err),
    };
    let path = req.uri().path();
    if let Some(refused) = gate.refuse(path) {
        return refused;
    }
    if staff.is_none() && !routes::is_public(path) {
        if path.starts_with("/api/") {
            return error_response(&AppError::Unauthorized);
        }
        let mut next_url = url::form_urlencoded::Serializer::new(String::new());
        next_url.append_pair(
            "next",
            req.uri().path_and_query().map_or("/", |p| p.as_str()),
        );
        let location = format!("{}?{}", routes::SIGN_IN, next_url.finish());
        return (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    }
    if let Some(staff) = &staff {
        crate::server::http::request_trace::record_staff(staff.id);
    }
    req.extensions_mut().insert(CurrentStaff(staff));
    next.run(req).await
}

/// A listed read whose whole body is announced and small (it is kept, to run the read again).
fn may_read_ahead(req: &Request) -> bool {
    routes::READ_AHEAD_FNS.contains(&req.uri().path())
        && req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .is_some_and(|length| length <= READ_AHEAD_MAX_BODY)
}

/// Runs a listed read from a recently confirmed session beside its session check, and answers
/// only with what the check allows (see the module's comment).
async fn read_ahead(
    state: &AppState,
    session: &Session,
    activity: bool,
    ahead: Ahead,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, READ_AHEAD_MAX_BODY).await else {
        return error_response(&AppError::Rejected(
            "The request did not arrive whole. Try again.".into(),
        ));
    };
    let mut early = Request::from_parts(parts.clone(), Body::from(body.clone()));
    early
        .extensions_mut()
        .insert(CurrentStaff(Some(ahead.staff.clone())));
    // Boxed, so that it can be dropped before a second run: a read left pending would hold
    // its place in the read cache, and the second run would wait for it forever.
    let mut read = Box::pin(next.clone().run(early));
    let checked = check(state, session, activity);
    tokio::pin!(checked);
    // A refusal that comes first stops the read at once.
    let (checked, answer) = tokio::select! {
        checked = &mut checked => (checked, None),
        answer = &mut read => ((&mut checked).await, Some(answer)),
    };
    let staff = match checked {
        Err(err) => return error_response(&err),
        Ok(None) => return error_response(&AppError::Unauthorized),
        Ok(Some((staff, gate))) => match gate.refuse(parts.uri.path()) {
            Some(refused) => return refused,
            None => staff,
        },
    };
    crate::server::http::request_trace::record_staff(staff.id);
    if staff == ahead.staff {
        return match answer {
            Some(answer) => answer,
            None => read.await,
        };
    }
    // The account changed since this instance last confirmed it: answer as it is now.
    drop((read, answer, ahead));
    let mut again = Request::from_parts(parts, Body::from(body));
    again.extensions_mut().insert(CurrentStaff(Some(staff)));
    next.run(again).await
}

/// [`resolve`], remembering the outcome for [`read_ahead`]: only a session let straight
/// through may start reads early.
async fn check(
    state: &AppState,
    session: &Session,
    activity: bool,
) -> Result<Option<(StaffView, Gate)>, AppError> {
    let recent = &state.recent_sessions;
    let generation = recent.generation();
    let outcome = resolve(state, session, activity).await;
    if let Some(id) = session.id() {
        match &outcome {
            Ok(Some((staff, Gate::Open))) => recent.confirmed(id, staff.clone(), generation),
            _ => recent.forget(&id),
        }
    }
    outcome
}

/// What a signed-in session must do before it may use the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// An admin reset the password: choose a new one first.
    ChangePassword,
    /// An admin without two-factor sign-in, where the dashboard requires it: enrol first.
    EnrolTwoFactor,
}

impl Gate {
    fn of(state: &AppState, staff: &db::staff::StaffRow) -> Gate {
        if staff.must_change_password {
            Gate::ChangePassword
        } else if staff.totp_enabled_at.is_none() && super::two_factor::required(state, staff) {
            Gate::EnrolTwoFactor
        } else {
            Gate::Open
        }
    }

    /// The answer for a request to `path` this gate does not let through: pages go to the
    /// gate's own page, server functions are refused with what to do.
    fn refuse(self, path: &str) -> Option<Response> {
        let (allowed, page, message): (&[&str], _, _) = match self {
            Gate::Open => return None,
            Gate::ChangePassword => (
                &routes::PASSWORD_GATE,
                routes::CHANGE_PASSWORD,
                "Choose a new password first: yours was reset by an admin.",
            ),
            Gate::EnrolTwoFactor => (
                &routes::TWO_FACTOR_GATE,
                routes::TWO_FACTOR,
                "Set up two-factor sign-in first: admins must have it.",
            ),
        };
        if allowed.contains(&path) || routes::is_public(path) {
            return None;
        }
        if path.starts_with("/api/") {
            return Some(error_response(&AppError::Rejected(message.into())));
        }
        Some((StatusCode::SEE_OTHER, [(header::LOCATION, page)]).into_response())
    }
}

/// The signed-in staff member and their gate, after the idle, absolute, password-change and
/// disabled checks. An expired session is deleted. Only `activity` (a request a person made)
/// moves the idle clock.
async fn resolve(
    state: &AppState,
    session: &Session,
    activity: bool,
) -> Result<Option<(StaffView, Gate)>, AppError> {
    // One query for the session and its account; the session itself is loaded (a second
    // query) only when it is written below.
    let Some(id) = session.id() else {
        return Ok(None);
    };
    let signed_in = final_store::signed_in(&state.db, &id)
        .await
        .map_err(|e| internal("session load", e))?;
    let Some((mut auth, staff)) = signed_in else {
        return Ok(None);
    };
    let now = state.clock.now();
    let config = &state.config;
    let current = staff.password_changed_at.unix_timestamp() == auth.epoch;
    if !current
        || auth
            .check(now, config.session_idle, config.session_absolute)
            .is_err()
    {
        session::end(session).await?;
        return Ok(None);
    }
    // Refresh the idle clock at most once a minute: a session write per request is waste.
    if activity && now.unix_timestamp() - auth.last_seen_at >= 60 {
        auth.last_seen_at = now.unix_timestamp();
        session::store(session, auth).await?;
    }
    Ok(Some((staff.view(), Gate::of(state, &staff))))
}

/// A server-function-shaped error response (the same JSON the server function would return).
pub fn error_response(err: &AppError) -> Response {
    let status =
        StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(err).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(body),
    )
        .into_response()
}

/// The signed-in staff member, inside a server function or during server-side rendering.
pub async fn current_staff() -> Result<StaffView, AppError> {
    let Extension(CurrentStaff(staff)) = leptos_axum::extract::<Extension<CurrentStaff>>()
        .await
        .map_err(|_| AppError::Unauthorized)?;
    staff.ok_or(AppError::Unauthorized)
}

/// The signed-in staff member when their role is at least `required`; otherwise `Forbidden`
/// (or `Unauthorized` without a session). Every server function starts with this.
pub async fn require_role(required: Role) -> Result<StaffView, AppError> {
    let staff = current_staff().await?;
    if staff.role.allows(required) {
        Ok(staff)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Refreshes the stored auth record after the staff member's own password change, so this
/// session stays valid while every other one ends.
pub async fn renew_epoch(session: &Session, staff: &db::staff::StaffRow) -> Result<(), AppError> {
    if let Some(mut auth) = session::load(session).await? {
        auth.epoch = staff.password_changed_at.unix_timestamp();
        session::store(session, auth).await?;
    }
    Ok(())
}
