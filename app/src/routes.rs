//! Every path the app answers on, in one place: the areas (which are the navigation, and which
//! the router serves as "not built yet" until their pages exist), the server functions the
//! guard must know by name, and builders for links with ids in them. The router, the layout,
//! the guard and every link read from here, so an area's paths are written once.

/// Pages anyone may open.
pub const SIGN_IN: &str = "/sign-in";
pub const SETUP: &str = "/setup";
pub const HEALTH: &str = "/healthz";
/// Ready to serve (database, migrations, CMR key): for load balancers.
pub const READY: &str = "/readyz";
/// CMR's webhooks: public, checked by their signature instead of a session.
pub const WEBHOOK: &str = "/webhooks/cmr";
pub const FAVICON: &str = "/favicon.ico";
/// Compiled assets (wasm, JS, CSS).
pub const ASSETS_PREFIX: &str = "/pkg/";

pub const HOME: &str = "/";
pub const CUSTOMERS: &str = "/customers";
/// One search over the partner-wide index.
pub const SEARCH: &str = "/search";
/// The index's sync: progress, size, errors (admin).
pub const INDEX_STATUS: &str = "/index-status";
pub const NEW_CUSTOMER: &str = "/customers/new";
pub const DOMAINS: &str = "/domains";
/// The domain list as CSV, with the list's filters.
pub const DOMAINS_EXPORT: &str = "/domains/export.csv";
/// The renewal review of the domains named in its `d` query values.
pub const DOMAINS_RENEW: &str = "/domains/renew";
pub const ORDERS: &str = "/orders";
/// The order list as CSV, with the list's tab and search.
pub const ORDERS_EXPORT: &str = "/orders/export.csv";
pub const MAILBOXES: &str = "/mailboxes";
/// The mailbox list as CSV, with the list's search and status.
pub const MAILBOXES_EXPORT: &str = "/mailboxes/export.csv";
pub const SUBSCRIPTIONS: &str = "/subscriptions";
/// The subscription list as CSV, with the list's tab and search.
pub const SUBSCRIPTIONS_EXPORT: &str = "/subscriptions/export.csv";
/// The renewal review of the subscription in its `s` query value.
pub const SUBSCRIPTIONS_RENEW: &str = "/subscriptions/renew";
/// Subscriptions that lapse soon unless someone acts.
pub const SUBSCRIPTIONS_LAPSING: &str = "/subscriptions?tab=lapsing";
pub const WALLET: &str = "/wallet";
/// Every item the dashboard spent wallet money on, as CSV.
pub const SPEND_EXPORT: &str = "/wallet/spend.csv";
pub const AUDIT: &str = "/audit";
pub const STAFF: &str = "/staff";
pub const CHANGE_PASSWORD: &str = "/account/password";
/// Two-factor sign-in: enrol an authenticator app, recovery codes, turn it off.
pub const TWO_FACTOR: &str = "/account/two-factor";
/// The signed-in staff member's open sessions (and, for admins, everyone's).
pub const SESSIONS: &str = "/account/sessions";
/// The second step of signing in, for accounts with two-factor sign-in.
pub const SIGN_IN_CODE: &str = "/sign-in/code";
/// The audit log as CSV, with the viewer's filters.
pub const AUDIT_EXPORT: &str = "/audit/export.csv";

/// Server functions anyone may call (the guard lets them through without a session). A test in
/// `pages` checks them against the functions' own paths.
pub const SIGN_IN_FN: &str = "/api/auth/sign_in";
pub const SETUP_FN: &str = "/api/setup/complete";
/// Public too: it completes only the pending sign-in its own session holds.
pub const SIGN_IN_CODE_FN: &str = "/api/auth/sign_in_code";

/// What a session that must first change its password (after an admin's reset) may reach.
pub const PASSWORD_GATE: [&str; 3] = [
    CHANGE_PASSWORD,
    "/api/auth/change_password",
    "/api/auth/sign_out",
];
/// What an admin who must first enrol two-factor sign-in may reach.
pub const TWO_FACTOR_GATE: [&str; 5] = [
    TWO_FACTOR,
    "/api/two_factor/status",
    "/api/two_factor/begin",
    "/api/two_factor/confirm",
    "/api/auth/sign_out",
];

/// Server functions a page calls on its own (the header's balance refresh, the index status
/// page's and the customer timeline's polling): they prove a tab is open, not that anyone is there, so they never extend
/// the idle timeout.
pub const BACKGROUND_FNS: [&str; 5] = [
    "/api/wallet/summary",
    "/api/index/status",
    "/api/customers/timeline",
    "/api/domains/timeline",
    "/api/orders/status",
];

/// Reads that may start while their session check is still under way, for a session this
/// instance confirmed a moment ago (`server::auth::guard`): their answer waits for the check,
/// but their CMR call need not. Only server functions that change nothing belong here (no CMR
/// write, no database write of their own, no audit entry): one that the check then refuses has
/// run all the same. What they do besides answering is what any read does: the budget counts
/// their CMR calls, the read cache keeps the answer, and the partner index takes in what CMR
/// showed (CMR's own data, tied to no one). Reads answered from the database alone are not
/// here: beside their check they would only take a second pooled connection.
pub const READ_AHEAD_FNS: [&str; 6] = [
    "/api/customers/list",
    "/api/customers/get",
    "/api/customers/profile",
    "/api/domains/get",
    "/api/wallet/summary",
    "/api/home/summary",
];

/// One area of the dashboard: its top-level path and its name in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    pub path: &'static str,
    pub label: &'static str,
}

const fn area(path: &'static str, label: &'static str) -> Area {
    Area { path, label }
}

/// The areas, in navigation order (Home comes first on its own). An area listed here is in
/// the navigation and answers (behind sign-in) with "not built yet" until its pages register
/// their own routes.
pub const AREAS: &[Area] = &[
    area(CUSTOMERS, "Customers"),
    area(SEARCH, "Search"),
    area(DOMAINS, "Domains"),
    area(ORDERS, "Orders"),
    area(MAILBOXES, "Mailboxes"),
    area(SUBSCRIPTIONS, "Subscriptions"),
    area(WALLET, "Wallet"),
    area(AUDIT, "Audit"),
    area(STAFF, "Staff"),
];

/// The area whose top-level path is `path`.
pub fn area_at(path: &str) -> Option<Area> {
    AREAS.iter().copied().find(|a| a.path == path)
}

/// Whether `path` answers without a session.
pub fn is_public(path: &str) -> bool {
    [
        SIGN_IN,
        SIGN_IN_CODE,
        SETUP,
        HEALTH,
        READY,
        FAVICON,
        SIGN_IN_FN,
        SIGN_IN_CODE_FN,
        SETUP_FN,
        WEBHOOK,
    ]
    .contains(&path)
        || path.starts_with(ASSETS_PREFIX)
}

/// A staff account's page (admins).
pub fn staff_account(id: i64) -> String {
    format!("{STAFF}/{id}")
}

/// The audit log filtered to one record (`customer`, `domain`, …).
pub fn audit_of(kind: &str, id: &str) -> String {
    format!(
        "{AUDIT}?{}",
        query(&[
            ("target_kind", kind.to_string()),
            ("target_id", id.to_string())
        ])
    )
}

/// A customer's profile.
pub fn customer(id: &str) -> String {
    format!("{CUSTOMERS}/{}", encode(id))
}

/// A customer's edit form.
pub fn customer_edit(id: &str) -> String {
    format!("{}/edit", customer(id))
}

/// A domain's page.
pub fn domain(name: &str) -> String {
    format!("{DOMAINS}/{}", encode(name))
}

/// A domain's DNS records.
pub fn domain_dns(name: &str) -> String {
    format!("{}/dns", domain(name))
}

/// A mailbox's page.
pub fn mailbox(id: &str) -> String {
    format!("{MAILBOXES}/{}", encode(id))
}

/// The dashboard's record of an order.
pub fn order(id: i64) -> String {
    format!("{ORDERS}/{id}")
}

/// A new order for a customer.
pub fn new_order(customer_id: &str) -> String {
    format!("{}/orders/new", customer(customer_id))
}

/// The renewal review of one subscription.
pub fn subscription_renew(id: &str) -> String {
    format!("{SUBSCRIPTIONS_RENEW}?s={}", encode(id))
}

/// The renewal review of `names`.
pub fn domains_renew<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let query: Vec<String> = names
        .into_iter()
        .map(|n| format!("d={}", encode(n)))
        .collect();
    format!("{DOMAINS_RENEW}?{}", query.join("&"))
}

/// A URL query from its pairs, each value percent-encoded: `a=1&b=x%20y`.
pub fn query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A CMR id in a URL path segment or query value: ids are opaque, so encode anything unusual.
pub fn encode(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.~".contains(c) {
                c.to_string()
            } else {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_reserved_characters_stay_one_path_segment() {
        assert_eq!(customer("A/B?c"), "/customers/A%2FB%3Fc");
        assert_eq!(customer_edit("X1"), "/customers/X1/edit");
    }

    #[test]
    fn only_sign_in_setup_health_and_assets_are_public() {
        for path in [SIGN_IN, SETUP, HEALTH, SIGN_IN_FN, "/pkg/cmr-admin.wasm"] {
            assert!(is_public(path), "{path}");
        }
        for path in [
            HOME,
            CUSTOMERS,
            "/api/customers/list",
            "/pkgx",
            BACKGROUND_FNS[0],
        ] {
            assert!(!is_public(path), "{path}");
        }
    }
}
