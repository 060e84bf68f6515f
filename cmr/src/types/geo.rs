//! `GET /geo/countries` and `GET /geo/states?countryCode=` (reference §4.2).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// One country or state: display name and code (ISO alpha-2 for countries).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GeoEntry {
    pub name: String,
    pub code: String,
}

/// A list of (name, code), sorted by name.
///
/// CMR sends an object map `name → code`; this type also reads its own serialised form (an
/// array of `{name, code}`), so it can cross the server → browser boundary unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct GeoList(pub Vec<GeoEntry>);

/// Countries: name → ISO 3166-1 alpha-2.
pub type Countries = GeoList;
/// States or provinces of one country: name → code.
pub type States = GeoList;

impl GeoList {
    pub fn entries(&self) -> &[GeoEntry] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Code for a name (case-insensitive).
    pub fn code_of(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .map(|e| e.code.as_str())
    }

    /// Name for a code (case-insensitive).
    pub fn name_of(&self, code: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.code.eq_ignore_ascii_case(code))
            .map(|e| e.name.as_str())
    }
}

impl<'de> Deserialize<'de> for GeoList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GeoList, D::Error> {
        let mut entries = match Value::deserialize(d)? {
            Value::Object(map) => map
                .into_iter()
                .map(|(name, code)| {
                    let code = match code {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    GeoEntry { name, code }
                })
                .collect(),
            Value::Array(items) => items
                .into_iter()
                .map(serde_json::from_value::<GeoEntry>)
                .collect::<Result<Vec<_>, _>>()
                .map_err(D::Error::custom)?,
            Value::Null => Vec::new(),
            _ => return Err(D::Error::custom("expected a name → code map")),
        };
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(GeoList(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_to_code_map_decodes_sorted_by_name() {
        let list: GeoList =
            serde_json::from_str(r#"{"United States":"US","Germany":"DE","Canada":"CA"}"#).unwrap();
        let names: Vec<&str> = list.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Canada", "Germany", "United States"]);
        assert_eq!(list.code_of("germany"), Some("DE"));
        assert_eq!(list.name_of("us"), Some("United States"));
    }

    #[test]
    fn a_geo_list_round_trips_through_its_own_form() {
        let list: GeoList = serde_json::from_str(r#"{"New York":"NY"}"#).unwrap();
        let back: GeoList = serde_json::from_str(&serde_json::to_string(&list).unwrap()).unwrap();
        assert_eq!(back, list);
    }

    #[test]
    fn an_empty_or_null_map_is_an_empty_list() {
        assert!(serde_json::from_str::<GeoList>("{}").unwrap().is_empty());
        assert!(serde_json::from_str::<GeoList>("null").unwrap().is_empty());
    }
}
