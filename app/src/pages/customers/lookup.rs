use super::LookupCustomer;
use leptos::prelude::*;

/// The header's "paste anything" box: an email, a domain name or a CMR user id opens that
/// customer.
#[island]
pub fn LookupBox() -> impl IntoView {
    let lookup = ServerAction::<LookupCustomer>::new();
    let error = move || {
        lookup
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <ActionForm action=lookup attr:class="lookup" attr:role="search">
            <label for="lookup-q" class="visually-hidden">
                "Open a customer by email, domain name or CMR user id"
            </label>
            <input
                id="lookup-q"
                name="q"
                type="search"
                placeholder="Paste an email, domain or user id…"
                autocomplete="off"
                aria-describedby="lookup-error"
            />
            <button type="submit" class="button-secondary" disabled=lookup.pending()>
                "Open"
            </button>
            <span id="lookup-error" class="lookup-error" role="status">
                {error}
            </span>
        </ActionForm>
    }
}
