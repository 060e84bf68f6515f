//! Countries and states for the address selects, as CMR lists them (cached on the server).

use crate::error::AppError;
use crate::model::geo::{GeoLists, GeoOption};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{ctx, require_role},
};

#[server(prefix = "/api", endpoint = "geo/countries")]
pub async fn countries() -> Result<Vec<GeoOption>, AppError> {
    require_role(Role::Viewer).await?;
    let state = ctx::state();
    Ok(state.geo.countries(&state.cmr).await?)
}

#[server(prefix = "/api", endpoint = "geo/states")]
pub async fn states(country: String) -> Result<Vec<GeoOption>, AppError> {
    require_role(Role::Viewer).await?;
    let state = ctx::state();
    Ok(state.geo.states(&state.cmr, &country).await?)
}

/// Both lists a form opens with (see `GeoLists`).
#[server(prefix = "/api", endpoint = "geo/lists")]
pub async fn form_lists(country: String) -> Result<GeoLists, AppError> {
    require_role(Role::Viewer).await?;
    let state = ctx::state();
    Ok(state.geo.lists(&state.cmr, &country).await)
}
