//! The partner API key, in a type that cannot leak through `Debug` or `Display`.

use std::fmt;

/// The CMR partner API key. `Debug` and `Display` print a redacted form; only
/// [`ApiKey::expose`] gives the secret, and only the HTTP layer calls it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `****` plus the last four characters for long keys (enough to tell keys apart in a
    /// support conversation), nothing at all for short ones.
    fn redacted(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() >= 20 {
            let tail: String = chars[chars.len() - 4..].iter().collect();
            format!("****{tail}")
        } else {
            "[redacted]".to_owned()
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.redacted())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::ApiKey;

    #[test]
    fn a_short_key_is_fully_redacted() {
        let key = ApiKey::new("sandbox-key");
        assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
        assert_eq!(key.to_string(), "[redacted]");
        assert_eq!(key.expose(), "sandbox-key");
    }

    #[test]
    fn a_long_key_shows_only_its_last_four_characters() {
        let key = ApiKey::new("cmr_live_0123456789abcdefWXYZ");
        assert_eq!(format!("{key:?}"), "ApiKey(****WXYZ)");
        assert!(!format!("{key:?}").contains("0123456789"));
    }
}
