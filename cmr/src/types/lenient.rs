//! Forgiving field decoders.
//!
//! CMR mixes numbers and strings for the same kind of value, sends `null` where a field is
//! merely empty, and (inferred shapes) may spell one field two ways in the same object, so a
//! strict decoder would reject real answers over cosmetic differences. Use the functions with
//! `#[serde(default, deserialize_with = "…")]`, and `other_spellings!` for a type whose
//! fields have alternative names.

use serde::de::DeserializeOwned;
// The lenient bodies' `D::Error::custom`; the browser's plain decoders need no such error.
#[cfg(not(target_arch = "wasm32"))]
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::Money;

/// A field's canonical wire name and the other names CMR may use for it, most likely first.
pub type Spellings = (&'static str, &'static [&'static str]);

/// Folds every other spelling of a field into its canonical key.
///
/// The canonical key wins; when it is missing, `null` or an empty string, the first
/// alternative with a value takes its place. The other spellings are dropped, so they never
/// reach a derived decoder (which rejects two names of one field as a duplicate) nor `extra`.
pub fn canonical_keys(map: &mut Map<String, Value>, spellings: &[Spellings]) {
    for (canonical, others) in spellings {
        let mut chosen = map.remove(*canonical);
        for other in *others {
            if let Some(value) = map.remove(*other) {
                let replace = match &chosen {
                    None => true,
                    Some(current) => is_blank(current) && !is_blank(&value),
                };
                if replace {
                    chosen = Some(value);
                }
            }
        }
        if let Some(value) = chosen {
            map.insert((*canonical).to_owned(), value);
        }
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Gives a type whose derives carry `#[serde(remote = "Self")]` the `Serialize` and
/// `Deserialize` impls, the latter tolerating both spellings of a field:
///
/// ```ignore
/// #[derive(Serialize, Deserialize)]
/// #[serde(remote = "Self", rename_all = "camelCase")]
/// pub struct Mailbox { pub mailbox_id: String, … }
/// other_spellings!(Mailbox { "mailboxId" <= ["id"] });
/// ```
///
/// `remote = "Self"` turns the derives into inherent functions (strict, canonical names only);
/// the generated `Deserialize` reads a map, applies [`canonical_keys`], then calls the derived
/// one. Serialising is unchanged. Don't also put `#[serde(alias)]` on the fields: the table
/// here is the one list of spellings.
macro_rules! other_spellings {
    ($ty:ident { $($canonical:literal <= [$($other:literal),+ $(,)?]),+ $(,)? }) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                const SPELLINGS: &[$crate::types::lenient::Spellings] =
                    &[$(($canonical, &[$($other),+])),+];
                let mut map =
                    <::serde_json::Map<String, ::serde_json::Value> as ::serde::Deserialize>::deserialize(d)?;
                $crate::types::lenient::canonical_keys(&mut map, SPELLINGS);
                // The inherent, derived decoder (`remote = "Self"`), not this trait method.
                $ty::deserialize(::serde_json::Value::Object(map))
                    .map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $ty::serialize(self, s)
            }
        }
    };
}
pub(crate) use other_spellings;

/// [`list`] for a value already in hand.
pub fn list_from<T: DeserializeOwned>(value: Value) -> Result<Vec<T>, serde_json::Error> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) if s.trim().is_empty() => return Ok(Vec::new()),
        Value::Array(items) => items,
        single => vec![single],
    };
    items
        .into_iter()
        .filter(|item| !item.is_null())
        .map(serde_json::from_value)
        .collect()
}

/// Declares each reader twice: the lenient body for the server, which reads CMR's answers, and
/// the type's plain derived decoder for the browser, which only ever reads what this app's
/// server wrote (canonical JSON). The lenient bodies decode a whole JSON value per field, code
/// the browser never needs in any page's wasm.
macro_rules! readers {
    ($($(#[$doc:meta])* fn $name:ident $(<$t:ident: DeserializeOwned>)? ($d:ident) -> $ty:ty $body:block)*) => {$(
        $(#[$doc])*
        #[cfg(not(target_arch = "wasm32"))]
        pub fn $name<'de, D: Deserializer<'de> $(, $t: DeserializeOwned)?>($d: D) -> Result<$ty, D::Error> $body

        $(#[$doc])*
        #[cfg(target_arch = "wasm32")]
        pub fn $name<'de, D: Deserializer<'de> $(, $t: DeserializeOwned)?>($d: D) -> Result<$ty, D::Error> {
            <$ty as Deserialize>::deserialize($d)
        }
    )*};
}

readers! {
    /// A list that may arrive as `null` or `""` (→ empty), or as a single item (→ one item);
    /// `null` items are skipped.
    fn list<T: DeserializeOwned>(d) -> Vec<T> {
        list_from(Value::deserialize(d)?).map_err(D::Error::custom)
    }

    /// An amount as `"12.50"`, `"12.5"`, `12.5` or `12`; `null` or `""` → zero.
    ///
    /// Text that is not an amount is still an error: reading `"N/A"` as 0.00 would misstate a price.
    fn money(d) -> Money {
        Ok(opt_money(d)?.unwrap_or(Money::ZERO))
    }

    /// Like [`money`], but `null` or `""` → `None` (CMR did not say).
    fn opt_money(d) -> Option<Money> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            value => Money::deserialize(value)
                .map(Some)
                .map_err(D::Error::custom),
        }
    }

    /// A string that may arrive as a string, number, boolean or `null` (→ empty).
    fn string(d) -> String {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => s,
            Value::Null => String::new(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => other.to_string(),
        })
    }

    /// An optional string: `null` → `None`; numbers are kept as their decimal text.
    fn opt_string(d) -> Option<String> {
        Ok(match Value::deserialize(d)? {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        })
    }

    /// A boolean that may arrive as `true`, `"true"`, `1` or `null` (→ false).
    fn boolean(d) -> bool {
        Ok(match Value::deserialize(d)? {
            Value::Bool(b) => b,
            Value::Number(n) => n.as_f64().is_some_and(|v| v != 0.0),
            Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
            _ => false,
        })
    }

    /// An optional boolean: `true`/`false`, their text or `1`/`0`; `null`, missing or anything
    /// else → `None` (not stated, which a caller must not read as `false`).
    fn opt_boolean(d) -> Option<bool> {
        Ok(match Value::deserialize(d)? {
            Value::Bool(b) => Some(b),
            Value::Number(n) => n.as_f64().map(|v| v != 0.0),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        })
    }

    /// An optional non-negative integer given as a number or numeric string; anything else → `None`.
    fn opt_u64(d) -> Option<u64> {
        Ok(number_of(&Value::deserialize(d)?))
    }

    /// A non-negative integer given as a number or numeric string; missing or unreadable → 0.
    fn u64(d) -> u64 {
        Ok(number_of(&Value::deserialize(d)?).unwrap_or(0))
    }

    /// Like [`u64()`], narrowed to `u32` (saturating).
    fn u32(d) -> u32 {
        let n = number_of(&Value::deserialize(d)?).unwrap_or(0);
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Like [`opt_u64`], narrowed to `u32` (saturating).
    fn opt_u32(d) -> Option<u32> {
        Ok(number_of(&Value::deserialize(d)?).map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// A list of display strings: plain strings, or objects naming a domain/name (CMR's
    /// `unavailableDomains` is undocumented beyond "a list").
    fn names(d) -> Vec<String> {
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
}

#[cfg(not(target_arch = "wasm32"))]
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
    use serde_json::{json, Map, Value};

    use crate::types::Money;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "super::string")]
        text: String,
        #[serde(default, deserialize_with = "super::u64")]
        count: u64,
        #[serde(default, deserialize_with = "super::boolean")]
        flag: bool,
        #[serde(default, deserialize_with = "super::opt_boolean")]
        opt_flag: Option<bool>,
        #[serde(default, deserialize_with = "super::names")]
        names: Vec<String>,
        #[serde(default, deserialize_with = "super::list")]
        list: Vec<u32>,
        #[serde(default, deserialize_with = "super::money")]
        money: Money,
        #[serde(default, deserialize_with = "super::opt_money")]
        opt_money: Option<Money>,
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
    fn an_optional_boolean_is_none_unless_stated() {
        assert_eq!(probe(r#"{"opt_flag":true}"#).opt_flag, Some(true));
        assert_eq!(probe(r#"{"opt_flag":"false"}"#).opt_flag, Some(false));
        assert_eq!(probe(r#"{"opt_flag":0}"#).opt_flag, Some(false));
        assert_eq!(probe(r#"{"opt_flag":null}"#).opt_flag, None);
        assert_eq!(probe(r#"{"opt_flag":"maybe"}"#).opt_flag, None);
        assert_eq!(probe("{}").opt_flag, None);
    }

    #[test]
    fn names_accept_strings_or_objects() {
        let p = probe(r#"{"names":["a.com",{"domain":"b.net"},{"domainName":"c.org"},null]}"#);
        assert_eq!(p.names, ["a.com", "b.net", "c.org"]);
    }

    #[test]
    fn a_list_may_be_null_a_single_item_or_hold_nulls() {
        assert!(probe(r#"{"list":null}"#).list.is_empty());
        assert!(probe(r#"{"list":""}"#).list.is_empty());
        assert_eq!(probe(r#"{"list":7}"#).list, [7]);
        assert_eq!(probe(r#"{"list":[1,null,2]}"#).list, [1, 2]);
        assert!(serde_json::from_str::<Probe>(r#"{"list":["x"]}"#).is_err());
    }

    #[test]
    fn money_reads_every_spelling_and_null() {
        for text in [r#""12.50""#, r#""12.5""#, "12.5"] {
            let p = probe(&format!(r#"{{"money":{text},"opt_money":{text}}}"#));
            assert_eq!(p.money, Money::from_cents(1250), "{text}");
            assert_eq!(p.opt_money, Some(Money::from_cents(1250)), "{text}");
        }
        assert_eq!(probe(r#"{"money":12}"#).money, Money::from_cents(1200));
        let p = probe(r#"{"money":null,"opt_money":null}"#);
        assert_eq!((p.money, p.opt_money), (Money::ZERO, None));
        let p = probe(r#"{"money":" ","opt_money":""}"#);
        assert_eq!((p.money, p.opt_money), (Money::ZERO, None));
        assert!(serde_json::from_str::<Probe>(r#"{"money":"N/A"}"#).is_err());
    }

    fn folded(value: Value) -> Map<String, Value> {
        let Value::Object(mut map) = value else {
            panic!("an object")
        };
        super::canonical_keys(&mut map, &[("mailboxId", &["id", "_id"])]);
        map
    }

    #[test]
    fn the_canonical_spelling_wins_unless_it_is_blank() {
        let map = folded(json!({"mailboxId": "A", "id": "B", "_id": "C", "other": 1}));
        assert_eq!(
            map,
            json!({"mailboxId": "A", "other": 1})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(
            folded(json!({"mailboxId": null, "id": "B"}))["mailboxId"],
            "B"
        );
        assert_eq!(
            folded(json!({"mailboxId": " ", "_id": "C"}))["mailboxId"],
            "C"
        );
        assert_eq!(folded(json!({"id": "", "_id": "C"}))["mailboxId"], "C");
        assert_eq!(folded(json!({"id": null}))["mailboxId"], Value::Null);
        assert!(folded(json!({"other": 1})).get("mailboxId").is_none());
    }
}
