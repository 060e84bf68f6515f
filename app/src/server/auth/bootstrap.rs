//! First run: while no staff account exists, a one-time token printed at start-up is the only
//! way to create the first admin.

use super::super::state::AppState;
use rand::RngCore;
use std::sync::{Arc, Mutex};

/// The current setup token, if setup is open. Shared by clones.
#[derive(Clone, Default)]
pub struct SetupToken(Arc<Mutex<Option<String>>>);

impl SetupToken {
    /// Opens setup with a fresh random token (256 bits, hex) and returns it.
    pub fn issue(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        *self.lock() = Some(token.clone());
        token
    }

    /// True when `candidate` is the open token. Compares in constant time.
    pub fn matches(&self, candidate: &str) -> bool {
        match self.lock().as_deref() {
            Some(token) => constant_time_eq(token.as_bytes(), candidate.as_bytes()),
            None => false,
        }
    }

    /// Closes setup: the token is spent.
    pub fn close(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// When no account exists, opens setup and prints its URL (once per start). Returns the URL.
pub async fn announce_if_needed(state: &AppState) -> Result<Option<String>, sqlx::Error> {
    if crate::server::db::staff::count(&state.db).await? > 0 {
        return Ok(None);
    }
    let token = state.setup.issue();
    let mut url = state
        .config
        .public_url
        .join("/setup")
        .expect("a valid path");
    url.query_pairs_mut().append_pair("token", &token);
    // Printed, not logged: the operator needs it once, log shippers need not keep it.
    println!("No staff account exists yet. Create the first admin at: {url}");
    Ok(Some(url.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_issued_token_matches_and_only_until_closed() {
        let setup = SetupToken::default();
        assert!(!setup.matches(""));
        let token = setup.issue();
        assert_eq!(token.len(), 64);
        assert!(setup.matches(&token));
        assert!(!setup.matches(&token[1..]));
        setup.close();
        assert!(!setup.matches(&token));
    }
}
