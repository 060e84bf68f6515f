//! HTTP layers that apply to every response: request ids and tracing, security headers, the
//! cross-site check and error statuses.

pub mod cross_site;
pub mod error_status;
pub mod headers;
pub mod request_trace;
