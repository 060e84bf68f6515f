//! The partner wallet: the header's balance slot (refreshed in the background).

use crate::components::money::Money;
use crate::components::relative_time::{now_secs, relative};
use crate::error::AppError;
use crate::model::WalletView;
use leptos::prelude::*;
use std::time::Duration;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::reads::Freshness,
    server::{ctx, require_role, wallet},
};

/// How often the header's balance refreshes while a page stays open.
const REFRESH: Duration = Duration::from_secs(60);

#[server(prefix = "/api", endpoint = "wallet/summary")]
pub async fn wallet_summary() -> Result<WalletView, AppError> {
    require_role(Role::Viewer).await?;
    Ok(wallet::summary(&ctx::state(), Freshness::Cached).await?)
}

/// The balance in the header. Loaded with the page, then refreshed every minute without
/// reloading, but only while the tab is visible (a hidden tab has nobody to show it to, and
/// every refresh is a CMR call). The server never counts these refreshes as activity, so an
/// open tab does not keep an idle session alive. A failure shows a dash with the reason on
/// hover instead of breaking the header.
#[cfg(feature = "hydrate")]
fn tab_is_visible() -> bool {
    document().visibility_state() == web_sys::VisibilityState::Visible
}

#[cfg(not(feature = "hydrate"))]
fn tab_is_visible() -> bool {
    true
}

#[component]
pub fn WalletSlot() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let wallet = Resource::new(move || tick.get(), |_| wallet_summary());
    Effect::new(move |_| {
        // Browser only: effects do not run during server rendering.
        let _ = set_interval_with_handle(
            move || {
                if tab_is_visible() {
                    tick.update(|t| *t += 1);
                }
            },
            REFRESH,
        );
    });
    view! {
        <a class="wallet" href=crate::routes::WALLET aria-label="Wallet balance">
            <span class="wallet-label">"Wallet"</span>
            <Transition fallback=|| view! { <span class="wallet-amount muted">"…"</span> }>
                {move || Suspend::new(async move {
                    match wallet.await {
                        Ok(w) => {
                            // Kept for up to 30 s (see `server::reads`): say how fresh it is.
                            let fresh = format!("From CMR {}", relative(w.fetched_at, now_secs()));
                            view! { <span class="wallet-amount" title=fresh><Money amount=w.balance /></span> }.into_any()
                        }
                        Err(e) => {
                            view! {
                                <span class="wallet-amount muted" title=e.to_string()>
                                    "—"
                                </span>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </a>
    }
}
