//! Customers ("users" in CMR's words): reference §4.1.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::lenient::{self, other_spellings};

/// The 14 profile fields of `PUT /users?userId=`, spelled as CMR spells them.
///
/// Serialised whole: the docs call every field optional, the guide says a partial body can
/// fail validation, and other vendors erase omitted fields, so the client sends the merged
/// profile — except fields CMR did not show ([`User::unknown_fields`]), which
/// `CmrClient::update_user` leaves out rather than overwrite with `""`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    #[serde(default, deserialize_with = "lenient::string")]
    pub first_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub last_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub company: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: String,
    /// Calling code, digits only, no `+` (e.g. `"1"`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub phone_cc: String,
    /// Number without the calling code.
    #[serde(default, deserialize_with = "lenient::string")]
    pub phone: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub address_line_one: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub address_line_two: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub address_line_three: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub city: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub state: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    #[serde(default, deserialize_with = "lenient::string")]
    pub country: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub language_preference: String,
}

/// One of the 14 profile fields: the one list the client, the sandbox, the dashboard's form,
/// validation and merge all walk, so a field is never named by a free-form string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProfileField {
    FirstName,
    LastName,
    Company,
    Email,
    /// Calling code, digits only, no `+`.
    PhoneCc,
    Phone,
    AddressLineOne,
    AddressLineTwo,
    AddressLineThree,
    City,
    State,
    PostalCode,
    /// ISO 3166-1 alpha-2.
    Country,
    LanguagePreference,
}

impl ProfileField {
    /// Every field, in the reference's (and the form's) order.
    pub const ALL: [ProfileField; 14] = [
        ProfileField::FirstName,
        ProfileField::LastName,
        ProfileField::Company,
        ProfileField::Email,
        ProfileField::PhoneCc,
        ProfileField::Phone,
        ProfileField::AddressLineOne,
        ProfileField::AddressLineTwo,
        ProfileField::AddressLineThree,
        ProfileField::City,
        ProfileField::State,
        ProfileField::PostalCode,
        ProfileField::Country,
        ProfileField::LanguagePreference,
    ];

    /// The name CMR uses on the wire (`firstName`, …).
    pub fn wire_name(self) -> &'static str {
        match self {
            ProfileField::FirstName => "firstName",
            ProfileField::LastName => "lastName",
            ProfileField::Company => "company",
            ProfileField::Email => "email",
            ProfileField::PhoneCc => "phoneCc",
            ProfileField::Phone => "phone",
            ProfileField::AddressLineOne => "addressLineOne",
            ProfileField::AddressLineTwo => "addressLineTwo",
            ProfileField::AddressLineThree => "addressLineThree",
            ProfileField::City => "city",
            ProfileField::State => "state",
            ProfileField::PostalCode => "postalCode",
            ProfileField::Country => "country",
            ProfileField::LanguagePreference => "languagePreference",
        }
    }

    /// The field with this wire name, if it is one of the 14.
    pub fn from_wire_name(name: &str) -> Option<ProfileField> {
        ProfileField::ALL
            .into_iter()
            .find(|f| f.wire_name() == name)
    }

    /// Whether `POST /users` accepts the field missing (address lines two and three).
    pub fn optional_on_create(self) -> bool {
        matches!(
            self,
            ProfileField::AddressLineTwo | ProfileField::AddressLineThree
        )
    }
}

impl std::fmt::Display for ProfileField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.wire_name())
    }
}

impl UserProfile {
    pub fn get(&self, field: ProfileField) -> &str {
        match field {
            ProfileField::FirstName => &self.first_name,
            ProfileField::LastName => &self.last_name,
            ProfileField::Company => &self.company,
            ProfileField::Email => &self.email,
            ProfileField::PhoneCc => &self.phone_cc,
            ProfileField::Phone => &self.phone,
            ProfileField::AddressLineOne => &self.address_line_one,
            ProfileField::AddressLineTwo => &self.address_line_two,
            ProfileField::AddressLineThree => &self.address_line_three,
            ProfileField::City => &self.city,
            ProfileField::State => &self.state,
            ProfileField::PostalCode => &self.postal_code,
            ProfileField::Country => &self.country,
            ProfileField::LanguagePreference => &self.language_preference,
        }
    }

    pub fn get_mut(&mut self, field: ProfileField) -> &mut String {
        match field {
            ProfileField::FirstName => &mut self.first_name,
            ProfileField::LastName => &mut self.last_name,
            ProfileField::Company => &mut self.company,
            ProfileField::Email => &mut self.email,
            ProfileField::PhoneCc => &mut self.phone_cc,
            ProfileField::Phone => &mut self.phone,
            ProfileField::AddressLineOne => &mut self.address_line_one,
            ProfileField::AddressLineTwo => &mut self.address_line_two,
            ProfileField::AddressLineThree => &mut self.address_line_three,
            ProfileField::City => &mut self.city,
            ProfileField::State => &mut self.state,
            ProfileField::PostalCode => &mut self.postal_code,
            ProfileField::Country => &mut self.country,
            ProfileField::LanguagePreference => &mut self.language_preference,
        }
    }

    pub fn set(&mut self, field: ProfileField, value: String) {
        *self.get_mut(field) = value;
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

/// A CMR customer: its id, the profile, and whatever else CMR sent (kept in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct User {
    /// Empty when CMR's answer had none under any of its names. `CmrClient::get_user` fills in
    /// the id it asked for; a list keeps such a customer with an empty id rather than dropping
    /// it or failing the page, so check before linking to it.
    pub id: String,
    #[serde(flatten)]
    pub profile: UserProfile,
    /// The profile fields (in [`ProfileField::ALL`] order) CMR left
    /// out, sent as `null`, or sent as an object or array. Their `profile` value is `""`, which
    /// is not what CMR holds: never write them back (see `CmrClient::update_user`). Decoding
    /// only; never serialised.
    #[serde(skip)]
    pub unknown_fields: Vec<ProfileField>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Keys CMR might use for a user's id, canonical first.
const USER_ID_SPELLINGS: lenient::Spellings = ("id", &["userId", "_id"]);

impl<'de> Deserialize<'de> for User {
    // Hand-written so that `id` *and* `userId` may both be present, so that profile fields
    // CMR did not really show are told apart from real empty strings, and so unknown keys
    // land in `extra` rather than being lost.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<User, D::Error> {
        let mut map = Map::<String, Value>::deserialize(d)?;
        lenient::canonical_keys(&mut map, &[USER_ID_SPELLINGS]);
        let id = match map.remove(USER_ID_SPELLINGS.0) {
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let mut profile_fields = Map::new();
        let mut unknown_fields = Vec::new();
        for field in ProfileField::ALL {
            match map.remove(field.wire_name()) {
                None | Some(Value::Null | Value::Object(_) | Value::Array(_)) => {
                    unknown_fields.push(field);
                }
                Some(value) => {
                    profile_fields.insert(field.wire_name().to_owned(), value);
                }
            }
        }
        let profile =
            UserProfile::deserialize(Value::Object(profile_fields)).map_err(D::Error::custom)?;
        Ok(User {
            id,
            profile,
            unknown_fields,
            extra: map,
        })
    }
}

/// The body of `POST /users`: every field required except address lines two and three.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    pub email: String,
    pub company: String,
    pub first_name: String,
    pub last_name: String,
    pub country: String,
    pub city: String,
    pub address_line_one: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line_two: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line_three: Option<String>,
    pub language_preference: String,
    pub postal_code: String,
    pub state: String,
    pub phone_cc: String,
    pub phone: String,
}

impl From<UserProfile> for NewUser {
    /// Empty optional address lines are left out of the body rather than sent as `""`.
    fn from(p: UserProfile) -> NewUser {
        let optional = |s: String| (!s.trim().is_empty()).then_some(s);
        NewUser {
            email: p.email,
            company: p.company,
            first_name: p.first_name,
            last_name: p.last_name,
            country: p.country,
            city: p.city,
            address_line_one: p.address_line_one,
            address_line_two: optional(p.address_line_two),
            address_line_three: optional(p.address_line_three),
            language_preference: p.language_preference,
            postal_code: p.postal_code,
            state: p.state,
            phone_cc: p.phone_cc,
            phone: p.phone,
        }
    }
}

impl From<NewUser> for UserProfile {
    fn from(u: NewUser) -> UserProfile {
        UserProfile {
            first_name: u.first_name,
            last_name: u.last_name,
            company: u.company,
            email: u.email,
            phone_cc: u.phone_cc,
            phone: u.phone,
            address_line_one: u.address_line_one,
            address_line_two: u.address_line_two.unwrap_or_default(),
            address_line_three: u.address_line_three.unwrap_or_default(),
            city: u.city,
            state: u.state,
            postal_code: u.postal_code,
            country: u.country,
            language_preference: u.language_preference,
        }
    }
}

/// `data` of a successful `POST /users`: the CMR user id to persist (required: an answer
/// without it is an error, not an empty id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct CreatedUser {
    pub id: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(CreatedUser { "id" <= ["userId"] });

/// Query of `GET /users/list`. Parameter names are inferred (cmr-api.md §4.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserListQuery {
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub search: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_accepts_user_id_as_its_id_key() {
        let u: User =
            serde_json::from_str(r#"{"userId":"PWM7Y25RYZ450YNM8K8FX9GK5AHX","firstName":"Ada"}"#)
                .unwrap();
        assert_eq!(u.id, "PWM7Y25RYZ450YNM8K8FX9GK5AHX");
        assert_eq!(u.profile.first_name, "Ada");
        assert_eq!(u.profile.address_line_two, "");
    }

    #[test]
    fn a_user_with_both_id_keys_decodes() {
        let u: User = serde_json::from_str(r#"{"id":"A","userId":"A"}"#).unwrap();
        assert_eq!(u.id, "A");
    }

    #[test]
    fn unknown_user_fields_are_kept_and_nulls_are_empty() {
        let u: User = serde_json::from_str(
            r#"{"id":"A","addressLineTwo":null,"phone":2125551234,"createdAt":"2026-01-01"}"#,
        )
        .unwrap();
        assert_eq!(u.profile.address_line_two, "");
        assert_eq!(u.profile.phone, "2125551234");
        assert_eq!(u.extra["createdAt"], "2026-01-01");
    }

    #[test]
    fn a_user_without_an_id_is_accepted_with_an_empty_id() {
        let u: User = serde_json::from_str(r#"{"firstName":"Ada"}"#).unwrap();
        assert_eq!(u.id, "");
        assert_eq!(u.profile.first_name, "Ada");
    }

    #[test]
    fn an_empty_id_gives_way_to_user_id() {
        let u: User = serde_json::from_str(r#"{"id":"","userId":"B"}"#).unwrap();
        assert_eq!(u.id, "B");
        assert!(u.extra.is_empty());
    }

    #[test]
    fn missing_null_and_structured_profile_fields_are_unknown() {
        let u: User = serde_json::from_str(
            r#"{"id":"A","firstName":"Ada","lastName":"","company":null,"email":{"x":1},
                "phoneCc":1,"phone":[],"addressLineOne":"1 Main St","addressLineTwo":"",
                "addressLineThree":"","city":"Paris","state":"","postalCode":"75001",
                "country":"FR"}"#,
        )
        .unwrap();
        assert_eq!(
            u.unknown_fields,
            [
                ProfileField::Company,
                ProfileField::Email,
                ProfileField::Phone,
                ProfileField::LanguagePreference
            ]
        );
        assert_eq!(u.profile.email, "");
        assert_eq!(u.profile.phone_cc, "1");
        assert_eq!(u.profile.last_name, "", "a real empty string is known");
    }

    #[test]
    fn unknown_fields_are_never_serialised() {
        let u = User {
            id: "A".into(),
            unknown_fields: vec![ProfileField::Email],
            ..User::default()
        };
        let json = serde_json::to_value(&u).unwrap();
        assert!(json.get("unknownFields").is_none() && json.get("unknown_fields").is_none());
    }

    #[test]
    fn a_profile_always_serialises_all_fourteen_fields() {
        let json = serde_json::to_value(UserProfile::default()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected: Vec<&str> = ProfileField::ALL.map(ProfileField::wire_name).to_vec();
        expected.sort_unstable();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(keys_sorted, expected);
    }

    #[test]
    fn a_field_serialises_as_its_wire_name_and_every_field_has_its_own_slot() {
        let mut p = UserProfile::default();
        for (i, field) in ProfileField::ALL.into_iter().enumerate() {
            assert_eq!(serde_json::to_value(field).unwrap(), field.wire_name());
            assert_eq!(ProfileField::from_wire_name(field.wire_name()), Some(field));
            p.set(field, i.to_string());
        }
        let json = serde_json::to_value(&p).unwrap();
        for (i, field) in ProfileField::ALL.into_iter().enumerate() {
            assert_eq!(json[field.wire_name()], i.to_string(), "{field}");
        }
        assert_eq!(ProfileField::from_wire_name("nickname"), None);
    }

    #[test]
    fn a_user_serialises_flat_with_its_id() {
        let u = User {
            id: "A".into(),
            ..User::default()
        };
        let json = serde_json::to_value(&u).unwrap();
        assert_eq!(json["id"], "A");
        assert_eq!(json["firstName"], "");
        let back: User = serde_json::from_value(json).unwrap();
        assert_eq!(back, u);
    }

    #[test]
    fn a_new_user_leaves_out_empty_optional_lines() {
        let json = serde_json::to_value(NewUser::from(UserProfile::default())).unwrap();
        assert!(json.get("addressLineTwo").is_none());
        assert_eq!(json["addressLineOne"], "");
    }
}
