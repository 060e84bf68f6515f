//! `/users` and `/users/list`.

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::input::Input;
use super::paging::{page_of, pagination};
use crate::envelope::{ApiError, Done, Outcome};
use crate::geo_data;
use crate::state::{iso, UserRec, World};
use cmr::types::{ProfileField, UserProfile};

/// Create-user fields that must be present, in the docs' order (the first missing is named).
const REQUIRED: [ProfileField; 12] = [
    ProfileField::Email,
    ProfileField::Company,
    ProfileField::FirstName,
    ProfileField::LastName,
    ProfileField::Country,
    ProfileField::City,
    ProfileField::AddressLineOne,
    ProfileField::LanguagePreference,
    ProfileField::PostalCode,
    ProfileField::State,
    ProfileField::PhoneCc,
    ProfileField::Phone,
];

const MAX_LEN: usize = 120;

pub(crate) fn user_json(user: &UserRec) -> Value {
    let mut map = match serde_json::to_value(&user.profile) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    map.insert("id".into(), json!(user.id));
    map.insert("createdAt".into(), json!(iso(user.created)));
    Value::Object(map)
}

pub(crate) fn list(world: &mut World, input: &Input) -> Outcome {
    let (page, limit) = input.paging(20, 100)?;
    let needle = input.param("search").map(|s| s.trim().to_lowercase());
    let matches: Vec<&UserRec> = world
        .users
        .iter()
        .filter(|u| needle.as_deref().is_none_or(|n| matches_search(u, n)))
        .collect();
    let users: Vec<Value> = page_of(&matches, page, limit)
        .iter()
        .map(|u| user_json(u))
        .collect();
    Ok(Done::ok(
        "Users fetched successfully",
        json!({ "users": users, "pagination": pagination(matches.len(), page, limit) }),
    ))
}

fn matches_search(user: &UserRec, needle: &str) -> bool {
    let p = &user.profile;
    [
        p.email.as_str(),
        p.first_name.as_str(),
        p.last_name.as_str(),
        p.company.as_str(),
        user.id.as_str(),
        &p.full_name(),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(needle))
}

pub(crate) fn get(world: &mut World, input: &Input) -> Outcome {
    let user = input.user(world)?;
    Ok(Done::ok("User fetched successfully", user_json(user)))
}

pub(crate) fn create(world: &mut World, input: &Input) -> Outcome {
    let body = input.body_object()?;
    let mut fields = Map::new();
    for field in REQUIRED {
        let key = field.wire_name();
        match body.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            Some(Value::String(_)) | Some(Value::Null) | None => {
                return Err(ApiError::unprocessable(format!("{key} is required")))
            }
            Some(_) => return Err(ApiError::unprocessable(format!("{key} must be a string"))),
        }
    }
    for field in ProfileField::ALL {
        let key = field.wire_name();
        let value = match body.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => s,
            Some(_) => return Err(ApiError::unprocessable(format!("{key} must be a string"))),
        };
        fields.insert(key.to_owned(), json!(validated(field, value)?));
    }
    let profile: UserProfile = serde_json::from_value(Value::Object(fields))
        .map_err(|_| ApiError::unprocessable("Parameter Error"))?;
    if email_taken(world, &profile.email, None) {
        return Err(ApiError::conflict("Email already exists"));
    }
    let id = world.ids.cmr_id();
    world.users.push(UserRec {
        id: id.clone(),
        profile,
        created: OffsetDateTime::now_utc(),
    });
    let action = world.ids.action_id();
    Ok(Done::ok("User created", json!({ "id": id })).with_action(action))
}

pub(crate) fn update(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    let body = input.body_object()?;
    let mut changes = Vec::new();
    for field in ProfileField::ALL {
        let key = field.wire_name();
        let value = match body.get(key) {
            None => continue,
            Some(Value::String(s)) => s.as_str(),
            Some(Value::Null) => "",
            Some(_) => return Err(ApiError::unprocessable(format!("{key} must be a string"))),
        };
        if value.trim().is_empty() && REQUIRED.contains(&field) {
            return Err(ApiError::unprocessable(format!("{key} is required")));
        }
        changes.push((field, validated(field, value)?));
    }
    if changes.is_empty() {
        return Err(ApiError::bad_request("No fields to update"));
    }
    if let Some((_, email)) = changes.iter().find(|(f, _)| *f == ProfileField::Email) {
        if email_taken(world, email, Some(&user_id)) {
            return Err(ApiError::conflict("Email already exists"));
        }
    }
    let user = world
        .users
        .iter_mut()
        .find(|u| u.id == user_id)
        .ok_or_else(|| ApiError::not_found("The requested user does not exist."))?;
    for (field, value) in changes {
        user.profile.set(field, value);
    }
    Ok(Done::ok("User credentials updated", Value::Null))
}

pub(crate) fn delete(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    let domain_count = world
        .domains
        .iter()
        .filter(|d| d.user_id == user_id)
        .count();
    let mailbox_count = world
        .mailboxes
        .iter()
        .filter(|m| m.user_id == user_id)
        .count();
    if domain_count > 0 || mailbox_count > 0 {
        return Err(ApiError::conflict(
            "User cannot be deleted while it still has domains or mailboxes",
        )
        .with_data(json!({ "domainCount": domain_count, "mailboxCount": mailbox_count })));
    }
    world.users.retain(|u| u.id != user_id);
    world.subscriptions.retain(|s| s.user_id != user_id);
    world.orders.retain(|o| o.user_id != user_id);
    Ok(Done::ok("User deleted successfully", Value::Null))
}

fn email_taken(world: &World, email: &str, except: Option<&str>) -> bool {
    world
        .users
        .iter()
        .any(|u| u.profile.email.eq_ignore_ascii_case(email) && Some(u.id.as_str()) != except)
}

/// CMR's field rules (reference §1.6), returning the value as stored.
fn validated(field: ProfileField, raw: &str) -> Result<String, ApiError> {
    let key = field.wire_name();
    let value = raw.trim();
    let invalid = |why: &str| Err(ApiError::unprocessable(format!("{key} {why}")));
    if value.chars().count() > MAX_LEN {
        return invalid("is too long");
    }
    match field {
        ProfileField::Email => {
            let ok = value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !value.contains(char::is_whitespace)
                    && value.matches('@').count() == 1
            });
            if !ok {
                return invalid("is not a valid email address");
            }
            Ok(value.to_owned())
        }
        ProfileField::Country => {
            let code = value.to_ascii_uppercase();
            if code.len() != 2 || !geo_data::is_country_code(&code) {
                return invalid("must be an ISO 3166-1 alpha-2 country code");
            }
            Ok(code)
        }
        ProfileField::PhoneCc => {
            if value.is_empty() || value.len() > 4 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return invalid("must contain 1 to 4 digits only");
            }
            Ok(value.to_owned())
        }
        ProfileField::Phone => {
            if !(4..=15).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_digit()) {
                return invalid("must contain 4 to 15 digits only");
            }
            Ok(value.to_owned())
        }
        ProfileField::LanguagePreference => {
            let ok = (2..=8).contains(&value.len())
                && value.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-');
            if !ok {
                return invalid("must be a language code such as en");
            }
            Ok(value.to_owned())
        }
        _ => {
            let decoded = decode_entities(value);
            let allowed = |c: char| c.is_alphanumeric() || c == ' ' || ".,'#&()/-".contains(c);
            if !decoded.chars().all(allowed) {
                return invalid("contains invalid characters");
            }
            Ok(decoded)
        }
    }
}

/// CMR decodes HTML entities such as `&#39;` before validating; so does the sandbox.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let decoded = tail.find(';').filter(|end| *end <= 8).and_then(|end| {
            let entity = &tail[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "apos" => Some('\''),
                "quot" => Some('"'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                _ => entity
                    .strip_prefix('#')
                    .and_then(|n| n.parse::<u32>().ok())
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_entities_are_decoded_before_validation() {
        assert_eq!(decode_entities("O&#39;Brien &amp; Sons"), "O'Brien & Sons");
        assert_eq!(decode_entities("Fish & Chips"), "Fish & Chips");
        assert_eq!(
            validated(ProfileField::LastName, "O&#39;Brien")
                .ok()
                .as_deref(),
            Some("O'Brien")
        );
    }

    #[test]
    fn field_rules_follow_the_reference() {
        assert!(validated(ProfileField::Country, "USA").is_err());
        assert_eq!(
            validated(ProfileField::Country, "us").ok().as_deref(),
            Some("US")
        );
        assert!(validated(ProfileField::PhoneCc, "+1").is_err());
        assert!(validated(ProfileField::Company, "Acme <script>").is_err());
        assert!(validated(
            ProfileField::Company,
            "Maple & Pine (Intl.) #2, Ltd/Co - 'x'"
        )
        .is_ok());
        assert!(validated(ProfileField::Email, "not-an-email").is_err());
        assert!(validated(ProfileField::City, "Montréal").is_ok());
    }
}
