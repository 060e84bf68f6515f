//! placeholder
#![cfg(feature = "ssr")]
mod common;
