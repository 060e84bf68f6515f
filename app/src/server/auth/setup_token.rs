//! The one-time first-run setup token: issued at start-up while no account exists, spent by
//! the first admin's creation.

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
