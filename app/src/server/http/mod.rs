//! HTTP layers that apply to every response: request ids and tracing, security headers, the
//! cross-site check, error statuses, and POSTs that run to their end when their client leaves;
//! and the one in front of the wasm package (dictionary compression).

pub mod cross_site;
pub mod dictionary;
pub mod error_status;
pub mod headers;
pub mod request_trace;
pub mod run_to_end;
