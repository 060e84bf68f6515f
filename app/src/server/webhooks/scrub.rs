//! Secrets out of a webhook payload before anything is stored or logged: mailbox and
//! pre-warmup events can carry passwords, app passwords and authenticator secrets.

use serde_json::Value;

/// Whether a key names a secret (`password`, `appPassword`, `authenticatorSecret`, tokens…).
fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "credential",
        "otp",
        "recovery",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// `value` with every secret-named field replaced by `"[removed]"`, at any depth. Returns
/// how many were removed.
pub fn scrub(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => {
            let mut removed = 0;
            for (key, field) in map.iter_mut() {
                if is_secret(key) && !field.is_null() {
                    *field = Value::String("[removed]".into());
                    removed += 1;
                } else {
                    removed += scrub(field);
                }
            }
            removed
        }
        Value::Array(items) => items.iter_mut().map(scrub).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_removed_at_any_depth_and_the_rest_kept() {
        let mut payload = json!({
            "userId": "U1",
            "password": "hunter2",
            "mailboxDetails": [{ "preWarmedUpMailboxes": [{
                "email": "a@b.com", "appPassword": "abcd efgh", "authenticatorSecret": "JBSWY3DP"
            }]}]
        });
        assert_eq!(scrub(&mut payload), 3);
        let text = payload.to_string();
        for secret in ["hunter2", "abcd efgh", "JBSWY3DP"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("a@b.com") && text.contains("U1"));
    }
}
