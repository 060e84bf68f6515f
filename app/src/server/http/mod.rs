//! HTTP layers that apply to every response: security headers and the cross-site check.

pub mod cross_site;
pub mod error_status;
pub mod headers;
