//! What the mailboxes of an order cost (domain prices are per TLD, in `World::domain_price`).

use std::collections::BTreeMap;

use crate::state::mailbox_price;
use cmr::types::OrderMailbox;

pub(super) fn mailbox_cost(mailboxes: &BTreeMap<String, Vec<OrderMailbox>>) -> i64 {
    mailboxes.values().flatten().map(mailbox_price).sum()
}
