//! `/dns`: records of a domain that must belong to `userId`.

use serde_json::{json, Value};

use super::domains::owned_domain;
use super::input::Input;
use crate::envelope::{ApiError, Done, Outcome};
use crate::state::{dns_event, DnsRec, World};
use cmr::types::RecordType;

/// DMARC tags CMR appends to `_dmarc` TXT records unless excluded (reference §4.4).
const DMARC_AUTO_TAGS: [&str; 9] = ["rua", "ruf", "fo", "rf", "ri", "pct", "sp", "aspf", "adkim"];

fn record_json(r: &DnsRec) -> Value {
    json!({
        "recordId": r.id,
        "host": r.host,
        "value": r.value,
        "recordType": r.record_type.as_str(),
        "priority": r.priority,
        "ttl": r.ttl,
    })
}

pub(crate) fn list(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    let index = owned_domain(world, &user_id, input.require_param("domain")?)?;
    let domain_id = &world.domains[index].id;
    let of_domain = |disabled: bool| -> Vec<Value> {
        world
            .dns
            .iter()
            .filter(|r| &r.domain_id == domain_id && r.disabled == disabled)
            .map(record_json)
            .collect()
    };
    Ok(Done::ok(
        "DNS records fetched successfully",
        json!({ "records": of_domain(false), "disabledRecords": of_domain(true) }),
    ))
}

pub(crate) fn add(world: &mut World, input: &Input) -> Outcome {
    let user = input.user(world)?;
    let (user_id, email) = (user.id.clone(), user.profile.email.clone());
    let index = owned_domain(world, &user_id, input.require_body_str("domain")?)?;
    let items = input
        .body()
        .get("records")
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
        .ok_or_else(|| ApiError::bad_request("records must be a non-empty array"))?;
    let domain_id = world.domains[index].id.clone();
    let mut new_records = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let text = |key: &str| -> Result<String, ApiError> {
            item.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| ApiError::bad_request(format!("records[{n}].{key} is required")))
        };
        let (host, mut value) = (text("host")?, text("value")?);
        let record_type = known_type(&text("recordType")?)?;
        let is_dmarc =
            record_type == RecordType::Txt && (host == "_dmarc" || host.starts_with("_dmarc."));
        let excluded = match item.get("excludedDMARCtags") {
            None | Some(Value::Null) => Vec::new(),
            Some(_) if !is_dmarc => {
                return Err(ApiError::bad_request(
                    "excludedDMARCtags is only allowed on _dmarc TXT records",
                ))
            }
            Some(Value::Array(tags)) => tags
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect(),
            Some(_) => {
                return Err(ApiError::bad_request(
                    "excludedDMARCtags must be an array of strings",
                ))
            }
        };
        if is_dmarc {
            value = with_dmarc_tags(&value, &email, &excluded);
        }
        new_records.push(DnsRec {
            id: world.ids.cmr_id(),
            domain_id: domain_id.clone(),
            host,
            value,
            priority: priority_of(item, &record_type),
            record_type,
            ttl: 3600,
            disabled: false,
        });
    }
    let created: Vec<Value> = new_records.iter().map(record_json).collect();
    world.dns.extend(new_records);
    for record in &created {
        let event = dns_event(&world.domains[index], "add", record.clone());
        world.outbox.push(("dns-record.updated", event));
    }
    let action = world.ids.action_id();
    Ok(Done::ok(
        "DNS records added successfully",
        json!({ "records": created }),
    )
    .with_action(action))
}

pub(crate) fn update(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    let index = owned_domain(world, &user_id, input.require_body_str("domain")?)?;
    let domain_id = world.domains[index].id.clone();
    let record_id = input.require_body_str("recordId")?;
    let host = input.require_body_str("host")?.trim().to_owned();
    let value = input.require_body_str("value")?.trim().to_owned();
    let record_type = known_type(input.require_body_str("recordType")?)?;
    let priority = priority_of(input.body(), &record_type);
    let record = world
        .dns
        .iter_mut()
        .find(|r| r.id == record_id && r.domain_id == domain_id)
        .ok_or_else(|| ApiError::not_found("DNS record not found"))?;
    record.host = host;
    record.value = value;
    record.record_type = record_type;
    record.priority = priority;
    let updated = record_json(record);
    let event = dns_event(&world.domains[index], "update", updated.clone());
    world.outbox.push(("dns-record.updated", event));
    let action = world.ids.action_id();
    Ok(Done::ok("DNS record updated successfully", updated).with_action(action))
}

pub(crate) fn delete(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    // The docs title is plural: accept a comma-separated list too.
    let ids: Vec<String> = input
        .require_param("recordId")?
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let owned_domain_ids: Vec<&str> = world
        .domains
        .iter()
        .filter(|d| d.user_id == user_id)
        .map(|d| d.id.as_str())
        .collect();
    let all_found = ids.iter().all(|id| {
        world
            .dns
            .iter()
            .any(|r| &r.id == id && owned_domain_ids.contains(&r.domain_id.as_str()))
    });
    if !all_found {
        return Err(ApiError::not_found("DNS record not found"));
    }
    let removed: Vec<(String, Value)> = world
        .dns
        .iter()
        .filter(|r| ids.contains(&r.id))
        .map(|r| (r.domain_id.clone(), record_json(r)))
        .collect();
    world.dns.retain(|r| !ids.contains(&r.id));
    for (domain_id, record) in removed {
        if let Some(domain) = world.domains.iter().find(|d| d.id == domain_id) {
            let event = dns_event(domain, "delete", record);
            world.outbox.push(("dns-record.updated", event));
        }
    }
    let action = world.ids.action_id();
    Ok(Done::ok("DNS record deleted successfully", Value::Null).with_action(action))
}

fn known_type(raw: &str) -> Result<RecordType, ApiError> {
    let record_type = RecordType::parse(raw);
    if record_type.is_known() {
        Ok(record_type)
    } else {
        Err(ApiError::unprocessable(format!(
            "recordType {raw} is not supported"
        )))
    }
}

/// MX priority as a string; `""` for every other type (as CMR lists them).
fn priority_of(item: &Value, record_type: &RecordType) -> String {
    if *record_type != RecordType::Mx {
        return String::new();
    }
    match item.get("priority") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => "10".to_owned(),
    }
}

fn with_dmarc_tags(value: &str, email: &str, excluded: &[String]) -> String {
    let present: Vec<String> = value
        .split(';')
        .filter_map(|part| part.split_once('='))
        .map(|(tag, _)| tag.trim().to_ascii_lowercase())
        .collect();
    let mut out = value.trim().trim_end_matches(';').to_owned();
    for tag in DMARC_AUTO_TAGS {
        if present.iter().any(|p| p == tag) || excluded.iter().any(|e| e == tag) {
            continue;
        }
        let tag_value = match tag {
            "rua" | "ruf" => format!("mailto:{email}"),
            "fo" => "0".to_owned(),
            "rf" => "afrf".to_owned(),
            "ri" => "604800".to_owned(),
            "pct" => "100".to_owned(),
            "sp" => "reject".to_owned(),
            _ => "r".to_owned(),
        };
        out.push_str(&format!("; {tag}={tag_value}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmarc_auto_tags_are_added_unless_present_or_excluded() {
        let v = with_dmarc_tags("v=DMARC1; p=none; pct=50", "a@b.c", &["ruf".into()]);
        assert!(v.contains("rua=mailto:a@b.c"));
        assert!(!v.contains("ruf="));
        assert!(v.contains("pct=50") && !v.contains("pct=100"));
        assert!(v.ends_with("adkim=r"));
    }
}
