use cmr::types::{NewUser, UserListQuery};
use cmr::CmrError;

use crate::common::{body_keys, customer_without_services, harness, only_request, query, sorted};

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        company: "Quillfeather Analytics".into(),
        first_name: "Nadia".into(),
        last_name: "Haddad".into(),
        country: "US".into(),
        city: "Portland".into(),
        address_line_one: "1120 NW Couch Street".into(),
        address_line_two: Some("Suite 300".into()),
        address_line_three: None,
        language_preference: "en".into(),
        postal_code: "97209".into(),
        state: "Oregon".into(),
        phone_cc: "1".into(),
        phone: "5035550110".into(),
    }
}

#[tokio::test]
async fn listing_users_sends_page_limit_and_search_and_decodes_the_page() {
    let h = harness();
    let query_in = UserListQuery {
        page: Some(2),
        limit: Some(5),
        search: None,
    };
    let reply = h.client.list_users(&query_in).await.expect("list users");
    let page = reply.data;
    assert_eq!(page.items.len(), 5);
    assert_eq!(page.pagination.total, Some(40));
    assert_eq!(page.pagination.current_page, 2);
    assert_eq!(page.pagination.total_pages, Some(8));
    assert!(page.pagination.has_next());
    assert!(page
        .items
        .iter()
        .all(|u| !u.id.is_empty() && !u.profile.email.is_empty()));

    let request = only_request(h.control(), "GET", "/users/list");
    assert_eq!(query(&request), [("page", "2"), ("limit", "5")]);
    assert!(request.body.is_none());
}

#[tokio::test]
async fn a_search_matches_email_name_company_and_id_case_insensitively() {
    let h = harness();
    let search = |s: &str| UserListQuery {
        search: Some(s.into()),
        ..UserListQuery::default()
    };
    let by_company = h
        .client
        .list_users(&search("LAKESHORE"))
        .await
        .unwrap()
        .data;
    assert_eq!(by_company.items.len(), 1);
    let hannah = &by_company.items[0];
    assert_eq!(hannah.profile.first_name, "Hannah");

    for needle in [
        hannah.id.to_lowercase(),
        "hannah kowalski".into(),
        "lakeshorerevenue.com".into(),
    ] {
        let found = h.client.list_users(&search(&needle)).await.unwrap().data;
        assert_eq!(found.items.len(), 1, "search {needle:?}");
        assert_eq!(found.items[0].id, hannah.id);
    }
    let sent = h.control().requests_to("GET", "/users/list");
    assert_eq!(
        sent[1].param("search"),
        Some(hannah.id.to_lowercase().as_str())
    );
}

#[tokio::test]
async fn the_list_limit_defaults_to_20_and_is_capped_at_100() {
    let h = harness();
    let default = h
        .client
        .list_users(&UserListQuery::default())
        .await
        .unwrap()
        .data;
    assert_eq!(default.items.len(), 20);
    assert_eq!(default.pagination.total_pages, Some(2));
    let capped = UserListQuery {
        limit: Some(500),
        ..UserListQuery::default()
    };
    let all = h.client.list_users(&capped).await.unwrap().data;
    assert_eq!(all.items.len(), 40);
    assert!(!all.pagination.has_next());
    assert_eq!(
        h.control().requests_to("GET", "/users/list")[0].raw_query,
        "",
        "no parameters sent when none are set"
    );
}

#[tokio::test]
async fn getting_a_user_returns_all_fourteen_profile_fields() {
    let h = harness();
    let expected = h
        .control()
        .users()
        .into_iter()
        .nth(28)
        .expect("seeded user");
    let reply = h.client.get_user(&expected.id).await.expect("get user");
    assert_eq!(reply.data.id, expected.id);
    assert_eq!(reply.data.profile, expected.profile);
    assert!(
        !reply.data.profile.address_line_three.is_empty(),
        "seed has line three"
    );
    assert!(reply.data.extra.contains_key("createdAt"));

    let request = only_request(h.control(), "GET", "/users");
    assert_eq!(query(&request), [("userId", expected.id.as_str())]);
}

#[tokio::test]
async fn creating_a_user_posts_the_documented_body_and_returns_the_new_id() {
    let h = harness();
    let reply = h
        .client
        .create_user(&new_user("nadia@quillfeather.io"))
        .await
        .expect("create user");
    assert_eq!(reply.message, "User created");
    assert_eq!(reply.data.id.len(), 28);
    assert!(reply
        .action_id
        .as_deref()
        .is_some_and(|a| a.starts_with("ACT_")));

    let request = only_request(h.control(), "POST", "/users");
    assert!(request.query.is_empty());
    assert_eq!(
        body_keys(&request),
        sorted(&[
            "email",
            "company",
            "firstName",
            "lastName",
            "country",
            "city",
            "addressLineOne",
            "addressLineTwo",
            "languagePreference",
            "postalCode",
            "state",
            "phoneCc",
            "phone",
        ]),
        "addressLineThree is left out when not given"
    );
    let stored = h.control().user(&reply.data.id).expect("stored");
    assert_eq!(stored.profile.address_line_two, "Suite 300");
    assert_eq!(stored.profile.email, "nadia@quillfeather.io");
}

#[tokio::test]
async fn a_missing_required_field_is_a_validation_error_naming_it() {
    let h = harness();
    let mut user = new_user("x@quillfeather.io");
    user.first_name.clear();
    let err = h.client.create_user(&user).await.unwrap_err();
    assert!(
        matches!(&err, CmrError::Validation { status: 422, message, .. } if message == "firstName is required"),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("firstName"));
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict_on_the_email_field() {
    let h = harness();
    let existing = h.control().users()[0].profile.email.to_uppercase();
    let err = h
        .client
        .create_user(&new_user(&existing))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CmrError::Conflict { message, field: Some(field), .. }
            if message == "Email already exists" && field == "email"),
        "{err:?}"
    );
}

#[tokio::test]
async fn updating_a_user_sends_all_fourteen_fields_and_changes_them() {
    let h = harness();
    let user = h.control().users()[5].clone();
    let mut profile = user.profile.clone();
    profile.city = "San Antonio".into();
    profile.address_line_two = String::new();
    let reply = h
        .client
        .update_user(&user.id, &profile, &[])
        .await
        .expect("update");
    assert_eq!(reply.message, "User credentials updated");

    let request = only_request(h.control(), "PUT", "/users");
    assert_eq!(query(&request), [("userId", user.id.as_str())]);
    // Spelled out rather than taken from `ProfileField`: this is the wire contract itself.
    let fourteen = [
        "firstName",
        "lastName",
        "company",
        "email",
        "phoneCc",
        "phone",
        "addressLineOne",
        "addressLineTwo",
        "addressLineThree",
        "city",
        "state",
        "postalCode",
        "country",
        "languagePreference",
    ];
    assert_eq!(body_keys(&request), sorted(&fourteen));
    assert_eq!(h.control().user(&user.id).unwrap().profile, profile);
}

#[tokio::test]
async fn updating_to_another_users_email_is_a_conflict() {
    let h = harness();
    let users = h.control().users();
    let mut profile = users[1].profile.clone();
    profile.email = users[2].profile.email.clone();
    let err = h
        .client
        .update_user(&users[1].id, &profile, &[])
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("email"));
    assert!(matches!(err, CmrError::Conflict { .. }));
    assert_eq!(
        h.control().user(&users[1].id).unwrap().profile,
        users[1].profile
    );
}

#[tokio::test]
async fn an_invalid_country_is_a_validation_error_on_country() {
    let h = harness();
    let user = h.control().users()[3].clone();
    let mut profile = user.profile.clone();
    profile.country = "USA".into();
    let err = h
        .client
        .update_user(&user.id, &profile, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CmrError::Validation { status: 422, .. }),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("country"));
}

#[tokio::test]
async fn an_unknown_user_id_is_not_found_with_cmrs_message() {
    let h = harness();
    let err = h.client.get_user("NO_SUCH_USER").await.unwrap_err();
    assert_eq!(
        err,
        CmrError::NotFound {
            message: "The requested user does not exist.".into()
        }
    );
}

#[tokio::test]
async fn user_level_calls_without_a_user_id_are_refused() {
    let h = harness();
    let err = h.client.get_user("").await.unwrap_err();
    assert!(
        matches!(&err, CmrError::Validation { status: 400, message, .. } if message == "Please provide a userId"),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("userId"));
}

#[tokio::test]
async fn a_userid_with_reserved_characters_arrives_as_one_value() {
    let h = harness();
    let tricky = "a&b=c/d?e#f g+h%20i";
    let err = h.client.get_user(tricky).await.unwrap_err();
    assert!(matches!(err, CmrError::NotFound { .. }), "{err:?}");

    let request = only_request(h.control(), "GET", "/users");
    assert_eq!(query(&request), [("userId", tricky)], "one intact value");
    for raw in ["%26", "%3D", "%2F", "%3F", "%23", "%20", "%2B", "%25"] {
        assert!(
            request.raw_query.contains(raw),
            "{raw} in {}",
            request.raw_query
        );
    }
}

#[tokio::test]
async fn deleting_a_user_without_domains_or_mailboxes_removes_them() {
    let h = harness();
    let user = customer_without_services(h.control());
    h.client.delete_user(&user.id).await.expect("delete");
    let request = only_request(h.control(), "DELETE", "/users");
    assert_eq!(query(&request), [("userId", user.id.as_str())]);
    assert!(h.control().user(&user.id).is_none());
}

#[tokio::test]
async fn deleting_a_user_with_domains_is_a_conflict_carrying_the_counts() {
    let h = harness();
    let user = h.control().users()[0].clone();
    let domains = crate::common::domains_of(h.control(), &user.id).len();
    let mailboxes = h
        .control()
        .mailboxes()
        .iter()
        .filter(|m| m.user_id.as_deref() == Some(&user.id))
        .count();
    assert!(domains > 0);
    let err = h.client.delete_user(&user.id).await.unwrap_err();
    let CmrError::Conflict { details, .. } = &err else {
        panic!("expected a conflict, got {err:?}")
    };
    let details = details.as_ref().expect("counts");
    assert_eq!(details["domainCount"], domains);
    assert_eq!(details["mailboxCount"], mailboxes);
    assert!(h.control().user(&user.id).is_some());
}
