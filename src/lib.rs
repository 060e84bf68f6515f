//! The browser entry point: hydrates the server-rendered page.

/// Only the islands hydrate (islands mode), each page's when its chunks arrive (it sets the
/// `data-hydrated` marker itself). A server function's redirect is a page load: there is no
/// router in the browser to follow it.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // The islands' functions are exported from the app crate; linking it keeps them.
    use app as _;
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = leptos::prelude::window().location().set_href(location);
    });
}
