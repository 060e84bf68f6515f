use cmr::CmrError;

use crate::common::{harness, only_request, query};

#[tokio::test]
async fn countries_decode_from_cmrs_name_to_code_map() {
    let h = harness();
    let countries = h.client.countries().await.expect("countries").data;
    assert!(countries.len() >= 30);
    assert_eq!(countries.code_of("Germany"), Some("DE"));
    assert_eq!(countries.name_of("US"), Some("United States"));
    let names: Vec<&str> = countries
        .entries()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let mut sorted_names = names.clone();
    sorted_names.sort_unstable();
    assert_eq!(names, sorted_names, "sorted by name");
    let request = only_request(h.control(), "GET", "/geo/countries");
    assert!(request.query.is_empty());
}

#[tokio::test]
async fn states_are_fetched_by_country_code() {
    let h = harness();
    let us = h.client.states("US").await.expect("US states").data;
    assert_eq!(us.code_of("New York"), Some("NY"));
    assert!(us.len() >= 50);
    for code in ["CA", "AU", "DE", "IN"] {
        assert!(
            !h.client.states(code).await.unwrap().data.is_empty(),
            "{code}"
        );
    }
    assert!(h.client.states("FR").await.unwrap().data.is_empty());
    let first = &h.control().requests_to("GET", "/geo/states")[0];
    assert_eq!(query(first), [("countryCode", "US")]);
}

#[tokio::test]
async fn states_without_a_country_code_are_refused() {
    let h = harness();
    let err = h.client.states("").await.unwrap_err();
    assert!(
        matches!(err, CmrError::Validation { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("countryCode"));
}
