//! What the mailboxes of an order cost (domain prices are per TLD, in `World::domain_price`).

use std::collections::BTreeMap;

use crate::state::{MAILBOX_PRICE, WARMUP_PRICE};
use cmr::types::OrderMailbox;

pub(super) fn mailbox_cost(mailboxes: &BTreeMap<String, Vec<OrderMailbox>>) -> i64 {
    mailboxes
        .values()
        .flatten()
        .map(|m| {
            MAILBOX_PRICE
                + if m.on_warmup == Some(true) {
                    WARMUP_PRICE
                } else {
                    0
                }
        })
        .sum()
}
