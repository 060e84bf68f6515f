//! Input rules that both the form (as a convenience) and the server (as the authority) apply.

/// Shortest password accepted for a staff account (NIST SP 800-63B asks for at least 8;
/// staff accounts can spend money, so we ask for more).
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted: bounds the hashing work an anonymous request can cause.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Trims and lower-cases an email, then checks its shape. Returns the normalised form.
pub fn email(input: &str) -> Result<String, &'static str> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err("Enter an email address.");
    }
    if email.len() > 254 {
        return Err("That email address is too long.");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("Enter an email address like name@example.com.");
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty()
        || !domain_ok
        || domain.contains('@')
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("Enter an email address like name@example.com.");
    }
    Ok(email)
}

/// Checks a new password against the length policy.
pub fn new_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(format!(
            "Use at least {PASSWORD_MIN_CHARS} characters for the password."
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(format!(
            "Use at most {PASSWORD_MAX_CHARS} characters for the password."
        ));
    }
    Ok(())
}

/// A display name: 1–100 printable characters.
pub fn display_name(input: &str) -> Result<String, &'static str> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Enter a name.");
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("Use at most 100 printable characters for the name.");
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(email("  Ann@Example.COM ").unwrap(), "ann@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.com",
            "ann@x",
            "a b@x.com",
            "a@x..com",
            "a@@x.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn passwords_shorter_than_the_minimum_are_refused() {
        assert!(new_password("short").is_err());
        assert!(new_password(&"x".repeat(PASSWORD_MIN_CHARS)).is_ok());
        assert!(new_password(&"x".repeat(PASSWORD_MAX_CHARS + 1)).is_err());
    }
}
