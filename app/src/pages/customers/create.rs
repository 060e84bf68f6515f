use super::form::{ProfileFields, ProfileSignals};
use super::{form_key, CreateCustomer};
use crate::components::alert::ErrorAlert;
use crate::components::loaded::Loaded;
use crate::error::AppError;
use crate::pages::geo::form_lists;
use crate::resource::resource;
use crate::routes;
use cmr::types::UserProfile;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NewCustomerPage() -> impl IntoView {
    let create = ServerAction::<CreateCustomer>::new();
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let defaults = UserProfile {
        language_preference: "en".into(),
        ..Default::default()
    };
    let values = ProfileSignals::new(&defaults);
    // One key per form shown, rendered on the server: a double submit or a reload after submit
    // sends the same key, and the server makes one CMR call for it. The country list comes
    // with it, so the form works without JavaScript.
    let opened = resource(
        || (),
        |_| async { Ok::<_, AppError>((form_key().await?, form_lists(String::new()).await?)) },
    );
    view! {
        <Title text="New customer" />
        <div class="page-head">
            <h1>"New customer"</h1>
        </div>
        <ActionForm action=create attr:class="card">
            <ErrorAlert error />
            <Loaded resource=opened loading="Loading the form…" let:opened>
                <input type="hidden" name="idempotency_key" value=opened.0 />
                <ProfileFields prefix="profile" values error lists=opened.1 />
            </Loaded>
            <div class="form-actions">
                <button type="submit" class="button-primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create customer" }}
                </button>
                <a href=routes::CUSTOMERS>"Cancel"</a>
            </div>
        </ActionForm>
    }
}
