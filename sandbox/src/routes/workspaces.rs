//! `POST /domains/has-workspace`: whether a domain already has a Google or Microsoft
//! workspace, in the single and the bulk form (reference §4.3). Partner-level: no `userId`.
//!
//! What counts as a workspace is `World::has_workspace`. A check stalled with
//! [`SandboxControl::stall_workspace_check`](crate::SandboxControl::stall_workspace_check)
//! fails as CMR's does after its 15 s timeout, but at once.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::input::Input;
use crate::envelope::{ApiError, Done, Outcome};
use crate::state::World;
use cmr::types::ServiceProvider;

const EXISTS: &str = "Workspace already exists";
const TIMED_OUT: &str = "Workspace check timed out after 15 s";

enum Finding {
    Clear,
    Exists,
    TimedOut,
}

fn finding(world: &World, name: &str) -> Finding {
    if world
        .stalled_workspace_checks
        .contains(&name.to_ascii_lowercase())
    {
        Finding::TimedOut
    } else if world.has_workspace(name) {
        Finding::Exists
    } else {
        Finding::Clear
    }
}

pub(crate) fn has_workspace(world: &mut World, input: &Input) -> Outcome {
    let body = input.body_object()?;
    let present = |key: &str| body.get(key).filter(|v| !v.is_null());
    match (present("domains"), present("domainName")) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "Provide either domainName or domains, not both",
        )),
        (Some(domains), None) => bulk(world, domains),
        (None, Some(_)) => single(world, input.body()),
        (None, None) => Err(ApiError::bad_request(
            "Provide domainName or a non-empty domains array",
        )),
    }
}

/// `{domainName, serviceProvider?}`: 200 with `data: null` when clear, 409 when a workspace
/// exists; a timed-out check is a 504 here ([I]: the reference gives the bulk form's rule
/// only).
fn single(world: &World, body: &Value) -> Outcome {
    let name = domain_name(body, "")?;
    match finding(world, &name) {
        Finding::Clear => Ok(Done::ok("Workspace not exists", Value::Null)),
        Finding::Exists => Err(ApiError::conflict(format!(
            "Workspace already exists for {name}"
        ))),
        Finding::TimedOut => Err(ApiError::new(StatusCode::GATEWAY_TIMEOUT, TIMED_OUT)),
    }
}

/// `{domains: [...]}`: one item per domain, in order, `status` "success" or "failed" with an
/// `error` (item shape [I]: the reference says only "failed item carries an error string").
fn bulk(world: &World, domains: &Value) -> Outcome {
    let items = domains
        .as_array()
        .filter(|items| !items.is_empty())
        .ok_or_else(|| ApiError::bad_request("domains must be a non-empty array"))?;
    let mut results = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let name = domain_name(item, &format!("domains[{n}]."))?;
        let error = match finding(world, &name) {
            Finding::Clear => None,
            Finding::Exists => Some(EXISTS),
            Finding::TimedOut => Some(TIMED_OUT),
        };
        results.push(match error {
            None => json!({ "domainName": name, "status": "success" }),
            Some(error) => json!({ "domainName": name, "status": "failed", "error": error }),
        });
    }
    Ok(Done::ok("Workspace check completed", Value::Array(results)))
}

/// `domainName` (required; echoed as sent, trimmed) and `serviceProvider` (checked when
/// given, then ignored: the sandbox does not tell providers apart).
fn domain_name(item: &Value, at: &str) -> Result<String, ApiError> {
    if !item.is_object() {
        return Err(ApiError::bad_request(format!(
            "{} must be an object",
            at.trim_end_matches('.')
        )));
    }
    let name = item
        .get("domainName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("{at}domainName is required")))?;
    match item.get("serviceProvider") {
        None | Some(Value::Null) => {}
        Some(raw) => {
            let known = raw
                .as_str()
                .is_some_and(|s| ServiceProvider::parse(s).is_known());
            if !known {
                return Err(ApiError::unprocessable(format!(
                    "{at}serviceProvider must be GOOGLE or MICROSOFT"
                )));
            }
        }
    }
    Ok(name.to_owned())
}
