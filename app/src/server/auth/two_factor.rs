//! Two-factor sign-in with an authenticator app (TOTP, RFC 6238: SHA-1, 6 digits, 30 s steps,
//! as every authenticator app reads them). Codes are checked one step either side of now, and
//! a step's code is accepted once: the step is recorded in the same statement that accepts it.
//! One-time recovery codes stand in for a lost phone.

use super::sign_in::Guarded;
use crate::error::AppError;
use crate::model::{Role, Secret, StaffView, TwoFactorEnrolment, TwoFactorStatus};
use crate::server::audit::{self, Actor, Change, Entry};
use crate::server::db;
use crate::server::db::staff::StaffRow;
use crate::server::errors::internal;
use crate::server::AppState;
use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Totp};

/// The name authenticator apps show above the code.
const ISSUER: &str = "CMR Admin";
pub const RECOVERY_CODES: usize = 10;
/// No 0/o, 1/l/i: codes are read off paper.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// How a code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    App,
    Recovery,
}

fn totp(secret: &str, account: &str) -> Result<Totp, AppError> {
    let bytes = totp_rs::Secret::try_from_base32(secret)
        .map_err(|_| internal("totp secret", "stored secret is not base32"))?;
    Builder::new()
        .with_secret(bytes)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| internal("totp", e))
}

/// The matched step of a six-digit `code` for `secret` at `unix` seconds (±1 step).
pub fn matching_step(secret: &str, code: &str, unix: i64) -> Result<Option<i64>, AppError> {
    let totp = totp(secret, "check")?;
    Ok(totp.check(code, unix.max(0) as u64).map(|step| step as i64))
}

/// The code an authenticator shows for `secret` at `unix` seconds (tests and the browser
/// tests' helper compute the same).
pub fn code_at(secret: &str, unix: i64) -> Result<String, AppError> {
    Ok(totp(secret, "code")?
        .generate(unix.max(0) as u64)
        .to_string())
}

fn digits_only(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

fn normalised_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Salted with the account, so one code's hash means nothing for another account.
fn recovery_hash(staff_id: i64, code: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "{staff_id}:{}",
        normalised_recovery_code(code)
    )))
}

fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// Whether `staff` must have two-factor sign-in before using the dashboard.
pub fn required(state: &AppState, staff: &StaffRow) -> bool {
    state.config.two_factor_for_admins && staff.role() == Role::Admin
}

pub async fn status(state: &AppState, staff: &StaffView) -> Result<TwoFactorStatus, AppError> {
    let row = db::staff::by_id(&state.db, staff.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(TwoFactorStatus {
        enabled: row.totp_enabled_at.is_some(),
        since: row.totp_enabled_at.map(|t| t.unix_timestamp()),
        recovery_codes_left: db::two_factor::recovery_codes_left(&state.db, staff.id).await?,
        required: required(state, &row),
    })
}

/// Starts enrolment: a new secret (160 bits), kept as pending until a first code confirms it.
#[tracing::instrument(name = "two_factor.begin", skip_all)]
pub async fn begin(state: &AppState, staff: &StaffView) -> Result<TwoFactorEnrolment, AppError> {
    if db::two_factor::secret(&state.db, staff.id).await?.is_some() {
        return Err(AppError::Rejected(
            "Two-factor sign-in is already on. Turn it off first to enrol another app.".into(),
        ));
    }
    let bytes: [u8; 20] = rand::thread_rng().gen();
    let secret = totp_rs::Secret::from(bytes.to_vec()).to_base32();
    db::two_factor::set_pending_secret(&state.db, staff.id, &secret).await?;
    let uri = totp(&secret, &staff.email)?
        .to_url()
        .map_err(|e| internal("totp url", e))?;
    let qr = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| internal("qr code", e))?;
    let svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // The XML declaration is not allowed inside an HTML document.
    let qr_svg = match svg.find("<svg") {
        Some(start) => svg[start..].to_string(),
        None => svg,
    };
    let grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(TwoFactorEnrolment {
        secret: grouped,
        uri,
        qr_svg,
    })
}

/// Confirms enrolment with a first code from the app; returns the recovery codes (shown once,
/// only their hashes are kept).
#[tracing::instrument(name = "two_factor.confirm", skip_all)]
pub async fn confirm(
    state: &AppState,
    staff: &StaffView,
    code: Secret,
) -> Result<Vec<String>, AppError> {
    let Some(secret) = db::two_factor::pending_secret(&state.db, staff.id).await? else {
        return Err(AppError::Rejected(
            "Start again: the enrolment was finished or replaced.".into(),
        ));
    };
    let now = state.clock.now();
    let code = digits_only(code.expose());
    let email = staff.email.to_lowercase();
    let guarded = Guarded {
        actor: Actor::Staff(staff),
        email: &email,
        action: "two_factor.enable",
        failure: "wrong code",
    };
    let mut step = None;
    let ok = guarded
        .run(state, async {
            step = matching_step(&secret, &code, now.unix_timestamp())?;
            Ok(step.is_some())
        })
        .await?;
    let (true, Some(step)) = (ok, step) else {
        return Err(AppError::invalid(
            "code",
            "That code is not right. Check the time on your phone and enter the newest code.",
        ));
    };
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(staff.id, c)).collect();
    if !db::two_factor::enable(&state.db, staff.id, &secret, step, &hashes, now).await? {
        return Err(AppError::Rejected(
            "Start again: another enrolment was started meanwhile.".into(),
        ));
    }
    let entry = Entry::ok(Actor::Staff(staff), "two_factor.enable", None)
        .with_changes(vec![Change::new("two_factor", "off", "on")]);
    audit::record(state, entry).await?;
    Ok(codes)
}

/// Checks `code` for account `staff_id`: six digits are an app code (accepted once), anything
/// else a recovery code (used up). `None`: not accepted.
pub async fn check_code(
    state: &AppState,
    staff_id: i64,
    code: &str,
) -> Result<Option<CodeKind>, AppError> {
    let Some(secret) = db::two_factor::secret(&state.db, staff_id).await? else {
        return Ok(None);
    };
    let digits = digits_only(code);
    if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
        let now = state.clock.now().unix_timestamp();
        let Some(step) = matching_step(&secret, &digits, now)? else {
            return Ok(None);
        };
        let fresh = db::two_factor::accept_step(&state.db, staff_id, step).await?;
        return Ok(fresh.then_some(CodeKind::App));
    }
    if normalised_recovery_code(code).len() != 10 {
        return Ok(None);
    }
    let used = db::two_factor::use_recovery_code(
        &state.db,
        staff_id,
        &recovery_hash(staff_id, code),
        state.clock.now(),
    )
    .await?;
    Ok(used.then_some(CodeKind::Recovery))
}

/// Turns two-factor sign-in off, with the password and a current code (both under the sign-in
/// throttle). Refused while the dashboard requires it for this account.
#[tracing::instrument(name = "two_factor.disable", skip_all)]
pub async fn disable(
    state: &AppState,
    staff: &StaffView,
    password: Secret,
    code: Secret,
) -> Result<(), AppError> {
    let row = db::staff::by_id(&state.db, staff.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if row.totp_enabled_at.is_none() {
        return Err(AppError::Rejected(
            "Two-factor sign-in is already off.".into(),
        ));
    }
    if required(state, &row) {
        return Err(AppError::Rejected(
            "Admins must keep two-factor sign-in on (the dashboard requires it).".into(),
        ));
    }
    let email = row.email.to_lowercase();
    let guarded = Guarded {
        actor: Actor::Staff(staff),
        email: &email,
        action: "two_factor.disable",
        failure: "wrong password or code",
    };
    let hash = row.password_hash.clone();
    let password = password.into_inner();
    let ok = guarded
        .run(state, async {
            let password_ok =
                !password.is_empty() && state.passwords.verify(password, Some(hash)).await?;
            // The code is used up only when the password was right.
            Ok(password_ok && check_code(state, staff.id, code.expose()).await?.is_some())
        })
        .await?;
    if !ok {
        return Err(AppError::Rejected(
            "The password or the code is not right.".into(),
        ));
    }
    db::two_factor::disable(&state.db, staff.id).await?;
    let entry = Entry::ok(Actor::Staff(staff), "two_factor.disable", None)
        .with_changes(vec![Change::new("two_factor", "on", "off")]);
    audit::record(state, entry).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_readable_codes() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(normalised_recovery_code(code).len(), 10);
            assert!(!code.contains(['0', '1', 'l', 'o', 'i']), "{code}");
        }
        // Typed back in capitals with spaces, a code hashes the same.
        let typed = codes[0].to_uppercase().replace('-', " ");
        assert_eq!(recovery_hash(7, &typed), recovery_hash(7, &codes[0]));
        assert_ne!(recovery_hash(7, &codes[0]), recovery_hash(8, &codes[0]));
    }

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_only() {
        // RFC 6238's SHA-1 test secret ("12345678901234567890"), base32.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let at = 59;
        let code = code_at(secret, at).unwrap();
        assert_eq!(code, "287082", "RFC 6238 test vector (6 digits)");
        let step = at / 30;
        assert_eq!(matching_step(secret, &code, at).unwrap(), Some(step));
        assert_eq!(matching_step(secret, &code, at + 30).unwrap(), Some(step));
        assert_eq!(matching_step(secret, &code, at - 30).unwrap(), Some(step));
        assert_eq!(matching_step(secret, &code, at + 60).unwrap(), None);
        assert_eq!(matching_step(secret, "000000", at).unwrap(), None);
    }
}
