//! The partner-wide domain list and its CSV export, read from the index.

use crate::common;

use app::model::domain::DomainList;
use app::model::Role;
use cmr::types::DomainStatus;
use common::{fill_index, spawn, TestApp, PASSWORD};
use sqlx::PgPool;

async fn filled(db: &PgPool) -> (TestApp, String) {
    let app = spawn(db.clone()).await;
    fill_index(&app, db).await;
    app.staff("viv@example.com", Role::Viewer).await;
    let cookie = app.sign_in("viv@example.com", PASSWORD).await;
    (app, cookie)
}

async fn list(app: &TestApp, cookie: &str, form: &[(&str, &str)]) -> DomainList {
    let answer = app.call("/api/domains/list", Some(cookie), form).await;
    assert!(answer.is_ok(), "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_list_filters_orders_and_pages_the_whole_partner(db: PgPool) {
    let (app, cookie) = filled(&db).await;
    let domains = app.sandbox.control.domains();

    let all = list(&app, &cookie, &[("filter[page]", "1")]).await;
    assert_eq!(all.total, domains.len() as i64);
    let dates: Vec<&String> = all
        .rows
        .iter()
        .filter_map(|r| r.expires_on.as_ref())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "soonest expiry first");

    let grace = list(&app, &cookie, &[("filter[status]", "GRACE_PERIOD")]).await;
    let expected = domains
        .iter()
        .filter(|d| d.status == DomainStatus::GracePeriod)
        .count();
    assert!(expected > 0);
    assert_eq!(grace.total, expected as i64);
    assert!(grace.rows.iter().all(|r| r.status == "GRACE_PERIOD"));
    assert!(grace
        .rows
        .iter()
        .all(|r| r.days_left.is_some_and(|d| d < 0)));

    // By the owner's name.
    let owner = app.sandbox.control.users().remove(0);
    let by_owner = list(&app, &cookie, &[("filter[q]", &owner.profile.last_name)]).await;
    assert!(by_owner.total > 0);
    assert!(
        by_owner.rows.iter().all(|r| r.customer_id == owner.id),
        "{by_owner:?}"
    );

    // By name, in name order, one page at a time.
    let named = list(
        &app,
        &cookie,
        &[("filter[sort]", "Name"), ("filter[page]", "1")],
    )
    .await;
    let names: Vec<&String> = named.rows.iter().map(|r| &r.name).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let beyond = list(&app, &cookie, &[("filter[page]", "99")]).await;
    assert!(beyond.rows.is_empty() && beyond.total == all.total);

    let refused = app
        .call(
            "/api/domains/list",
            Some(&cookie),
            &[("filter[status]", "x'; drop")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_export_holds_the_filtered_rows_for_signed_in_staff_only(db: PgPool) {
    let (app, cookie) = filled(&db).await;
    let grace = list(&app, &cookie, &[("filter[status]", "GRACE_PERIOD")]).await;
    let export = app
        .get("/domains/export.csv?status=GRACE_PERIOD", Some(&cookie))
        .await;
    assert_eq!(export.status, 200);
    assert!(export.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(export.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("domains-"));
    let lines: Vec<&str> = export.body.trim_end().split("\r\n").collect();
    assert!(lines[0].starts_with("domain,customer,"));
    assert_eq!(lines.len() - 1, grace.total as usize);
    for row in &grace.rows {
        assert!(export.body.contains(&row.name));
    }
    let anonymous = app.get("/domains/export.csv", None).await;
    assert_eq!(anonymous.status, 303, "sent to sign in");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_expiry_radar_groups_what_needs_a_decision_and_the_home_page_links_to_it(db: PgPool) {
    let (app, cookie) = filled(&db).await;
    let today = app.state.clock.now().date();
    let days_left = |d: &cmr::types::Domain| {
        let expiry = d.expiry_date.as_deref().and_then(|t| t.get(..10)).unwrap();
        let expiry = time::Date::parse(
            expiry,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .unwrap();
        (expiry - today).whole_days()
    };
    let domains = app.sandbox.control.domains();
    let expected_grace = domains
        .iter()
        .filter(|d| {
            d.status == DomainStatus::GracePeriod
                || (!matches!(d.status, DomainStatus::Expired | DomainStatus::Renewing)
                    && (-7..0).contains(&days_left(d)))
        })
        .count() as i64;
    let expiring = |d: &&cmr::types::Domain| {
        // A renewing domain needs no decision: only ACTIVE ones count.
        d.status == DomainStatus::Active && (0..=45).contains(&days_left(d))
    };
    let expected_expiring = domains.iter().filter(expiring).count() as i64;
    let expected_manual = domains
        .iter()
        .filter(expiring)
        .filter(|d| !d.auto_renew)
        .count() as i64;

    let all = list(&app, &cookie, &[("filter[page]", "1")]).await;
    assert_eq!(all.radar.grace, expected_grace);
    assert_eq!(all.radar.expiring, expected_expiring);
    assert_eq!(all.radar.expiring_manual, expected_manual);
    assert!(all.radar.grace > 0 && all.radar.expiring > 0 && all.radar.expired > 0);

    for (due, count) in [
        ("grace", all.radar.grace),
        ("expiring", all.radar.expiring),
        ("expiring-manual", all.radar.expiring_manual),
        ("expired", all.radar.expired),
    ] {
        let group = list(&app, &cookie, &[("filter[due]", due)]).await;
        assert_eq!(group.total, count, "{due}");
    }
    let manual = list(&app, &cookie, &[("filter[due]", "expiring-manual")]).await;
    assert!(manual.rows.iter().all(|r| !r.auto_renew));
    let refused = app
        .call(
            "/api/domains/list",
            Some(&cookie),
            &[("filter[due]", "someday")],
        )
        .await;
    assert_eq!(refused.status, 422);

    let home = app.get("/", Some(&cookie)).await;
    assert!(
        home.body.contains("/domains?due=grace"),
        "the home page links to the radar"
    );
    let page = app.get("/domains?due=grace", Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Expiry radar"));
}
