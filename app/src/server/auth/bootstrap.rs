//! First run: while no staff account exists, a one-time token printed at start-up is the only
//! way to create the first admin (the token itself is `setup_token::SetupToken`).

use crate::server::state::AppState;

/// When no account exists, opens setup and prints its URL (once per start). Returns the URL.
pub async fn announce_if_needed(state: &AppState) -> Result<Option<String>, sqlx::Error> {
    if crate::server::db::staff::count(&state.db).await? > 0 {
        return Ok(None);
    }
    let token = state.setup.issue();
    let mut url = state
        .config
        .public_url
        .join("/setup")
        .expect("a valid path");
    url.query_pairs_mut().append_pair("token", &token);
    // Printed, not logged: the operator needs it once, log shippers need not keep it.
    println!("No staff account exists yet. Create the first admin at: {url}");
    Ok(Some(url.to_string()))
}
