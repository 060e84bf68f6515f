//! The wallet page's runway (auto-renewals from the index against the balance) and the
//! header's amber and red balance, against the CMR sandbox.

use crate::common;

use app::model::runway::{DueKind, RunwayView};
use app::model::wallet::WalletLevel;
use app::model::{Role, WalletView};
use cmr::types::Money;
use common::{fill_index, spawn_with, TestApp, PASSWORD};
use sqlx::PgPool;

async fn ready(db: &PgPool) -> (TestApp, String) {
    // A faster budget than production's 5 a second: filling the index is most of the calls.
    let app = spawn_with(db.clone(), |c| c.cmr_requests_per_second = 50).await;
    fill_index(&app, db).await;
    app.staff("viv@example.com", Role::Viewer).await;
    let cookie = app.sign_in("viv@example.com", PASSWORD).await;
    (app, cookie)
}

async fn runway(app: &TestApp, cookie: &str) -> RunwayView {
    let answer = app
        .call("/api/wallet/runway", Some(cookie), &[("fresh", "true")])
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

/// Every auto-renewing subscription due within 90 days is in the forecast at mailboxes × price;
/// domains are priced from CMR a few customers per load until all are, and never count as free.
#[sqlx::test(migrations = "../migrations")]
async fn the_runway_counts_what_auto_renews_in_the_next_90_days(db: PgPool) {
    let (app, cookie) = ready(&db).await;
    let today = time::OffsetDateTime::now_utc().date();
    let within = |on: &Option<String>| {
        on.as_deref()
            .and_then(|d| d.get(..10))
            .and_then(|d| {
                time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok()
            })
            .is_some_and(|d| (d - today).whole_days() <= 90)
    };
    let subscriptions: Vec<_> = app
        .sandbox
        .control
        .subscriptions()
        .into_iter()
        .filter(|s| {
            s.auto_renew
                && matches!(s.subscription_status.as_str(), "ACTIVE" | "PAST_DUE")
                && within(&s.period_end)
        })
        .collect();
    let domains: Vec<_> = app
        .sandbox
        .control
        .domains()
        .into_iter()
        .filter(|d| {
            d.auto_renew
                && matches!(d.status.as_str(), "ACTIVE" | "GRACE_PERIOD")
                && within(&d.expiry_date)
        })
        .collect();
    assert!(!subscriptions.is_empty() && !domains.is_empty());

    let first = runway(&app, &cookie).await.runway;
    let subs: Vec<_> = first
        .items
        .iter()
        .filter(|i| i.kind == DueKind::Subscription)
        .collect();
    assert_eq!(subs.len(), subscriptions.len());
    for s in &subscriptions {
        let expected = s.price_per_mailbox.cents() * i64::from(s.total_mailbox_quantity);
        assert!(
            subs.iter().any(|i| i.label.starts_with(&s.domain)
                && i.amount.as_ref().map(|a| a.value.cents()) == Some(expected)),
            "{} at {expected}: {subs:?}",
            s.domain
        );
    }
    assert_eq!(
        first
            .items
            .iter()
            .filter(|i| i.kind == DueKind::Domain)
            .count(),
        domains.len()
    );

    // Unpriced domains get priced a few customers per load; a few loads price them all, at
    // CMR's own renewal prices.
    let mut last = first;
    for _ in 0..20 {
        if last.horizons[2].unpriced == 0 {
            break;
        }
        last = runway(&app, &cookie).await.runway;
    }
    assert_eq!(last.horizons[2].unpriced, 0, "{:?}", last.horizons);
    let prices = app
        .sandbox
        .control
        .requests_to("POST", "/domains/renewal-price");
    assert!(!prices.is_empty());
    let due_90: i64 = last
        .items
        .iter()
        .filter_map(|i| i.amount.as_ref())
        .map(|a| a.value.cents())
        .sum();
    assert_eq!(last.horizons[2].due.value.cents(), due_90);
    assert_eq!(
        last.horizons[2].after.value.cents(),
        last.balance.value.cents() - due_90
    );
    assert_eq!(last.balance.value, app.sandbox.control.wallet_balance());
}

/// A balance smaller than what is due runs out on the first renewal it cannot pay.
#[sqlx::test(migrations = "../migrations")]
async fn a_small_balance_runs_out_before_the_renewals(db: PgPool) {
    let (app, cookie) = ready(&db).await;
    app.sandbox.control.set_wallet_balance(Money::from_cents(1));
    let view = runway(&app, &cookie).await.runway;
    let out = view.runs_out.expect("runs out");
    let first_priced = view
        .items
        .iter()
        .find(|i| i.amount.is_some())
        .expect("a priced renewal");
    assert_eq!(out.label, first_priced.label);
    // An overdue renewal counts as due today.
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert_eq!(out.on, std::cmp::max(first_priced.on.clone(), today));
}

/// The header's balance turns amber, then red, below the configured thresholds, and says why.
#[sqlx::test(migrations = "../migrations")]
async fn the_header_balance_warns_below_the_thresholds(db: PgPool) {
    let app = spawn_with(db.clone(), |c| {
        c.wallet_alerts.low_below = Money::from_cents(100_000);
        c.wallet_alerts.critical_below = Money::from_cents(10_000);
    })
    .await;
    app.staff("viv@example.com", Role::Viewer).await;
    let cookie = app.sign_in("viv@example.com", PASSWORD).await;
    let summary = || {
        let (app, cookie) = (&app, &cookie);
        async move {
            let answer = app.call("/api/wallet/summary", Some(cookie), &[]).await;
            assert!(answer.is_ok(), "{}", answer.body);
            serde_json::from_str::<WalletView>(&answer.body).unwrap()
        }
    };
    app.sandbox
        .control
        .set_wallet_balance(Money::from_cents(200_000));
    app.state.reads.clear();
    assert_eq!(summary().await.level, WalletLevel::Fine);
    app.sandbox
        .control
        .set_wallet_balance(Money::from_cents(50_000));
    app.state.reads.clear();
    let low = summary().await;
    assert_eq!(low.level, WalletLevel::Low);
    assert!(low.note.unwrap().contains("1,000.00"));
    app.sandbox
        .control
        .set_wallet_balance(Money::from_cents(9_999));
    app.state.reads.clear();
    let critical = summary().await;
    assert_eq!(critical.level, WalletLevel::Critical);
    assert!(critical.note.unwrap().contains("critical"));
}
