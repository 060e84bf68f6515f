//! Domains: the partner-wide list (from the index), a domain's page, renewals, its settings
//! (auto-renew, forwarding, removal) and its DNS. CMR addresses a domain through its owner, so
//! every call here first finds the owner in the partner index.

mod detail;
pub mod dns;
mod list;
mod renew;
mod settings;

pub use detail::{detail, domain_timeline, timeline};
pub use list::{export_csv, list, EXPORT_LIMIT};
pub use renew::{quote, renew};
pub use settings::{remove, set_auto_renew, set_forwarding};

use super::errors::internal;
use super::index::store;
use super::AppState;
use crate::error::AppError;
use std::collections::BTreeMap;

/// A domain name as staff typed or a link carried it: trimmed, lower-case, without the
/// trailing dot; refused when it cannot be a domain name.
pub(crate) fn domain_name(input: &str) -> Result<String, AppError> {
    let name = input.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if valid {
        Ok(name)
    } else {
        Err(AppError::invalid(
            "domain",
            "That is not a domain name (like example.com).",
        ))
    }
}

/// The CMR user who owns `name`, from the partner index.
pub(crate) async fn owner(state: &AppState, name: &str) -> Result<String, AppError> {
    store::owner_of_domain(&state.db, name)
        .await
        .map_err(|e| internal("domain owner", e))?
        .ok_or_else(|| {
            AppError::Rejected(format!(
                "{name} is not in the partner index. A domain ordered moments ago shows up after \
                 the next sync; otherwise open it from its customer's profile."
            ))
        })
}

/// `names` (checked and without repeats) grouped by their owner from the index: CMR changes
/// one customer's domains per call.
pub(crate) async fn by_owner(
    state: &AppState,
    names: &[String],
) -> Result<BTreeMap<String, Vec<String>>, AppError> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in names {
        let name = domain_name(name)?;
        let group = groups.entry(owner(state, &name).await?).or_default();
        if !group.contains(&name) {
            group.push(name);
        }
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_normalised_or_refused() {
        assert_eq!(domain_name(" Example.COM. ").unwrap(), "example.com");
        assert_eq!(domain_name("a-b.co.uk").unwrap(), "a-b.co.uk");
        for bad in [
            "",
            "localhost",
            "a..com",
            "-a.com",
            "a b.com",
            "a.com/x",
            "é.com",
        ] {
            assert!(domain_name(bad).is_err(), "{bad}");
        }
    }
}
