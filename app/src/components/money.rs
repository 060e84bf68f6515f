//! Money on a page: one component so every amount reads the same (`1,250.00 USD`, grouped,
//! tabular figures) and a negative balance stands out. Formatting lives in `model::money`.

use crate::model::money::Amount;
use leptos::prelude::*;

#[component]
pub fn Money(amount: Amount) -> impl IntoView {
    let class = if amount.value.is_negative() {
        "money money-negative"
    } else {
        "money"
    };
    view! { <span class=class>{amount.to_string()}</span> }
}
