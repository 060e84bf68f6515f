//! `POST /domains/has-workspace` (reference §4.3) over HTTP: the single form's "Workspace not
//! exists" or 409, the bulk form's per-domain items, what counts as a workspace (a mailbox
//! here, `add_workspace`, a name containing `workspace`), a stalled check, and refusals.

mod common;

use common::Api;
use serde_json::{json, Value};

const PATH: &str = "/domains/has-workspace";

/// A seeded domain with a mailbox, and one without (TRANSFERRED and INACTIVE have none).
fn seeded_names(api: &Api) -> (String, String) {
    let mailboxes = api.control().mailboxes();
    let with_mailbox = mailboxes[0].domain.clone();
    let without = api
        .control()
        .domains()
        .into_iter()
        .find(|d| !mailboxes.iter().any(|m| m.domain == d.domain_name))
        .expect("the seed has a domain without mailboxes")
        .domain_name;
    (with_mailbox, without)
}

#[tokio::test]
async fn the_single_form_says_workspace_not_exists_or_409_when_one_exists() {
    let api = Api::seeded();
    let (with_mailbox, without) = seeded_names(&api);
    api.control().add_workspace("Set-Up-Elsewhere.com");

    let clear = api
        .post(
            PATH,
            &json!({ "domainName": "fresh-sender.com", "serviceProvider": "GOOGLE" }),
        )
        .await;
    assert_eq!(
        clear,
        (
            200,
            json!({ "status": 200, "message": "Workspace not exists", "data": null })
        )
    );
    assert_eq!(
        api.post(PATH, &json!({ "domainName": without })).await.0,
        200,
        "a domain here without mailboxes has no workspace"
    );
    for name in [
        with_mailbox.as_str(),
        "set-up-elsewhere.com",
        "acme-workspace.io",
    ] {
        let (status, body) = api.post(PATH, &json!({ "domainName": name })).await;
        assert_eq!(status, 409, "{name}: {body}");
        assert_eq!(
            body,
            json!({
                "status": 409,
                "message": format!("Workspace already exists for {name}"),
                "data": null,
            })
        );
    }
}

#[tokio::test]
async fn a_stalled_single_check_times_out_at_once() {
    let api = Api::seeded();
    api.control().stall_workspace_check("slow-registry.net");
    let (status, body) = api
        .post(PATH, &json!({ "domainName": "slow-registry.net" }))
        .await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["message"], "Workspace check timed out after 15 s");
}

#[tokio::test]
async fn the_bulk_form_reports_each_domain_in_order() {
    let api = Api::seeded();
    let (with_mailbox, without) = seeded_names(&api);
    api.control().add_workspace("set-up-elsewhere.com");
    api.control().stall_workspace_check("Slow-Registry.net");

    let (status, body) = api
        .post(
            PATH,
            &json!({ "domains": [
                { "domainName": "fresh-sender.com", "serviceProvider": "GOOGLE" },
                { "domainName": without },
                { "domainName": with_mailbox },
                { "domainName": "set-up-elsewhere.com", "serviceProvider": "MICROSOFT" },
                { "domainName": "team-workspace.org" },
                { "domainName": "slow-registry.net" },
            ] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let exists = |name: &str| json!({ "domainName": name, "status": "failed", "error": "Workspace already exists" });
    assert_eq!(
        body["data"],
        json!([
            { "domainName": "fresh-sender.com", "status": "success" },
            { "domainName": without, "status": "success" },
            exists(&with_mailbox),
            exists("set-up-elsewhere.com"),
            exists("team-workspace.org"),
            {
                "domainName": "slow-registry.net",
                "status": "failed",
                "error": "Workspace check timed out after 15 s",
            },
        ])
    );
}

#[tokio::test]
async fn a_check_without_domains_or_with_a_bad_item_is_refused() {
    let api = Api::seeded();
    let refusals: [(Value, u16); 7] = [
        (json!({}), 400),
        (json!({ "domains": [] }), 400),
        (json!({ "domains": null }), 400),
        (json!({ "domains": "a.com" }), 400),
        (json!({ "domains": [{ "serviceProvider": "GOOGLE" }] }), 400),
        (json!({ "domains": ["a.com"] }), 400),
        (
            json!({ "domains": [{ "domainName": "a.com", "serviceProvider": "YAHOO" }] }),
            422,
        ),
    ];
    for (body, expected) in refusals {
        let (status, answer) = api.post(PATH, &body).await;
        assert_eq!(status, expected, "{body} → {answer}");
        assert_eq!(answer["data"], Value::Null);
    }
    let both = json!({ "domainName": "a.com", "domains": [{ "domainName": "b.com" }] });
    assert_eq!(api.post(PATH, &both).await.0, 400);
}
