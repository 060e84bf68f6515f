//! Countries and states change rarely: cached in memory for a day instead of asking CMR on
//! every form.

use crate::model::geo::{GeoLists, GeoOption};
use cmr::CmrClient;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Default)]
pub struct GeoCache {
    countries: Mutex<Option<(Instant, Vec<GeoOption>)>>,
    states: Mutex<HashMap<String, (Instant, Vec<GeoOption>)>>,
}

fn fresh<T: Clone>(entry: Option<&(Instant, T)>) -> Option<T> {
    entry
        .filter(|(at, _)| at.elapsed() < TTL)
        .map(|(_, v)| v.clone())
}

/// CMR's list as select options, sorted by name.
fn options(list: &cmr::types::GeoList) -> Vec<GeoOption> {
    let mut options: Vec<GeoOption> = list
        .entries()
        .iter()
        .map(|e| GeoOption {
            code: e.code.clone(),
            name: e.name.clone(),
        })
        .collect();
    options.sort_by(|a, b| a.name.cmp(&b.name));
    options
}

impl GeoCache {
    pub async fn countries(&self, cmr: &CmrClient) -> Result<Vec<GeoOption>, cmr::CmrError> {
        if let Some(hit) = fresh(
            self.countries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref(),
        ) {
            return Ok(hit);
        }
        let list = cmr.countries().await?.data;
        let options = options(&list);
        *self.countries.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), options.clone()));
        Ok(options)
    }

    /// The states of `country`: none for a value that is not a two-letter code (CMR is not
    /// asked).
    pub async fn states(
        &self,
        cmr: &CmrClient,
        country: &str,
    ) -> Result<Vec<GeoOption>, cmr::CmrError> {
        if country.len() != 2 {
            return Ok(Vec::new());
        }
        if let Some(hit) = fresh(
            self.states
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(country),
        ) {
            return Ok(hit);
        }
        let list = cmr.states(country).await?.data;
        let options = options(&list);
        self.states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(country.to_string(), (Instant::now(), options.clone()));
        Ok(options)
    }

    /// Both lists a form opens with: every country, and the states of `country`. A list CMR
    /// does not give is `None`, and the form still opens: the browser asks for it again.
    pub async fn lists(&self, cmr: &CmrClient, country: &str) -> GeoLists {
        let (countries, states) = tokio::join!(self.countries(cmr), self.states(cmr, country));
        GeoLists {
            countries: countries.ok(),
            country: country.to_string(),
            states: states.ok(),
        }
    }
}
