//! Customer profiles: labels, normalisation, validation, and the three-way merge that
//! keeps an edit from overwriting what someone else changed meanwhile.

use cmr::types::{ProfileField, UserProfile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the form labels a field.
pub fn label(field: ProfileField) -> &'static str {
    match field {
        ProfileField::FirstName => "First name",
        ProfileField::LastName => "Last name",
        ProfileField::Company => "Company",
        ProfileField::Email => "Email",
        ProfileField::PhoneCc => "Phone country code",
        ProfileField::Phone => "Phone",
        ProfileField::AddressLineOne => "Address line 1",
        ProfileField::AddressLineTwo => "Address line 2",
        ProfileField::AddressLineThree => "Address line 3",
        ProfileField::City => "City",
        ProfileField::State => "State / province",
        ProfileField::PostalCode => "Postal code",
        ProfileField::Country => "Country",
        ProfileField::LanguagePreference => "Language",
    }
}

/// The label of a profile field named by its wire name, or the name itself for any other
/// field (audit entries record names, and other areas' fields).
pub fn label_or(name: &str) -> String {
    ProfileField::from_wire_name(name).map_or_else(|| name.to_string(), |f| label(f).to_string())
}

/// One field as the form would send it: trimmed; the country code upper-cased, the email
/// lower-cased, the calling code without `+`.
pub fn normalise_field(field: ProfileField, value: &str) -> String {
    let value = value.trim();
    match field {
        ProfileField::Country => value.to_ascii_uppercase(),
        ProfileField::Email => value.to_lowercase(),
        ProfileField::PhoneCc => value.trim_start_matches('+').to_string(),
        _ => value.to_string(),
    }
}

/// Every field normalised (see [`normalise_field`]).
pub fn normalise(mut p: UserProfile) -> UserProfile {
    for field in ProfileField::ALL {
        let slot = p.get_mut(field);
        *slot = normalise_field(field, slot);
    }
    p
}

/// Field errors as the wire carries them (`AppError::Invalid` is keyed by field name, shared
/// with every other form).
pub fn by_wire_name(errors: BTreeMap<ProfileField, String>) -> BTreeMap<String, String> {
    errors
        .into_iter()
        .map(|(f, m)| (f.wire_name().to_string(), m))
        .collect()
}

/// Field → message for every rule the profile breaks; empty when it is valid.
pub fn validate(p: &UserProfile) -> BTreeMap<ProfileField, String> {
    let mut errors = BTreeMap::new();
    let mut fail = |field: ProfileField, message: String| {
        errors.entry(field).or_insert(message);
    };
    for field in ProfileField::ALL {
        let (value, label) = (p.get(field), label(field));
        if value.is_empty() && !field.optional_on_create() {
            fail(field, format!("{label} is required."));
        } else if value.chars().count() > 200 {
            fail(
                field,
                format!("{label} is too long (at most 200 characters)."),
            );
        } else if value.chars().any(char::is_control) {
            fail(
                field,
                format!("{label} contains characters that cannot be used."),
            );
        }
    }
    if !p.email.is_empty() && super::validate::email(&p.email).is_err() {
        fail(
            ProfileField::Email,
            "Enter an email address like name@example.com.".into(),
        );
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let cc_ok = digits(&p.phone_cc) && p.phone_cc.len() <= 4;
    if !p.phone_cc.is_empty() && !cc_ok {
        fail(
            ProfileField::PhoneCc,
            "Use 1–4 digits for the country code, without +.".into(),
        );
    }
    let phone_ok = digits(&p.phone) && (4..=15).contains(&p.phone.len());
    if !p.phone.is_empty() && !phone_ok {
        fail(
            ProfileField::Phone,
            "Use 4–15 digits for the phone number, without spaces.".into(),
        );
    }
    let country_ok = p.country.len() == 2 && p.country.chars().all(|c| c.is_ascii_uppercase());
    if !p.country.is_empty() && !country_ok {
        fail(
            ProfileField::Country,
            "Choose a country (two-letter ISO code such as US).".into(),
        );
    }
    let language_ok = (2..=8).contains(&p.language_preference.len());
    if !p.language_preference.is_empty() && !language_ok {
        fail(
            ProfileField::LanguagePreference,
            "Use a language code such as en.".into(),
        );
    }
    errors
}

/// A field that both this staff member and someone else changed, differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldConflict {
    pub field: ProfileField,
    /// What the form was opened with.
    pub original: String,
    /// What this staff member typed.
    pub yours: String,
    /// What CMR holds now.
    pub theirs: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Merge {
    /// Nothing to send: the result equals what CMR already holds.
    Unchanged,
    /// Send `profile`; `changed` lists (field, before, after) against CMR's current values.
    Save {
        profile: Box<UserProfile>,
        changed: Vec<(ProfileField, String, String)>,
    },
    /// Someone else changed these fields differently; nothing is sent.
    Conflicts(Vec<FieldConflict>),
}

/// Three-way merge per field of `seen` (the profile the form was opened with), `edited` (the
/// form as submitted) and `current` (CMR's profile, fetched again at save time):
/// untouched fields take `current` (keeping others' changes), fields only we changed take
/// ours, fields both changed to the same value are fine, and fields both changed differently
/// are conflicts. An optional field emptied in the form is a change to `""` (cleared).
///
/// Values are compared normalised on every side, so `+44` against `44` or a trailing space is
/// never a conflict or a change; fields the merge does not change keep CMR's raw value byte
/// for byte.
pub fn merge(seen: &UserProfile, edited: &UserProfile, current: &UserProfile) -> Merge {
    let mut merged = current.clone();
    let mut conflicts = Vec::new();
    for field in ProfileField::ALL {
        let base = normalise_field(field, seen.get(field));
        let ours = normalise_field(field, edited.get(field));
        let theirs = normalise_field(field, current.get(field));
        if ours == base || ours == theirs {
            continue; // untouched, or already what CMR has
        }
        if theirs != base {
            conflicts.push(FieldConflict {
                field,
                original: base,
                yours: ours,
                theirs: current.get(field).to_string(),
            });
            continue;
        }
        merged.set(field, ours);
    }
    if !conflicts.is_empty() {
        return Merge::Conflicts(conflicts);
    }
    let changed: Vec<_> = ProfileField::ALL
        .into_iter()
        .filter(|&f| merged.get(f) != current.get(f))
        .map(|f| (f, current.get(f).to_string(), merged.get(f).to_string()))
        .collect();
    if changed.is_empty() {
        Merge::Unchanged
    } else {
        Merge::Save {
            profile: Box::new(merged),
            changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> UserProfile {
        UserProfile {
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            company: "Engines Ltd".into(),
            email: "ada@engines.example".into(),
            phone_cc: "44".into(),
            phone: "2071234567".into(),
            address_line_one: "12 St James's Square".into(),
            address_line_two: "Floor 2".into(),
            address_line_three: String::new(),
            city: "London".into(),
            state: "London".into(),
            postal_code: "SW1Y 4JH".into(),
            country: "GB".into(),
            language_preference: "en".into(),
        }
    }

    #[test]
    fn an_untouched_form_changes_nothing() {
        let p = profile();
        assert_eq!(merge(&p, &p, &p), Merge::Unchanged);
    }

    #[test]
    fn a_field_changed_by_us_is_sent_with_everything_else() {
        let seen = profile();
        let mut edited = seen.clone();
        edited.city = "Bath".into();
        let Merge::Save {
            profile: sent,
            changed,
        } = merge(&seen, &edited, &seen)
        else {
            panic!("expected a save");
        };
        assert_eq!(sent.city, "Bath");
        assert_eq!(
            sent.company, "Engines Ltd",
            "the rest of the profile goes along"
        );
        assert_eq!(
            changed,
            [(ProfileField::City, "London".into(), "Bath".into())]
        );
    }

    #[test]
    fn a_field_changed_upstream_and_untouched_here_keeps_the_upstream_value() {
        let seen = profile();
        let mut current = seen.clone();
        current.phone = "2070000000".into();
        let mut edited = seen.clone();
        edited.city = "Bath".into();
        let Merge::Save {
            profile: sent,
            changed,
        } = merge(&seen, &edited, &current)
        else {
            panic!("expected a save");
        };
        assert_eq!(sent.phone, "2070000000", "someone else's change survives");
        assert_eq!(sent.city, "Bath");
        assert_eq!(
            changed.len(),
            1,
            "only our field differs from CMR's current profile"
        );
    }

    #[test]
    fn a_field_changed_upstream_only_needs_no_save() {
        let seen = profile();
        let mut current = seen.clone();
        current.phone = "2070000000".into();
        assert_eq!(merge(&seen, &seen, &current), Merge::Unchanged);
    }

    #[test]
    fn a_field_changed_by_both_differently_is_a_conflict() {
        let seen = profile();
        let mut current = seen.clone();
        current.city = "Oxford".into();
        let mut edited = seen.clone();
        edited.city = "Bath".into();
        edited.company = "New Engines".into();
        let Merge::Conflicts(conflicts) = merge(&seen, &edited, &current) else {
            panic!("expected a conflict");
        };
        assert_eq!(
            conflicts,
            [FieldConflict {
                field: ProfileField::City,
                original: "London".into(),
                yours: "Bath".into(),
                theirs: "Oxford".into(),
            }]
        );
    }

    #[test]
    fn a_field_changed_by_both_to_the_same_value_is_no_conflict() {
        let seen = profile();
        let mut both = seen.clone();
        both.city = "Bath".into();
        assert_eq!(merge(&seen, &both, &both), Merge::Unchanged);
    }

    #[test]
    fn an_emptied_optional_field_is_sent_as_cleared() {
        let seen = profile();
        let mut edited = seen.clone();
        edited.address_line_two = String::new();
        let Merge::Save {
            profile: sent,
            changed,
        } = merge(&seen, &edited, &seen)
        else {
            panic!("expected a save");
        };
        assert_eq!(sent.address_line_two, "");
        assert_eq!(
            changed,
            [(
                ProfileField::AddressLineTwo,
                "Floor 2".into(),
                String::new()
            )]
        );
    }

    #[test]
    fn differences_of_form_only_are_neither_conflicts_nor_changes() {
        let seen = profile();
        let mut current = seen.clone();
        current.phone_cc = "+44".into();
        current.city = "London ".into();
        current.company = " Engines Ltd".into();
        let mut edited = seen.clone();
        edited.city = "Bath".into();
        let Merge::Save {
            profile: sent,
            changed,
        } = merge(&seen, &edited, &current)
        else {
            panic!("a trailing space upstream is not a conflict");
        };
        assert_eq!(
            changed,
            [(ProfileField::City, "London ".into(), "Bath".into())]
        );
        assert_eq!(
            sent.phone_cc, "+44",
            "untouched fields keep CMR's raw value"
        );
        assert_eq!(sent.company, " Engines Ltd", "byte for byte");

        let mut both = current.clone();
        both.city = "London".into();
        assert_eq!(
            merge(&seen, &both, &current),
            Merge::Unchanged,
            "a form that only normalised CMR's values sends nothing"
        );
    }

    #[test]
    fn validation_names_each_bad_field() {
        let mut p = profile();
        p.email = "not-an-email".into();
        p.phone_cc = "+44".into();
        p.phone = "207 123".into();
        p.country = "United Kingdom".into();
        p.city = String::new();
        let errors = validate(&p);
        use ProfileField::*;
        for field in [Email, PhoneCc, Phone, Country, City] {
            assert!(errors.contains_key(&field), "{field}: {errors:?}");
        }
        assert!(validate(&normalise(profile())).is_empty());
        assert_eq!(
            normalise(UserProfile {
                phone_cc: " +1 ".into(),
                ..profile()
            })
            .phone_cc,
            "1"
        );
    }
}
