//! Confirmation before an action that cannot be taken back or that costs money.
//!
//! * [`ConfirmPanel`]: a disclosure (`<details>`) that holds the confirmation. Opening it moves
//!   focus to its first field or button; Escape closes it and returns focus to its summary.
//!   It works without JavaScript (it is plain HTML then).
//! * [`TypedConfirm`], for destructive actions: the action button stays disabled until the
//!   staff member types the given text (say, the customer's email). It is a courtesy: the
//!   server checks the same text again, and before hydration the button is enabled so the
//!   form still works without JavaScript.
//! * [`PaidConfirm`], for paid actions: names the price and the wallet balance after it, and
//!   needs an explicit confirm; focus starts on Cancel, and Escape cancels.

use crate::model::money::Amount;
use leptos::html;
use leptos::prelude::*;

/// True once the page is hydrated (effects run only in the browser): what needs JavaScript
/// switches on then, so the server's HTML works without it.
fn hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// Whether what was typed confirms `expected`: the same text, case included; only spaces
/// around it (a paste) are forgiven.
pub fn typed_matches(typed: &str, expected: &str) -> bool {
    typed.trim() == expected.trim()
}

/// Closes the surrounding [`ConfirmPanel`] (its Cancel button uses it).
#[derive(Clone, Copy)]
struct ClosePanel(Callback<()>);

/// A disclosure holding a confirmation: `summary` opens it.
#[component]
pub fn ConfirmPanel(#[prop(into)] summary: String, children: Children) -> impl IntoView {
    let details = NodeRef::<html::Details>::new();
    let summary_ref = NodeRef::<html::Summary>::new();
    let close = Callback::new(move |()| {
        if let Some(details) = details.get_untracked() {
            details.set_open(false);
        }
        if let Some(summary) = summary_ref.get_untracked() {
            let _ = summary.focus();
        }
    });
    provide_context(ClosePanel(close));
    let on_toggle = move |_| {
        let Some(details) = details.get_untracked() else {
            return;
        };
        if details.open() {
            focus_first(&details);
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let open = details.get_untracked().is_some_and(|d| d.open());
        if ev.key() == "Escape" && open {
            ev.prevent_default();
            close.run(());
        }
    };
    view! {
        <details class="confirm-panel" node_ref=details on:toggle=on_toggle on:keydown=on_keydown>
            <summary node_ref=summary_ref>{summary}</summary>
            <div class="confirm-body">{children()}</div>
        </details>
    }
}

/// Moves focus to the first field (or else button) inside `container`.
fn focus_first(container: &leptos::web_sys::HtmlElement) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let target = container
            .query_selector("input:not([type=hidden]), select, textarea, button:not([disabled])")
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok());
        if let Some(target) = target {
            let _ = target.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = container;
}

/// Inside a form: the typed confirmation field and the action button, which stays disabled
/// until the field matches `expected`. Field ids follow [`Field`](super::field::Field):
/// `field-{name}` and `field-{name}-error`.
#[component]
pub fn TypedConfirm(
    /// The form field's name (the server function's argument).
    name: &'static str,
    /// The text to type, exactly.
    #[prop(into)]
    expected: String,
    /// The field's label, e.g. "Type ada@example.com to confirm".
    #[prop(into)]
    label: String,
    /// The action button's text, e.g. "Delete permanently".
    action: &'static str,
    /// While the action runs (the button is disabled).
    #[prop(into)]
    pending: Signal<bool>,
    /// The server's message for this field.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let (id, error_id) = super::field::field_ids(name);
    let typed = RwSignal::new(String::new());
    let ready = hydrated();
    let close = use_context::<ClosePanel>();
    let waiting = move || ready.get() && !typed.with(|t| typed_matches(t, &expected));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type="text"
                autocomplete="off"
                spellcheck="false"
                required=true
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
            <p class="field-error" id=error_id>
                {move || error.get()}
            </p>
        </div>
        <div class="form-actions">
            <button type="submit" class="button-danger" disabled=move || pending.get() || waiting()>
                {action}
            </button>
            {move || {
                close
                    .filter(|_| ready.get())
                    .map(|ClosePanel(close)| {
                        view! {
                            <button type="button" class="button-secondary" on:click=move |_| close.run(())>
                                "Cancel"
                            </button>
                        }
                    })
            }}
        </div>
    }
}

/// What a paid confirmation says: the question, the balance after, and whether the wallet
/// covers the price (when the currencies differ, CMR converts and decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidSummary {
    pub question: String,
    pub after: String,
    pub covered: bool,
}

pub fn paid_summary(price: &Amount, balance: &Amount) -> PaidSummary {
    let question = format!("Charge {price} to the wallet?");
    match balance.minus(price) {
        Some(left) if left.value.is_negative() => PaidSummary {
            question,
            after: format!("The wallet holds only {balance}: top it up first."),
            covered: false,
        },
        Some(left) => PaidSummary {
            question,
            after: format!("Balance after: {left}."),
            covered: true,
        },
        None => PaidSummary {
            question,
            after: format!("Balance now: {balance} (CMR converts the price)."),
            covered: true,
        },
    }
}

/// Inside a form, shown when the staff member asks for a paid action: the price and the
/// balance after, a submit button that does it, and Cancel. Focus starts on Cancel (the safe
/// choice) and Escape cancels.
///
/// ```
/// use app::components::confirm::PaidConfirm;
/// use app::model::money::Amount;
/// use cmr::types::Money;
/// use leptos::prelude::*;
///
/// let owner = Owner::new();
/// owner.with(|| {
///     let html = view! {
///         <PaidConfirm
///             id="renew"
///             price=Amount::new(Money::from_cents(1_200), "USD")
///             balance=Amount::new(Money::from_cents(10_000), "USD")
///             action="Renew for a year"
///             pending=false
///             on_cancel=move |()| {}
///         />
///     }
///     .to_html();
///     assert!(html.contains("Charge 12.00 USD to the wallet?"));
///     assert!(html.contains("Balance after: 88.00 USD."));
/// });
/// ```
#[component]
pub fn PaidConfirm(
    /// Prefix of the element ids (unique on the page).
    id: &'static str,
    price: Amount,
    balance: Amount,
    /// The confirm button's text, e.g. "Renew for a year".
    action: &'static str,
    #[prop(into)] pending: Signal<bool>,
    /// Cancel or Escape.
    #[prop(into)]
    on_cancel: Callback<()>,
) -> impl IntoView {
    let summary = paid_summary(&price, &balance);
    let question_id = format!("{id}-question");
    let after_id = format!("{id}-after");
    let (labelled_by, described_by) = (question_id.clone(), after_id.clone());
    let cancel = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(cancel) = cancel.get() {
            let _ = cancel.focus();
        }
    });
    let covered = summary.covered;
    view! {
        <div
            class="confirm-dialog"
            role="alertdialog"
            aria-labelledby=labelled_by
            aria-describedby=described_by
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    on_cancel.run(());
                }
            }
        >
            <p class="confirm-question" id=question_id>
                {summary.question}
            </p>
            <p id=after_id class=if covered { "muted" } else { "field-error" }>
                {summary.after}
            </p>
            <div class="form-actions">
                <button type="submit" class="button-primary" disabled=move || pending.get() || !covered>
                    {action}
                </button>
                <button type="button" class="button-secondary" node_ref=cancel on:click=move |_| on_cancel.run(())>
                    "Cancel"
                </button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmr::types::Money;

    fn usd(cents: i64) -> Amount {
        Amount::new(Money::from_cents(cents), "USD")
    }

    #[test]
    fn the_typed_text_must_match_exactly_but_surrounding_spaces_are_forgiven() {
        assert!(typed_matches("ada@example.com", "ada@example.com"));
        assert!(typed_matches("  ada@example.com\n", "ada@example.com"));
        assert!(!typed_matches("Ada@example.com", "ada@example.com"));
        assert!(!typed_matches("ada@example.co", "ada@example.com"));
        assert!(!typed_matches("", "ada@example.com"));
    }

    #[test]
    fn a_paid_confirmation_names_the_price_and_the_balance_after() {
        assert_eq!(
            paid_summary(&usd(1_200), &usd(10_000)),
            PaidSummary {
                question: "Charge 12.00 USD to the wallet?".into(),
                after: "Balance after: 88.00 USD.".into(),
                covered: true,
            }
        );
    }

    #[test]
    fn a_price_above_the_balance_cannot_be_confirmed() {
        let summary = paid_summary(&usd(1_200), &usd(500));
        assert!(!summary.covered);
        assert_eq!(
            summary.after,
            "The wallet holds only 5.00 USD: top it up first."
        );
    }

    #[test]
    fn another_currency_shows_the_balance_and_leaves_the_decision_to_cmr() {
        let eur = Amount::new(Money::from_cents(1_000), "EUR");
        let summary = paid_summary(&eur, &usd(10_000));
        assert!(summary.covered);
        assert_eq!(
            summary.after,
            "Balance now: 100.00 USD (CMR converts the price)."
        );
    }
}
