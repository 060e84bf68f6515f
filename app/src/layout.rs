//! The signed-in frame: header (brand, lookup, wallet, who is signed in, sign-out), main
//! navigation and the page (whose island holds its own toast region: the frame renders on the
//! server only). It sits above both the kit and the pages (it places the pages' header slots),
//! so the kit never imports a page.

use crate::pages::auth::{whoami, SignOut};
use crate::pages::customers::LookupBox;
use crate::pages::wallet::WalletSlot;
use crate::resource::resource;
use crate::routes::{self, AREAS};
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

#[component]
pub fn Layout() -> impl IntoView {
    let me = resource(|| (), |_| whoami());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <header class="topbar">
            <A href=routes::HOME attr:class="brand">
                "CMR Admin"
            </A>
            <LookupBox />
            <WalletSlot />
            <div class="who">
                <Suspense fallback=|| view! { <span class="muted">"…"</span> }>
                    {move || Suspend::new(async move {
                        me.await
                            .map(|staff| {
                                view! {
                                    <span class="who-name">{staff.display_name}</span>
                                    <span class="badge" title="Your role">
                                        {staff.role.as_str()}
                                    </span>
                                }
                            })
                            .ok()
                    })}
                </Suspense>
                <A href=routes::SESSIONS>"Your account"</A>
                <ActionForm action=sign_out attr:class="inline">
                    <button type="submit" class="button-secondary">
                        "Sign out"
                    </button>
                </ActionForm>
            </div>
        </header>
        <div class="frame">
            <nav class="sidebar" aria-label="Main">
                <ul>
                    <li>
                        <A href=routes::HOME exact=true>
                            "Home"
                        </A>
                    </li>
                    {AREAS
                        .iter()
                        .map(|area| view! { <li><A href=area.path>{area.label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
            <main id="main" tabindex="-1">
                <Outlet />
            </main>
        </div>
    }
}

/// "Demo data — not connected to CMR", on every page while no CMR key is configured.
#[component]
pub fn DemoBanner() -> impl IntoView {
    demo_mode().then(|| {
        view! {
            <div class="demo-banner" role="note">
                "Demo data — not connected to CMR"
            </div>
        }
    })
}

/// Read the same way on both sides so hydration matches: from the state on the server, from
/// the `cmr-demo` meta tag the server wrote in the browser.
fn demo_mode() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::server::AppState>().is_some_and(|s| s.demo_mode())
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .query_selector("meta[name=cmr-demo]")
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .as_deref()
            == Some("1")
    }
}
