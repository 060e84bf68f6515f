use super::form::{ProfileFields, ProfileSignals};
use super::{get_profile, UpdateCustomer};
use crate::components::alert::ErrorAlert;
use crate::components::loaded::Loaded;
use crate::components::toast::use_toasts;
use crate::error::AppError;
use crate::location;
use crate::model::customer::SaveOutcome;
use crate::model::geo::GeoLists;
use crate::resource::resource;
use crate::routes;
use cmr::types::{ProfileField, UserProfile};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn EditCustomerPage() -> impl IntoView {
    let params = location::params();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let profile = resource(move || id.get(), get_profile);
    view! {
        <Loaded resource=profile loading="Loading the profile…" heading="Edit customer" let:editable>
            <EditForm id=id.get_untracked() profile=editable.profile unknown=editable.unknown_fields lists=editable.lists />
        </Loaded>
    }
}

/// The form sends what it was opened with (`seen[…]`) next to the edits (`edited[…]`), so the
/// server can merge with whatever CMR holds by then (see `profile::merge`). Fields CMR did not
/// show are marked unknown; left empty, they are not sent at all.
#[component]
fn EditForm(
    id: String,
    profile: UserProfile,
    unknown: Vec<ProfileField>,
    lists: GeoLists,
) -> impl IntoView {
    let save = ServerAction::<UpdateCustomer>::new();
    let seen = RwSignal::new(profile.clone());
    let values = ProfileSignals::new(&profile);
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let conflicts = Signal::derive(move || match error.get() {
        Some(AppError::EditConflict(conflicts)) => conflicts,
        _ => Vec::new(),
    });
    let dirty = Memo::new(move |_| values.snapshot() != seen.get());
    let toasts = use_toasts();

    Effect::new(move |_| match save.value().get() {
        // After a conflict, CMR's value becomes the baseline for those fields: saving again
        // then keeps whatever the staff member chose, deliberately.
        Some(Err(AppError::EditConflict(conflicts))) => seen.update(|s| {
            for c in &conflicts {
                s.set(c.field, c.theirs.clone());
            }
        }),
        Some(Ok(SaveOutcome::NothingChanged)) => {
            toasts.success("Nothing changed, so nothing was sent to CMR.")
        }
        Some(Ok(SaveOutcome::Saved(fields))) => toasts.success(format!(
            "Saved {} change{}.",
            fields.len(),
            if fields.len() == 1 { "" } else { "s" }
        )),
        _ => {}
    });

    // Leaving (reload, closing the tab) with unsaved edits asks first.
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::beforeunload, move |ev| {
            if dirty.get_untracked() && !save.pending().get_untracked() {
                ev.prevent_default();
                ev.set_return_value("");
            }
        });
        on_cleanup(move || handle.remove());
    }

    let name = profile.full_name();
    let back = routes::customer(&id);
    view! {
        <Title text=format!("Edit {name}") />
        <div class="page-head">
            <h1>{format!("Edit {name}")}</h1>
        </div>
        <ActionForm action=save attr:class="card">
            <ErrorAlert error />
            <input type="hidden" name="id" value=id.clone() />
            {ProfileField::ALL
                .map(|field| {
                    view! {
                        <input
                            type="hidden"
                            name=format!("seen[{field}]")
                            value=seen.get_untracked().get(field).to_string()
                            prop:value=move || seen.get().get(field).to_string()
                        />
                    }
                })
                .into_iter()
                .collect_view()}
            <ProfileFields
                prefix="edited"
                values
                original=Signal::derive(move || seen.get())
                error
                conflicts
                unknown
                lists
            />
            <div class="form-actions">
                <button type="submit" class="button-primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save changes" }}
                </button>
                <a href=back>"Cancel"</a>
                <span class="muted" aria-live="polite">
                    {move || dirty.get().then_some("You have unsaved changes.")}
                </span>
            </div>
        </ActionForm>
    }
}
