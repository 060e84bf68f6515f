//! Forgiving field decoders.
//!
//! CMR mixes numbers and strings for the same kind of value and sends `null` where a field is
//! merely empty, so a strict decoder would reject real answers over cosmetic differences.
//! Use these with `#[serde(default, deserialize_with = "…")]`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string that may arrive as a string, number, boolean or `null` (→ empty).
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    })
}

/// An optional string: `null` → `None`; numbers are kept as their decimal text.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    })
}

/// A boolean that may arrive as `true`, `"true"`, `1` or `null` (→ false).
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_f64().is_some_and(|v| v != 0.0),
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
        _ => false,
    })
}

/// An optional non-negative integer given as a number or numeric string; anything else → `None`.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(number_of(&Value::deserialize(d)?))
}

/// A non-negative integer given as a number or numeric string; missing or unreadable → 0.
pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(number_of(&Value::deserialize(d)?).unwrap_or(0))
}

/// Like [`u64`], narrowed to `u32` (saturating).
pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = number_of(&Value::deserialize(d)?).unwrap_or(0);
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Like [`opt_u64`], narrowed to `u32` (saturating).
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(number_of(&Value::deserialize(d)?).map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
}

/// A list of display strings: plain strings, or objects naming a domain/name (CMR's
/// `unavailableDomains` is undocumented beyond "a list").
pub fn names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let items = match Value::deserialize(d)? {
        Value::Array(items) => items,
        Value::Null => return Ok(Vec::new()),
        single => vec![single],
    };
    Ok(items
        .into_iter()
        .filter_map(|item| match item {
            Value::String(s) => Some(s),
            Value::Object(map) => ["domain", "domainName", "name"]
                .iter()
                .find_map(|key| map.get(*key).and_then(Value::as_str))
                .map(str::to_owned),
            Value::Null => None,
            other => Some(other.to_string()),
        })
        .collect())
}

fn number_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "super::string")]
        text: String,
        #[serde(default, deserialize_with = "super::u64")]
        count: u64,
        #[serde(default, deserialize_with = "super::boolean")]
        flag: bool,
        #[serde(default, deserialize_with = "super::names")]
        names: Vec<String>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).expect("probe decodes")
    }

    #[test]
    fn null_and_missing_strings_become_empty() {
        assert_eq!(probe(r#"{"text":null}"#).text, "");
        assert_eq!(probe("{}").text, "");
    }

    #[test]
    fn a_phone_number_sent_as_a_number_is_kept_as_text() {
        assert_eq!(probe(r#"{"text":2125551234}"#).text, "2125551234");
    }

    #[test]
    fn counts_accept_numeric_strings() {
        assert_eq!(probe(r#"{"count":"42"}"#).count, 42);
        assert_eq!(probe(r#"{"count":7}"#).count, 7);
        assert_eq!(probe(r#"{"count":"n/a"}"#).count, 0);
    }

    #[test]
    fn booleans_accept_strings_and_numbers() {
        assert!(probe(r#"{"flag":"true"}"#).flag);
        assert!(probe(r#"{"flag":1}"#).flag);
        assert!(!probe(r#"{"flag":null}"#).flag);
    }

    #[test]
    fn names_accept_strings_or_objects() {
        let p = probe(r#"{"names":["a.com",{"domain":"b.net"},{"domainName":"c.org"},null]}"#);
        assert_eq!(p.names, ["a.com", "b.net", "c.org"]);
    }
}
