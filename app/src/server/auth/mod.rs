//! Staff sign-in: password hashing, sessions, the deny-by-default guard, the lockout and the
//! first-run setup.

pub mod account;
pub mod attempt_cap;
pub mod bootstrap;
pub mod final_store;
pub mod guard;
pub mod password;
pub mod recent_sessions;
pub mod session;
pub mod sessions;
pub mod setup;
pub mod setup_token;
pub mod sign_in;
pub mod two_factor;
