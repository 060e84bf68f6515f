use std::time::Duration;

use cmr::types::{DomainStatus, Money, ServiceProvider, WorkspaceQuery};
use cmr::CmrError;
use cmr_sandbox::LifecycleTimings;

use crate::common::{body_keys, domain_in, domains_of, harness, only_request, query, sorted};

#[tokio::test]
async fn a_users_domains_are_listed_by_user_id() {
    let h = harness();
    let user = h.control().users()[1].clone();
    let expected = domains_of(h.control(), &user.id);
    assert!(!expected.is_empty());
    let page = h.client.user_domains(&user.id).await.expect("domains").data;
    assert_eq!(page.items, expected);
    let d = &page.items[0];
    assert!(!d.domain_id.is_empty() && d.domain_name.contains('.'));
    assert!(d.expiry_date.is_some() && d.creation_time.is_some());
    assert!(d.service_provider.is_some());
    let request = only_request(h.control(), "GET", "/domains/by-user");
    assert_eq!(query(&request), [("userId", user.id.as_str())]);
}

#[tokio::test]
async fn an_unknown_user_id_lists_no_domains_rather_than_failing() {
    let h = harness();
    let page = h
        .client
        .user_domains("NOT_A_USER")
        .await
        .expect("empty list")
        .data;
    assert!(page.items.is_empty());
}

#[tokio::test]
async fn renewal_prices_send_user_id_in_the_body_and_decode_string_prices() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::GracePeriod);
    let names = vec![domain.domain_name.clone()];
    let prices = h
        .client
        .domain_renewal_prices(&owner, &names)
        .await
        .expect("prices");
    assert_eq!(prices.message, "Domain renewal prices fetched successfully");
    let price = &prices.data[0];
    assert_eq!(price.domain_name, domain.domain_name);
    assert_eq!(price.domain_id, domain.domain_id);
    assert_eq!(price.years, 1);
    assert!(price.renewal_price.is_some_and(|p| p > Money::ZERO));
    assert_eq!(price.expire_on, domain.expiry_date);

    let request = only_request(h.control(), "POST", "/domains/renewal-price");
    assert!(request.query.is_empty(), "userId goes in the body here");
    assert_eq!(body_keys(&request), sorted(&["userId", "domains"]));
    assert_eq!(
        request.body.as_ref().unwrap()["domains"][0],
        domain.domain_name
    );
}

#[tokio::test]
async fn renewing_a_domain_in_grace_debits_the_wallet_and_passes_through_renewing() {
    let h = harness();
    h.control()
        .set_timings(LifecycleTimings::uniform(Duration::from_millis(150)));
    let (owner, domain) = domain_in(h.control(), DomainStatus::GracePeriod);
    let names = vec![domain.domain_name.clone()];
    let price = h
        .client
        .domain_renewal_prices(&owner, &names)
        .await
        .unwrap()
        .data[0]
        .renewal_price
        .expect("a stated price");
    let before = h.control().wallet_balance();

    let reply = h.client.renew_domains(&owner, &names).await.expect("renew");
    assert!(reply.action_id.is_some());
    assert_eq!(
        h.control().wallet_balance(),
        before.checked_sub(price).unwrap()
    );
    let request = only_request(h.control(), "POST", "/domains/renew");
    assert_eq!(body_keys(&request), sorted(&["userId", "domains"]));

    let status = |h: &crate::common::Harness| {
        domains_of(h.control(), &owner)
            .into_iter()
            .find(|d| d.domain_id == domain.domain_id)
            .map(|d| (d.status, d.expiry_date))
            .unwrap()
    };
    assert_eq!(status(&h).0, DomainStatus::Renewing);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (after, expiry) = status(&h);
    assert_eq!(after, DomainStatus::Active);
    assert!(expiry > domain.expiry_date, "expiry moved forward");
}

#[tokio::test]
async fn an_expired_domain_cannot_be_renewed() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Expired);
    let before = h.control().wallet_balance();
    let err = h
        .client
        .renew_domains(&owner, &[&domain.domain_name])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CmrError::Validation { status: 422, .. }),
        "{err:?}"
    );
    assert!(err.message().unwrap().contains("expired"));
    assert_eq!(h.control().wallet_balance(), before);
}

#[tokio::test]
async fn renewing_without_enough_balance_is_payment_required() {
    let h = harness();
    h.control().set_wallet_balance(Money::from_cents(100));
    let (owner, domain) = domain_in(h.control(), DomainStatus::GracePeriod);
    let err = h
        .client
        .renew_domains(&owner, &[&domain.domain_name])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        CmrError::PaymentRequired {
            message: "Insufficient wallet balance".into()
        }
    );
    assert_eq!(h.control().wallet_balance(), Money::from_cents(100));
    let (_, still) = domain_in(h.control(), DomainStatus::GracePeriod);
    assert_eq!(still.domain_id, domain.domain_id, "status unchanged");
}

#[tokio::test]
async fn toggling_auto_renew_patches_the_documented_body() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Active);
    let names = vec![domain.domain_name.clone()];
    let reply = h
        .client
        .set_domain_auto_renew(&owner, &names, false)
        .await
        .expect("toggle");
    assert_eq!(reply.message, "Auto-renew toggled off for 1 domain.");
    assert_eq!(reply.data.len(), 1);
    assert_eq!(reply.data[0].domain_id, domain.domain_id);
    assert!(!reply.data[0].auto_renew);
    let request = only_request(h.control(), "PATCH", "/domains/toggle-auto-renew");
    assert_eq!(
        body_keys(&request),
        sorted(&["userId", "domains", "autoRenew"])
    );
    assert_eq!(request.body.as_ref().unwrap()["autoRenew"], false);
}

#[tokio::test]
async fn forwarding_calls_send_the_user_the_domain_and_the_target() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Transferred);
    let name = domain.domain_name.clone();
    h.client
        .add_domain_forwarding(&owner, &name, "https://example.org/landing")
        .await
        .expect("domain forwarding");
    h.client
        .add_email_forwarding(&owner, &name, "inbox@example.org")
        .await
        .expect("email forwarding");
    for path in ["/domains/domain-forwarding", "/domains/email-forwarding"] {
        let request = only_request(h.control(), "POST", path);
        assert_eq!(
            body_keys(&request),
            sorted(&["userId", "domain", "forwardTo"])
        );
    }
    let forwarding = || {
        domains_of(h.control(), &owner)
            .into_iter()
            .find(|d| d.domain_id == domain.domain_id)
            .unwrap()
    };
    // Asynchronous at CMR (reference §4.3): accepted now, applied later.
    let now = forwarding();
    assert_ne!(
        now.domain_forwarding
            .and_then(|f| f.get("forwardTo").cloned()),
        Some("https://example.org/landing".into())
    );
    h.control()
        .set_timings(LifecycleTimings::uniform(Duration::ZERO));
    let after = forwarding();
    assert_eq!(
        after.domain_forwarding.unwrap()["forwardTo"],
        "https://example.org/landing"
    );
    assert_eq!(
        after.email_forwarding.unwrap()["forwardTo"],
        "inbox@example.org"
    );
}

#[tokio::test]
async fn email_forwarding_waits_for_active_mailboxes() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Pending);
    let err = h
        .client
        .add_email_forwarding(&owner, &domain.domain_name, "inbox@example.org")
        .await
        .unwrap_err();
    assert!(
        matches!(err, CmrError::Validation { status: 422, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_domain_with_mailboxes_cannot_be_removed_but_one_without_can() {
    let h = harness();
    let (owner, busy) = domain_in(h.control(), DomainStatus::GracePeriod);
    let err = h
        .client
        .remove_domains(&owner, &[&busy.domain_name])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CmrError::Validation { status: 422, .. }),
        "{err:?}"
    );

    let (owner, idle) = domain_in(h.control(), DomainStatus::Inactive);
    h.client
        .remove_domains(&owner, &[&idle.domain_name])
        .await
        .expect("remove");
    let requests = h.control().requests_to("DELETE", "/domains/remove");
    let last = requests.last().unwrap();
    assert_eq!(query(last), [("userId", owner.as_str())]);
    assert_eq!(body_keys(last), sorted(&["domains"]));
    assert!(domains_of(h.control(), &owner)
        .iter()
        .all(|d| d.domain_id != idle.domain_id));
}

fn workspace_query(name: &str, provider: Option<ServiceProvider>) -> WorkspaceQuery {
    WorkspaceQuery {
        domain_name: name.into(),
        service_provider: provider,
    }
}

#[tokio::test]
async fn checking_workspaces_posts_the_bulk_body_and_reads_each_item() {
    let h = harness();
    let with_mailbox = h.control().mailboxes()[0].domain.clone();
    h.control().stall_workspace_check("slow-registry.net");
    let queries = [
        workspace_query("fresh-sender.com", Some(ServiceProvider::Google)),
        workspace_query(&with_mailbox, None),
        workspace_query("slow-registry.net", Some(ServiceProvider::Microsoft)),
    ];
    let checks = h
        .client
        .check_workspaces(&queries)
        .await
        .expect("checked")
        .data;
    let seen: Vec<(&str, bool, Option<&str>)> = checks
        .iter()
        .map(|c| (c.domain_name.as_str(), c.is_clear(), c.error.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            ("fresh-sender.com", true, None),
            (
                with_mailbox.as_str(),
                false,
                Some("Workspace already exists")
            ),
            (
                "slow-registry.net",
                false,
                Some("Workspace check timed out after 15 s")
            ),
        ]
    );

    let request = only_request(h.control(), "POST", "/domains/has-workspace");
    assert!(request.query.is_empty(), "a partner-level call");
    assert_eq!(body_keys(&request), sorted(&["domains"]));
    assert_eq!(
        request.body.unwrap()["domains"],
        serde_json::json!([
            { "domainName": "fresh-sender.com", "serviceProvider": "GOOGLE" },
            { "domainName": with_mailbox },
            { "domainName": "slow-registry.net", "serviceProvider": "MICROSOFT" },
        ])
    );
}

#[tokio::test]
async fn workspace_check_items_decode_from_status_words_or_booleans() {
    let h = harness();
    h.control().respond_with(
        "/domains/has-workspace",
        200,
        r#"{"status":200,"message":"ok","data":[
            {"domainName":"a.com","status":"success"},
            {"domainName":"b.com","status":"failed","error":"Workspace already exists"},
            {"domain":"c.com","success":true,"error":null},
            {"domain":"d.com","success":false,"error":"Workspace check timed out"},
            {"domainName":"e.com","status":"TIMEOUT"},
            {"domainName":"f.com"}]}"#,
        1,
    );
    h.control().respond_with(
        "/domains/has-workspace",
        200,
        r#"{"status":200,"message":"ok","data":{"results":[
            {"domain":"g.com","success":"true"}]}}"#,
        1,
    );
    let names = ["a.com", "b.com", "c.com", "d.com", "e.com", "f.com"];
    let queries: Vec<_> = names.iter().map(|n| workspace_query(n, None)).collect();
    let checks = h
        .client
        .check_workspaces(&queries)
        .await
        .expect("decodes")
        .data;
    let clear: Vec<(&str, bool)> = checks
        .iter()
        .map(|c| (c.domain_name.as_str(), c.is_clear()))
        .collect();
    assert_eq!(
        clear,
        [
            ("a.com", true),
            ("b.com", false),
            ("c.com", true),
            ("d.com", false),
            ("e.com", false),
            ("f.com", false),
        ],
        "only an explicit success is clear"
    );
    assert_eq!(checks[1].error.as_deref(), Some("Workspace already exists"));

    let wrapped = h
        .client
        .check_workspaces(&[workspace_query("g.com", None)])
        .await
        .expect("decodes")
        .data;
    assert_eq!(wrapped.len(), 1);
    assert!(wrapped[0].is_clear() && wrapped[0].domain_name == "g.com");
}
