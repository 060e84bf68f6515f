//! `GET /wallet` (path and shape inferred: the reference found neither).

use serde_json::json;

use super::input::Input;
use crate::envelope::{money, Done, Outcome};
use crate::state::World;

pub(crate) fn details(world: &mut World, _input: &Input) -> Outcome {
    Ok(Done::ok(
        "Wallet details fetched successfully",
        json!({ "balance": money(world.wallet), "currency": world.currency }),
    ))
}
