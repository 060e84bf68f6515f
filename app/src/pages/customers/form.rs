//! The 14 profile fields, shared by the create and edit forms: labelled inputs, the country
//! and state selects fed by CMR's geo lists, field errors, changed-field marks and conflicts.

use crate::error::AppError;
use crate::model::geo::GeoLists;
use crate::model::profile::{self, FieldConflict};
use crate::pages::geo::{countries, states};
use cmr::types::{ProfileField, UserProfile};
use leptos::prelude::*;

/// One signal per profile field, in [`ProfileField::ALL`] order.
#[derive(Clone, Copy)]
pub struct ProfileSignals([RwSignal<String>; 14]);

impl ProfileSignals {
    pub fn new(p: &UserProfile) -> Self {
        ProfileSignals(ProfileField::ALL.map(|f| RwSignal::new(p.get(f).to_string())))
    }

    pub fn field(&self, field: ProfileField) -> RwSignal<String> {
        self.0[field as usize]
    }

    /// The current form values as a profile (tracked).
    pub fn snapshot(&self) -> UserProfile {
        let mut p = UserProfile::default();
        for field in ProfileField::ALL {
            p.set(field, self.field(field).get());
        }
        p
    }
}

/// The browser's own check for the digit-only fields (the server checks again).
fn pattern(field: ProfileField) -> Option<&'static str> {
    match field {
        ProfileField::PhoneCc => Some("[0-9]{1,4}"),
        ProfileField::Phone => Some("[0-9]{4,15}"),
        ProfileField::LanguagePreference => Some("[A-Za-z\\-]{2,8}"),
        _ => None,
    }
}

fn input_type(field: ProfileField) -> &'static str {
    match field {
        ProfileField::Email => "email",
        ProfileField::Phone | ProfileField::PhoneCc => "tel",
        _ => "text",
    }
}

#[component]
pub fn ProfileFields(
    /// Form names are `{prefix}[fieldName]`.
    prefix: &'static str,
    values: ProfileSignals,
    /// For the edit form: the values it was opened with, to mark changed fields.
    #[prop(optional)]
    original: Option<Signal<UserProfile>>,
    #[prop(into)] error: Signal<Option<AppError>>,
    /// Fields someone else changed meanwhile.
    #[prop(optional, into)]
    conflicts: Option<Signal<Vec<FieldConflict>>>,
    /// Fields CMR did not show (edit form): not required, and marked as unknown.
    #[prop(optional)]
    unknown: Vec<ProfileField>,
    /// The country and state lists the form opens with (loaded on the server).
    lists: GeoLists,
) -> impl IntoView {
    let country = values.field(ProfileField::Country);
    // The server renders both selects from `lists`, so the form works without JavaScript and
    // hydrates without a Suspense of its own (in islands mode a Suspense inside the page's
    // own loses its hydration markers). In the browser, a list the server could not get is
    // asked for again, and choosing another country loads its states.
    let GeoLists {
        countries: first_countries,
        country: first_country,
        states: first_states,
    } = lists;
    let missing_countries = first_countries.is_none();
    let country_options = RwSignal::new(first_countries.unwrap_or_default());
    // The state list shown, and the country it belongs to (`None`: not known yet). The
    // previous country's field stays until the new country's list arrives.
    let shown_states = RwSignal::new((
        first_states.is_some().then_some(first_country),
        first_states.unwrap_or_default(),
    ));
    Effect::new(move |_| {
        if missing_countries {
            leptos::task::spawn_local(async move {
                if let Ok(list) = countries().await {
                    country_options.set(list);
                }
            });
        }
    });
    Effect::new(move |_| {
        let wanted = country.get();
        if shown_states.with_untracked(|(shown, _)| shown.as_ref() == Some(&wanted)) {
            return;
        }
        leptos::task::spawn_local(async move {
            let list = states(wanted.clone()).await;
            // A list that comes after another country was chosen is not shown.
            if country.get_untracked() == wanted {
                shown_states.set((Some(wanted), list.unwrap_or_default()));
            }
        });
    });
    let states_loading = Signal::derive(move || {
        let wanted = country.get();
        shown_states.with(|(shown, _)| shown.as_ref() != Some(&wanted))
    });

    let field_view = move |field: ProfileField| {
        let (label, value) = (profile::label(field), values.field(field));
        let id = format!("field-{field}");
        let name = format!("{prefix}[{field}]");
        let error_id = format!("{id}-error");
        let message = move || error.get().and_then(|e| e.field(field.wire_name()));
        let changed = move || original.is_some_and(|o| o.get().get(field) != value.get());
        let conflict =
            move || conflicts.and_then(|c| c.get().into_iter().find(|c| c.field == field));
        let is_unknown = unknown.contains(&field);
        let required = !field.optional_on_create() && !is_unknown;
        let state_ids = (id.clone(), name.clone(), error_id.clone());
        let control = match field {
            ProfileField::Country => view! {
                <select
                    id=id.clone()
                    name=name.clone()
                    required=required
                    aria-describedby=error_id.clone()
                    prop:value=move || value.get()
                    on:change=move |ev| value.set(event_target_value(&ev))
                >
                    <option value="">"Choose a country"</option>
                    {move || {
                        let current = value.get_untracked();
                        let list = country_options.get();
                        let known = list.iter().any(|c| c.code == current);
                        view! {
                            {(!known && !current.is_empty()).then(|| view! { <option value=current.clone() selected=true>{current.clone()}</option> })}
                            {list
                                .into_iter()
                                .map(|c| {
                                    let selected = c.code == value.get_untracked();
                                    view! { <option value=c.code.clone() selected=selected>{c.name}</option> }
                                })
                                .collect_view()}
                        }
                    }}
                </select>
            }
            .into_any(),
            ProfileField::State => {
                let (id, name, error_id) = state_ids;
                (move || {
                    let (id, name, error_id) = (id.clone(), name.clone(), error_id.clone());
                    let list = shown_states.with(|(_, list)| list.clone());
                    if list.is_empty() {
                        // CMR has no states for this country (or the list has not come):
                        // free text.
                        return view! {
                            <input
                                id=id
                                name=name
                                type="text"
                                required=true
                                aria-describedby=error_id
                                value=value.get_untracked()
                                prop:value=move || value.get()
                                on:input=move |ev| value.set(event_target_value(&ev))
                            />
                        }
                        .into_any();
                    }
                    let current = value.get_untracked();
                    let known = list.iter().any(|s| s.name == current || s.code == current);
                    view! {
                        <select
                            id=id
                            name=name
                            required=true
                            aria-describedby=error_id
                            prop:value=move || value.get()
                            on:change=move |ev| value.set(event_target_value(&ev))
                        >
                            <option value="">"Choose a state or province"</option>
                            {(!known && !current.is_empty()).then(|| view! { <option value=current.clone() selected=true>{current.clone()}</option> })}
                            {list
                                .into_iter()
                                .map(|s| {
                                    // The docs' example stores the state's name ("New York"),
                                    // but a code ("NY") may be stored too. The matching option
                                    // carries the stored value exactly, so an unrelated save
                                    // never rewrites one form into the other.
                                    let selected = s.name == current || s.code == current;
                                    let option_value = if selected { current.clone() } else { s.name.clone() };
                                    view! { <option value=option_value selected=selected>{s.name}</option> }
                                })
                                .collect_view()}
                        </select>
                    }
                    .into_any()
                })
                .into_any()
            }
            _ => view! {
                <input
                    id=id.clone()
                    name=name.clone()
                    type=input_type(field)
                    pattern=pattern(field)
                    maxlength="200"
                    autocomplete="off"
                    required=required
                    aria-invalid=move || if message().is_some() { "true" } else { "false" }
                    aria-describedby=error_id.clone()
                    value=value.get_untracked()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            }
            .into_any(),
        };
        view! {
            <div
                class="field"
                class:changed=changed
                aria-busy=move || (field == ProfileField::State && states_loading.get()).then_some("true")
            >
                <label for=id>
                    {label}
                    {(!required).then(|| view! { <span class="muted">" (optional)"</span> })}
                    {move || {
                        (field == ProfileField::State && states_loading.get())
                            .then(|| view! { <span class="muted">" — loading the list…"</span> })
                    }}
                    {move || changed().then(|| view! { <span class="changed-mark">" — changed"</span> })}
                </label>
                {control}
                {is_unknown
                    .then(|| {
                        view! {
                            <p class="field-unknown">
                                "CMR did not return this field. Left empty, it is not sent, so whatever CMR holds stays."
                            </p>
                        }
                    })}
                <p class="field-error" id=error_id>{message}</p>
                {move || {
                    conflict()
                        .map(|c| {
                            let theirs = c.theirs.clone();
                            view! {
                                <div class="conflict" role="alert">
                                    <p>
                                        "Someone else changed this to “"<strong>{c.theirs.clone()}</strong>
                                        "” while you were editing. Yours: “"{c.yours.clone()}"”."
                                    </p>
                                    <button
                                        type="button"
                                        class="button-secondary"
                                        on:click=move |_| value.set(theirs.clone())
                                    >
                                        "Use theirs"
                                    </button>
                                    <span class="muted">" or save again to keep yours."</span>
                                </div>
                            }
                        })
                }}
            </div>
        }
    };

    view! {
        <fieldset class="form-grid">
            <legend class="visually-hidden">"Customer profile"</legend>
            {ProfileField::ALL.map(field_view).into_iter().collect_view()}
        </fieldset>
    }
}
