//! Cross-site refusal, security headers, and that the CMR key never leaves the server.

use crate::common;

use app::error::AppError;
use app::model::Role;
use common::{captured_logs, spawn, CMR_KEY, PASSWORD};
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn a_cross_site_post_is_refused(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let form = [("email", "ann@example.com"), ("password", PASSWORD)];
    let post = |headers: Vec<(&'static str, &'static str)>| {
        let mut req = app
            .http()
            .post(format!("{}/api/auth/sign_in", app.url))
            .form(&form);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let res = post(vec![("sec-fetch-site", "cross-site")]).await.unwrap();
    assert_eq!(res.status(), 403);
    let res = post(vec![("origin", "https://evil.example")])
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = post(vec![("sec-fetch-site", "same-origin")]).await.unwrap();
    assert_eq!(
        res.status(),
        200,
        "the same request from our own page works"
    );
}

fn assert_security_headers(what: &str, headers: &reqwest::header::HeaderMap) {
    let get = |name: &str| {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let csp = get("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!csp.contains("'unsafe-eval'"), "{what}: {csp}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "same-origin", "{what}");
}

#[sqlx::test(migrations = "../migrations")]
async fn security_headers_are_on_pages_static_files_and_server_functions(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;

    let page = app.get("/", Some(&cookie)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<nav"), "the shell rendered");
    assert_security_headers("HTML page", &page.headers);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("'wasm-unsafe-eval'"),
        "hydration can compile wasm: {csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "scripts carry the nonce"
    );
    assert_eq!(page.headers["cache-control"], "no-store");

    let sign_in_page = app.get("/sign-in", None).await;
    assert_security_headers("public page", &sign_in_page.headers);

    let css = app.get("/pkg/cmr-admin.css", None).await;
    assert_eq!(css.status, 200);
    assert_security_headers("/pkg file", &css.headers);

    let server_fn = app.call("/api/auth/whoami", Some(&cookie), &[]).await;
    assert_eq!(server_fn.status, 200);
    assert_security_headers("server function", &server_fn.headers);

    let refused = app.call("/api/auth/whoami", None, &[]).await;
    assert_security_headers("refused server function", &refused.headers);
    assert!(
        !sign_in_page
            .headers
            .contains_key("strict-transport-security"),
        "no HSTS over plain http"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn anonymous_page_requests_go_to_sign_in(db: PgPool) {
    let app = spawn(db).await;
    let answer = app.get("/customers?page=2", None).await;
    assert_eq!(answer.status, 303);
    assert_eq!(
        answer.headers["location"],
        "/sign-in?next=%2Fcustomers%3Fpage%3D2"
    );
    assert_eq!(app.get("/healthz", None).await.status, 200);
    assert_eq!(app.get("/sign-in", None).await.status, 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unknown_page_is_a_404_inside_the_shell(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let answer = app.get("/no/such/page", Some(&cookie)).await;
    assert_eq!(answer.status, 404);
    assert!(answer.body.contains("Page not found"));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_cmr_key_and_passwords_never_appear_in_a_response_or_a_log_line(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Admin).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let mut bodies = Vec::new();
    for path in ["/", "/staff", "/account/password", "/no/such/page"] {
        let answer = app.get(path, Some(&cookie)).await;
        bodies.push(format!("{:?}{}", answer.headers, answer.body));
    }
    for path in ["/api/wallet/summary", "/api/auth/whoami", "/api/staff/list"] {
        let answer = app.call(path, Some(&cookie), &[]).await;
        assert!(answer.is_ok(), "{path}: {}", answer.body);
        bodies.push(format!("{:?}{}", answer.headers, answer.body));
    }
    // The key really was used: the sandbox saw it on the wallet call.
    let requests = app.sandbox.control.requests();
    assert!(requests.iter().any(|r| r
        .headers
        .iter()
        .any(|(k, v)| k == "cmr-x-api-key" && v == CMR_KEY)));
    for body in &bodies {
        assert!(!body.contains(CMR_KEY), "a response leaked the key: {body}");
    }
    assert!(
        !captured_logs().contains(CMR_KEY),
        "a log line leaked the key"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn every_response_carries_a_request_id_that_an_internal_error_names(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let ok = app.call("/api/auth/whoami", Some(&cookie), &[]).await;
    let first = ok.headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(first.len(), 12);
    let again = app.call("/api/auth/whoami", Some(&cookie), &[]).await;
    assert_ne!(
        again.headers["x-request-id"].to_str().unwrap(),
        first,
        "one id per request"
    );

    // The staff table is gone: the guard cannot resolve the session.
    sqlx::query("ALTER TABLE staff RENAME TO staff_moved")
        .execute(&app.state.db)
        .await
        .unwrap();
    let broken = app.call("/api/auth/whoami", Some(&cookie), &[]).await;
    let id = broken.headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(broken.status, 500);
    assert_eq!(broken.error(), AppError::Internal(id.clone()));
    assert!(
        !broken.body.contains("staff"),
        "no internals: {}",
        broken.body
    );
    let logs = captured_logs();
    let line = logs
        .lines()
        .find(|l| l.contains(&format!("reference={id}")))
        .expect("the log line with the reference");
    assert!(
        line.contains(&format!("id={id}")),
        "inside the request's span: {line}"
    );
}

/// Every area in the route table is in the navigation, sits behind sign-in, and answers: with
/// its page when built, with "not built yet" otherwise. Anything else is a 404.
#[sqlx::test(migrations = "../migrations")]
async fn every_area_in_the_route_table_is_guarded_and_served(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Admin).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let home = app.get("/", Some(&cookie)).await;
    for area in app::routes::AREAS.iter() {
        let nav_link = format!("href=\"{}\"", area.path);
        assert!(
            home.body.contains(&nav_link),
            "{} is in the navigation",
            area.path
        );

        let anonymous = app.get(area.path, None).await;
        assert_eq!(
            anonymous.status, 303,
            "{}: anonymous is sent to sign in",
            area.path
        );

        let page = app.get(area.path, Some(&cookie)).await;
        assert_eq!(page.status, 200, "{}", area.path);
        let title = format!("<title>{} · CMR Admin</title>", area.label);
        assert!(page.body.contains(&title), "{}: {title}", area.path);
        let built = [
            app::routes::CUSTOMERS,
            app::routes::SEARCH,
            app::routes::DOMAINS,
            app::routes::ORDERS,
            app::routes::MAILBOXES,
            app::routes::SUBSCRIPTIONS,
            app::routes::WALLET,
            app::routes::AUDIT,
            app::routes::STAFF,
        ]
        .contains(&area.path);
        assert_eq!(
            page.body.contains("not built yet"),
            !built,
            "{}: built areas show their page, the rest say so",
            area.path
        );
    }
    for path in ["/nowhere", "/customersx", "/domains/extra/deep"] {
        assert_eq!(app.get(path, Some(&cookie)).await.status, 404, "{path}");
    }
}

/// A service's log line sits in the request's span (request id, staff id) and the service's
/// own span (its name and target), and names none of the form's values.
#[sqlx::test(migrations = "../migrations")]
async fn a_service_log_line_names_the_request_the_staff_member_and_the_target(db: PgPool) {
    let app = spawn(db).await;
    let staff = app.staff("ed@example.com", Role::Editor).await;
    let cookie = app.sign_in("ed@example.com", PASSWORD).await;
    let user = app.sandbox.control.users().remove(0);
    let mut edited = user.profile.clone();
    edited.city = "Tracetown".into();
    // CMR applies the change, but its audit entry cannot be written: logged, not hidden.
    sqlx::query("ALTER TABLE audit_log RENAME TO audit_log_moved")
        .execute(&app.state.db)
        .await
        .unwrap();
    let form = common::update_form(&user.id, &user.profile, &edited);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let answer = app
        .call("/api/customers/update", Some(&cookie), &pairs)
        .await;
    assert!(answer.is_ok(), "staff hear CMR's answer: {}", answer.body);
    let request_id = answer.headers["x-request-id"].to_str().unwrap().to_string();
    let logs = captured_logs();
    let line = logs
        .lines()
        .find(|l| {
            l.contains(&format!("id={request_id}")) && l.contains("audit entry was not written")
        })
        .expect("the log line of this request");
    for expected in [
        format!("staff_id={}", staff.id),
        "customer.update".to_string(),
        format!("target={}", user.id),
    ] {
        assert!(line.contains(&expected), "{expected} in {line}");
    }
    assert!(!line.contains("Tracetown"), "no form values: {line}");
}
