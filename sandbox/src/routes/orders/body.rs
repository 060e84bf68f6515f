//! What both order endpoints read from their JSON body beyond the domains: the order options
//! and the mailboxes per domain, checked as CMR documents them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::envelope::ApiError;
use crate::routes::input::Input;
use cmr::types::{OrderMailbox, ServiceProvider};

/// `serviceProvider` (default GOOGLE), `autoRenew` (default true), `confirm` (default false);
/// `billingCycle` must be MONTHLY when given.
pub(super) fn order_options(input: &Input) -> Result<(ServiceProvider, bool, bool), ApiError> {
    if let Some(cycle) = input.body().get("billingCycle") {
        if cycle.as_str() != Some("MONTHLY") {
            return Err(ApiError::unprocessable("billingCycle must be MONTHLY"));
        }
    }
    let provider = match input.body_str("serviceProvider") {
        None => ServiceProvider::Google,
        Some(raw) => match ServiceProvider::parse(raw) {
            ServiceProvider::Other(_) => {
                return Err(ApiError::unprocessable(
                    "serviceProvider must be GOOGLE or MICROSOFT",
                ))
            }
            known => known,
        },
    };
    Ok((
        provider,
        input.body_bool("autoRenew").unwrap_or(true),
        input.body_bool("confirm").unwrap_or(false),
    ))
}

/// `mailboxes`: an object keyed by domain name (each one of `domains`) → mailbox list.
pub(super) fn parse_mailboxes(
    body: &Value,
    domains: &[String],
) -> Result<BTreeMap<String, Vec<OrderMailbox>>, ApiError> {
    let map = match body.get("mailboxes") {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(ApiError::bad_request(
                "mailboxes must be an object keyed by domain name",
            ))
        }
    };
    let mut out = BTreeMap::new();
    for (domain, list) in map {
        let domain = domain.trim().to_ascii_lowercase();
        if !domains.iter().any(|d| d.eq_ignore_ascii_case(&domain)) {
            return Err(ApiError::unprocessable(format!(
                "mailboxes key {domain} is not one of the ordered domains"
            )));
        }
        let items = list.as_array().ok_or_else(|| {
            ApiError::bad_request(format!("mailboxes[{domain}] must be an array"))
        })?;
        let mut parsed = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let field = |key: &str| -> Result<String, ApiError> {
                item.get(key)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("mailboxes[{domain}][{n}].{key} is required"))
                    })
            };
            let username = field("username")?.to_ascii_lowercase();
            let local_ok = username
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !local_ok {
                return Err(ApiError::unprocessable(format!(
                    "mailboxes[{domain}][{n}].username may only contain letters, digits, '.', '_' and '-'"
                )));
            }
            parsed.push(OrderMailbox {
                username,
                first_name: field("firstName")?,
                last_name: field("lastName")?,
                profile_picture: item
                    .get("profilePicture")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                on_warmup: item.get("onWarmup").and_then(Value::as_bool),
            });
        }
        out.insert(domain, parsed);
    }
    Ok(out)
}
