//! `/geo/countries` and `/geo/states`: object maps name → code.

use serde_json::{Map, Value};

use super::input::Input;
use crate::envelope::{Done, Outcome};
use crate::geo_data;
use crate::state::World;

fn map_of(entries: &[(&str, &str)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(name, code)| ((*name).to_owned(), Value::from(*code)))
            .collect::<Map<_, _>>(),
    )
}

pub(crate) fn countries(_world: &mut World, _input: &Input) -> Outcome {
    Ok(Done::ok(
        "Countries fetched successfully",
        map_of(geo_data::COUNTRIES),
    ))
}

pub(crate) fn states(_world: &mut World, input: &Input) -> Outcome {
    let code = input.require_param("countryCode")?;
    Ok(Done::ok(
        "States fetched successfully",
        map_of(geo_data::states_of(code.trim())),
    ))
}
