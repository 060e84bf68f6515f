use crate::pages::auth::whoami;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Title text="Home" />
        <h1>"Home"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                me.await
                    .ok()
                    .map(|staff| {
                        view! {
                            <p>"Signed in as " <strong>{staff.display_name}</strong> " ("
                                {staff.role.as_str()} ")."
                            </p>
                        }
                    })
            })}
        </Suspense>
        <section class="card">
            <h2>"Where to start"</h2>
            <ul>
                <li><A href="/customers">"Customers"</A>" — find a customer and edit their profile."</li>
                <li><A href="/wallet">"Wallet"</A>" — the partner balance that renewals and orders spend."</li>
                <li><A href="/account/password">"Change your password"</A></li>
            </ul>
        </section>
    }
}
