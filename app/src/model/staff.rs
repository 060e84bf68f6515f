//! Staff accounts.

use super::Role;
use serde::{Deserialize, Serialize};

/// The signed-in staff member as the browser may see it: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// The second step of signing in found no pending sign-in (too old, or never was): the page
/// offers the way back to the first step.
pub const SIGN_IN_STARTS_AGAIN: &str =
    "Your sign-in took too long. Enter your email and password again.";

/// An account as the staff page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccount {
    pub staff: StaffView,
    pub disabled: bool,
    /// Locked out after failed sign-ins until then (Unix seconds).
    pub locked_until: Option<i64>,
    pub two_factor: bool,
    /// A reset password that the account has not replaced yet.
    pub must_change_password: bool,
    pub open_sessions: i64,
}

/// One account as its page shows it to an admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffAccountDetail {
    pub account: StaffAccount,
    pub sessions: Vec<SessionView>,
    /// What was done to this account, newest first.
    pub history: Vec<super::audit::AuditView>,
}

/// An open session, as its owner (or an admin) sees it. Never the session id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// Names the session for "end it"; says nothing about its cookie.
    pub handle: i64,
    pub staff_id: i64,
    pub staff_email: String,
    pub staff_name: String,
    /// "Chrome on Linux", or what is known.
    pub device: String,
    pub ip: Option<String>,
    pub signed_in_at: i64,
    pub last_active_at: i64,
    /// The session this very request came with.
    pub current: bool,
}

/// The signed-in staff member's two-factor sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    /// Since when (Unix seconds).
    pub since: Option<i64>,
    pub recovery_codes_left: i64,
    /// This account must have it (admins, when the dashboard requires it).
    pub required: bool,
}

/// What enrolling an authenticator app shows once: the QR code and the same secret as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorEnrolment {
    /// Base32, grouped in fours for typing.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub uri: String,
    /// The QR code as an SVG document (made on the server from `uri`).
    pub qr_svg: String,
}

/// A short description of a browser from its `User-Agent`: "Firefox on Windows".
pub fn describe_agent(agent: Option<&str>) -> String {
    let Some(agent) = agent else {
        return "Unknown device".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("HeadlessChrome/", "Chrome (headless)"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(token, _)| agent.contains(token))
    .map(|(_, name)| *name);
    let system = [
        ("Windows", "Windows"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(token, _)| agent.contains(token))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => "Unknown device".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_agent;

    #[test]
    fn a_user_agent_reads_as_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
        assert_eq!(describe_agent(Some(chrome)), "Chrome on Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(describe_agent(Some(edge)), "Edge on Windows");
        let firefox =
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(describe_agent(Some(firefox)), "Firefox on macOS");
        assert_eq!(describe_agent(Some("reqwest")), "Unknown device");
        assert_eq!(describe_agent(None), "Unknown device");
    }
}
