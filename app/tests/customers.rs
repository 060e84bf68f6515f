//! The customer server functions over HTTP, against the CMR sandbox: the merged update, the
//! conflict rules, validation, CMR's errors, roles, deletion and the audit trail.

use crate::common;

use app::error::AppError;
use app::model::customer::{CustomerDetail, EditableProfile, SaveOutcome};
use app::model::Role;
use cmr::types::{ProfileField, User, UserProfile};
use common::{spawn, update_form, TestApp, PASSWORD};
use sqlx::PgPool;

async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(String, String)],
) -> common::Answer {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.call(path, Some(cookie), &pairs).await
}

async fn editor(app: &TestApp) -> String {
    app.staff("editor@example.com", Role::Editor).await;
    app.sign_in("editor@example.com", PASSWORD).await
}

/// A seeded customer that has domains (so it cannot be deleted) and one that has none.
fn customers(app: &TestApp) -> (User, User) {
    let users = app.sandbox.control.users();
    let domains = app.sandbox.control.domains();
    let owns = |u: &User| {
        domains
            .iter()
            .any(|d| d.extra.get("userId").and_then(|v| v.as_str()) == Some(u.id.as_str()))
    };
    let with = users
        .iter()
        .find(|u| owns(u))
        .cloned()
        .expect("a customer with domains");
    let without = users
        .iter()
        .find(|u| !owns(u))
        .cloned()
        .expect("a customer without domains");
    (with, without)
}

#[sqlx::test(migrations = "../migrations")]
async fn saving_three_fields_sends_one_put_with_the_whole_merged_profile(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, _) = customers(&app);
    let mut edited = user.profile.clone();
    edited.city = "Springfield".into();
    edited.company = "Renamed Ltd".into();
    edited.address_line_two = String::new(); // cleared on purpose
    app.sandbox.control.clear_requests();

    let answer = post(
        &app,
        "/api/customers/update",
        &cookie,
        &update_form(&user.id, &user.profile, &edited),
    )
    .await;
    assert!(answer.is_ok(), "{}", answer.body);
    let outcome: SaveOutcome = serde_json::from_str(&answer.body).unwrap();
    let SaveOutcome::Saved(mut fields) = outcome else {
        panic!("expected a save")
    };
    fields.sort();
    let mut expected = vec![ProfileField::City, ProfileField::Company];
    if !user.profile.address_line_two.is_empty() {
        expected.push(ProfileField::AddressLineTwo);
    }
    expected.sort();
    assert_eq!(fields, expected);

    let puts = app.sandbox.control.requests_to("PUT", "/users");
    assert_eq!(puts.len(), 1, "exactly one update call");
    assert_eq!(puts[0].query, [("userId".to_string(), user.id.clone())]);
    let body = puts[0].body.clone().unwrap();
    assert_eq!(
        body.as_object().unwrap().len(),
        14,
        "all 14 fields are sent: {body}"
    );
    assert_eq!(serde_json::from_value::<UserProfile>(body).unwrap(), edited);
    assert_eq!(app.sandbox.control.user(&user.id).unwrap().profile, edited);

    let changes: Vec<String> = sqlx::query_scalar(
        "SELECT jsonb_array_elements(changes)->>'field' FROM audit_log WHERE action = 'customer.update' AND target_id = $1",
    )
    .bind(&user.id)
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    let mut changes: Vec<ProfileField> = changes
        .iter()
        .map(|name| ProfileField::from_wire_name(name).expect("a profile field"))
        .collect();
    changes.sort();
    assert_eq!(
        changes, expected,
        "the audit entry records exactly the changed fields"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_change_made_elsewhere_meanwhile_is_kept(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, _) = customers(&app);
    let seen = user.profile.clone();
    let mut theirs = seen.clone();
    theirs.phone = "5550001111".into();
    app.state
        .cmr
        .update_user(&user.id, &theirs, &[])
        .await
        .unwrap();

    let mut edited = seen.clone();
    edited.city = "Springfield".into();
    let answer = post(
        &app,
        "/api/customers/update",
        &cookie,
        &update_form(&user.id, &seen, &edited),
    )
    .await;
    assert!(answer.is_ok(), "{}", answer.body);
    let now = app.sandbox.control.user(&user.id).unwrap().profile;
    assert_eq!(now.phone, "5550001111", "the other change survived");
    assert_eq!(now.city, "Springfield");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_field_changed_by_both_is_a_conflict_and_nothing_is_sent(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, _) = customers(&app);
    let seen = user.profile.clone();
    let mut theirs = seen.clone();
    theirs.city = "Theirville".into();
    app.state
        .cmr
        .update_user(&user.id, &theirs, &[])
        .await
        .unwrap();
    app.sandbox.control.clear_requests();

    let mut edited = seen.clone();
    edited.city = "Ourtown".into();
    let answer = post(
        &app,
        "/api/customers/update",
        &cookie,
        &update_form(&user.id, &seen, &edited),
    )
    .await;
    let AppError::EditConflict(conflicts) = answer.error() else {
        panic!("{}", answer.body)
    };
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (conflicts[0].yours.as_str(), conflicts[0].theirs.as_str()),
        ("Ourtown", "Theirville")
    );
    assert!(app.sandbox.control.requests_to("PUT", "/users").is_empty());
    assert_eq!(answer.status, 409);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unchanged_form_sends_nothing(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, _) = customers(&app);
    app.sandbox.control.clear_requests();
    let form = update_form(&user.id, &user.profile, &user.profile);
    let answer = post(&app, "/api/customers/update", &cookie, &form).await;
    assert_eq!(
        serde_json::from_str::<SaveOutcome>(&answer.body).unwrap(),
        SaveOutcome::NothingChanged
    );
    assert!(app.sandbox.control.requests_to("PUT", "/users").is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_duplicate_email_lands_on_the_email_field_and_changes_nothing(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, other) = customers(&app);
    let mut edited = user.profile.clone();
    edited.email = other.profile.email.clone();
    let answer = post(
        &app,
        "/api/customers/update",
        &cookie,
        &update_form(&user.id, &user.profile, &edited),
    )
    .await;
    let message = answer
        .error()
        .field("email")
        .expect("an error on the email field");
    assert!(
        message.to_lowercase().contains("already exists"),
        "{message}"
    );
    assert_eq!(
        app.sandbox.control.user(&user.id).unwrap().profile,
        user.profile
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn invalid_input_is_refused_before_cmr_is_called(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, _) = customers(&app);
    let mut edited = user.profile.clone();
    edited.country = "USA".into();
    edited.phone = "call me".into();
    edited.email = "not-an-email".into();
    edited.last_name = "   ".into();
    app.sandbox.control.clear_requests();
    let answer = post(
        &app,
        "/api/customers/update",
        &cookie,
        &update_form(&user.id, &user.profile, &edited),
    )
    .await;
    let AppError::Invalid(fields) = answer.error() else {
        panic!("{}", answer.body)
    };
    for field in ["country", "phone", "email", "lastName"] {
        assert!(fields.contains_key(field), "{field}: {fields:?}");
    }
    assert!(
        app.sandbox.control.requests().is_empty(),
        "CMR was not called"
    );

    let create: Vec<(String, String)> = vec![
        ("profile[firstName]".into(), "Only".into()),
        ("idempotency_key".into(), "0b7d2c8e-validation-only".into()),
    ];
    let answer = post(&app, "/api/customers/create", &cookie, &create).await;
    let AppError::Invalid(fields) = answer.error() else {
        panic!("{}", answer.body)
    };
    assert_eq!(
        fields.get("company").map(String::as_str),
        Some("Company is required.")
    );
    assert!(app.sandbox.control.requests_to("POST", "/users").is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn cmr_outages_and_a_bad_key_become_messages_staff_can_act_on(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, _) = customers(&app);
    let mut edited = user.profile.clone();
    edited.city = "Springfield".into();
    let form = update_form(&user.id, &user.profile, &edited);

    app.sandbox.control.force_status("/users", 503, 10, None);
    let answer = post(&app, "/api/customers/update", &cookie, &form).await;
    assert_eq!(answer.error(), AppError::Unavailable);
    assert_eq!(answer.status, 503);
    app.sandbox.control.clear_faults();

    app.sandbox.control.force_status("/users", 401, 10, None);
    let answer = post(&app, "/api/customers/update", &cookie, &form).await;
    assert_eq!(answer.error(), AppError::Misconfigured);
    app.sandbox.control.clear_faults();

    app.sandbox.control.force_status("/users", 429, 10, Some(7));
    let answer = post(&app, "/api/customers/update", &cookie, &form).await;
    assert!(
        matches!(answer.error(), AppError::RateLimited(_)),
        "{}",
        answer.body
    );
    app.sandbox.control.clear_faults();
    assert_eq!(
        app.sandbox.control.user(&user.id).unwrap().profile,
        user.profile,
        "nothing changed"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn roles_decide_who_may_change_and_delete_customers(db: PgPool) {
    let app = spawn(db).await;
    let (user, deletable) = customers(&app);
    app.staff("viewer@example.com", Role::Viewer).await;
    let viewer = app.sign_in("viewer@example.com", PASSWORD).await;
    let mut edited = user.profile.clone();
    edited.city = "Nope".into();
    let form = update_form(&user.id, &user.profile, &edited);
    assert_eq!(
        post(&app, "/api/customers/update", &viewer, &form)
            .await
            .error(),
        AppError::Forbidden
    );
    let create = vec![
        ("profile[firstName]".to_string(), "X".to_string()),
        (
            "idempotency_key".to_string(),
            "4f1e9a2b-viewer-refused".to_string(),
        ),
    ];
    assert_eq!(
        post(&app, "/api/customers/create", &viewer, &create)
            .await
            .error(),
        AppError::Forbidden
    );
    let delete = vec![
        ("id".to_string(), deletable.id.clone()),
        ("confirm_email".to_string(), deletable.profile.email.clone()),
    ];
    assert_eq!(
        post(&app, "/api/customers/delete", &viewer, &delete)
            .await
            .error(),
        AppError::Forbidden
    );

    // The edit form's loader is for editors too.
    let profile = vec![("id".to_string(), user.id.clone())];
    let answer = post(&app, "/api/customers/profile", &viewer, &profile).await;
    assert_eq!(answer.error(), AppError::Forbidden);

    let editor = editor(&app).await;
    assert!(post(&app, "/api/customers/profile", &editor, &profile)
        .await
        .is_ok());
    assert_eq!(
        post(&app, "/api/customers/delete", &editor, &delete)
            .await
            .error(),
        AppError::Forbidden
    );
    assert!(app.sandbox.control.requests_to("PUT", "/users").is_empty());
    assert!(app
        .sandbox
        .control
        .requests_to("DELETE", "/users")
        .is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_explains_what_blocks_it_and_needs_the_typed_email(db: PgPool) {
    let app = spawn(db).await;
    app.staff("admin@example.com", Role::Admin).await;
    let admin = app.sign_in("admin@example.com", PASSWORD).await;
    let (blocked, free) = customers(&app);

    let wrong = vec![
        ("id".to_string(), free.id.clone()),
        (
            "confirm_email".to_string(),
            "someone@else.example".to_string(),
        ),
    ];
    let answer = post(&app, "/api/customers/delete", &admin, &wrong).await;
    assert!(answer.error().field("confirm_email").is_some());

    let form = vec![
        ("id".to_string(), blocked.id.clone()),
        ("confirm_email".to_string(), blocked.profile.email.clone()),
    ];
    let AppError::Rejected(message) = post(&app, "/api/customers/delete", &admin, &form)
        .await
        .error()
    else {
        panic!("expected a refusal")
    };
    assert!(
        message.contains("still has") && message.contains("domain"),
        "{message}"
    );
    assert!(app.sandbox.control.user(&blocked.id).is_some());

    let form = vec![
        ("id".to_string(), free.id.clone()),
        ("confirm_email".to_string(), free.profile.email.clone()),
    ];
    let answer = post(&app, "/api/customers/delete", &admin, &form).await;
    assert!(answer.is_ok(), "{}", answer.body);
    assert!(app.sandbox.control.user(&free.id).is_none());
    let outcomes: Vec<String> = sqlx::query_scalar(
        "SELECT outcome FROM audit_log WHERE action = 'customer.delete' ORDER BY id",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(outcomes, ["error", "ok"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_profile_page_loads_its_sections_and_the_home_page_its_counts(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, _) = customers(&app);
    let page = app
        .get(&format!("/customers/{}", user.id), Some(&cookie))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&user.profile.email));
    for heading in [
        "Domains",
        "Mailboxes",
        "Subscriptions",
        "History",
        "Edit profile",
    ] {
        assert!(page.body.contains(heading), "{heading}");
    }
    let home = app.get("/", Some(&cookie)).await;
    assert!(
        home.body.contains("1,250.00 USD"),
        "the seeded wallet shows"
    );
    let total = app.sandbox.control.users().len().to_string();
    assert!(
        home.body.contains(&format!(">{total}<")),
        "the customer count shows"
    );
    assert!(
        home.body.contains("From CMR") && home.body.contains("/?fresh="),
        "the home page says how fresh its figures are, with a refresh"
    );
    assert!(
        home.body.contains("title=\"From CMR "),
        "the header's balance says how fresh it is"
    );
    // The refresh reads CMR again; without it, the kept figures are reused.
    app.sandbox.control.clear_requests();
    let kept = app.call("/api/home/summary", Some(&cookie), &[]).await;
    assert!(kept.is_ok(), "{}", kept.body);
    assert_eq!(upstream_calls(&app, "/wallet"), 0);
    let fresh = app
        .call("/api/home/summary", Some(&cookie), &[("fresh", "true")])
        .await;
    assert!(fresh.is_ok(), "{}", fresh.body);
    assert_eq!(upstream_calls(&app, "/wallet"), 1);
}

// ---- shared reads: coalescing, invalidation, freshness ---------------------------------------

/// Upstream calls since the log was cleared, per (method, path).
fn upstream_calls(app: &TestApp, path: &str) -> usize {
    app.sandbox.control.requests_to("GET", path).len()
}

/// Opens the profiles of `ids` all at once; their details, in order.
async fn open_at_once(app: &TestApp, cookie: &str, ids: Vec<String>) -> Vec<CustomerDetail> {
    let loads: Vec<_> = ids
        .into_iter()
        .map(|id| app.call_in_background("/api/customers/get", cookie, vec![("id".into(), id)]))
        .collect();
    let mut details = Vec::new();
    for load in loads {
        let (status, body) = load.await.unwrap();
        assert_eq!(status, 200, "{body}");
        details.push(serde_json::from_str(&body).expect(&body));
    }
    details
}

#[sqlx::test(migrations = "../migrations")]
async fn twenty_staff_opening_one_profile_cost_one_call_per_endpoint(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, _) = customers(&app);
    app.sandbox.control.clear_requests();
    let details = open_at_once(&app, &cookie, vec![user.id.clone(); 20]).await;
    assert!(details.iter().all(|d| d.id == user.id));
    for path in [
        "/users",
        "/domains/by-user",
        "/mailboxes/single",
        "/subscriptions",
    ] {
        assert_eq!(upstream_calls(&app, path), 1, "{path}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_save_is_seen_at_once_and_a_refresh_reads_cmr_again(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let (user, _) = customers(&app);
    let get = |fresh: Option<&'static str>| {
        let mut form = vec![("id", user.id.as_str())];
        form.extend(fresh.map(|f| ("fresh", f)));
        let cookie = cookie.clone();
        let app = &app;
        async move { app.call("/api/customers/get", Some(&cookie), &form).await }
    };
    let first = get(None).await;
    let first: CustomerDetail = serde_json::from_str(&first.body).unwrap();
    app.sandbox.control.clear_requests();

    // Kept: a second load within the time to live asks CMR nothing.
    let kept: CustomerDetail = serde_json::from_str(&get(None).await.body).unwrap();
    assert_eq!(upstream_calls(&app, "/users"), 0);
    assert_eq!(kept.fetched_at, first.fetched_at);

    // The refresh control reads CMR again.
    let _: CustomerDetail = serde_json::from_str(&get(Some("true")).await.body).unwrap();
    assert_eq!(upstream_calls(&app, "/users"), 1);

    // The dashboard's own save drops what it kept: the profile shows the new value at once.
    let mut edited = user.profile.clone();
    edited.city = "Keptville".into();
    let saved = post(
        &app,
        "/api/customers/update",
        &cookie,
        &update_form(&user.id, &user.profile, &edited),
    )
    .await;
    assert!(saved.is_ok(), "{}", saved.body);
    let after: CustomerDetail = serde_json::from_str(&get(None).await.body).unwrap();
    assert_eq!(after.profile.city, "Keptville");

    // The page says how fresh it is and offers the refresh.
    let page = app
        .get(&app::routes::customer(&user.id), Some(&cookie))
        .await;
    assert!(page.body.contains("From CMR"), "{}", page.body);
    assert!(page.body.contains("fresh="), "a refresh link");
}

#[sqlx::test(migrations = "../migrations")]
async fn twenty_different_profiles_are_paced_and_all_answered(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let ids: Vec<String> = app
        .sandbox
        .control
        .users()
        .into_iter()
        .take(20)
        .map(|u| u.id)
        .collect();
    app.sandbox.control.clear_requests();
    for detail in open_at_once(&app, &cookie, ids).await {
        assert!(
            detail.domains.is_ok() && detail.mailboxes.is_ok() && detail.subscriptions.is_ok(),
            "every part of every page answered: {detail:?}"
        );
    }
    // One subscriptions read serves all twenty (it is the partner's list, filtered here).
    assert_eq!(upstream_calls(&app, "/subscriptions"), 1);
    assert_eq!(upstream_calls(&app, "/users"), 20);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_edit_form_opens_with_its_country_and_state_lists(db: PgPool) {
    let app = spawn(db).await;
    let cookie = editor(&app).await;
    let user = app
        .sandbox
        .control
        .users()
        .into_iter()
        .find(|u| u.profile.country == "US")
        .expect("a customer in the US");
    let id = vec![("id".to_string(), user.id.clone())];
    let open = || async {
        let answer = post(&app, "/api/customers/profile", &cookie, &id).await;
        serde_json::from_str::<EditableProfile>(&answer.body).expect(&answer.body)
    };

    // A list CMR does not give does not keep the form from opening: it is marked missing
    // (the browser asks for it again), and not kept.
    // (Enough failures for the client's retries of a read.)
    app.sandbox
        .control
        .respond_with("/geo/states", 503, "{\"message\":\"down\"}", 10);
    let opened = open().await;
    assert_eq!(opened.profile.email, user.profile.email);
    assert!(opened.lists.countries.is_some());
    assert_eq!(opened.lists.states, None);
    app.sandbox.control.clear_faults();

    // The lists come with the profile, so the form needs no call of its own (and works
    // without JavaScript).
    let opened = open().await;
    let countries = opened.lists.countries.expect("the countries");
    assert!(countries
        .iter()
        .any(|c| c.code == "CA" && c.name == "Canada"));
    assert_eq!(opened.lists.country, "US");
    let states = opened.lists.states.expect("the states of the US");
    assert!(states
        .iter()
        .any(|s| s.name == user.profile.state || s.code == user.profile.state));
}
