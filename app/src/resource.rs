//! `resource`: the one way a page loads data, a Leptos resource whose browser-side decoding is
//! the server functions' own.
//!
//! Leptos decodes a resource's server-rendered value with `serde_json::from_str`, and a server
//! function's answer with `serde_json::from_slice`. The two readers are different types, so
//! every type a page loads had its whole `Deserialize` compiled into the wasm twice (once per
//! reader), though they read the same JSON. This codec reads the resource's text as bytes, so
//! both paths share one copy (BENCHMARKS.md, "the first-load budget", has what it saved).

use leptos::server::codee::{Decoder, Encoder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// JSON, decoded with the same reader as a server function's answer.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(val)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(val.as_bytes())
    }
}

/// A resource of this app (see the module's note on why not `leptos::prelude::Resource`'s
/// default codec).
pub type Resource<T> = leptos::prelude::Resource<T, Json>;

/// `Resource::new` with this app's codec: loads `fetcher(source())` on the server, hands the
/// value to the browser in the page, and loads again whenever `source` changes.
#[track_caller]
pub fn resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
