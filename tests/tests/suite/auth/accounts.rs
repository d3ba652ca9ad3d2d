//! Sign-up, log-in, log-out, viewer and updateProfile over HTTP, on SQLite and PostgreSQL.

#![allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]

use chrono::{DateTime, Duration, Utc};
use entity::{session, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tests::{
    Backend,
    test_app::{TestApp, error_code, error_field},
};

const SIGN_UP: &str = "mutation($input: SignUpInput!) {
    signUp(input: $input) {
        token expiresAt
        user { id username email bio role isActive lastLoginAt
               preferences { theme notifications { email push frequency } layout { sidebar compact } } }
    }
}";
const LOG_IN: &str = "mutation($login: String!, $password: String!) {
    logIn(input: { login: $login, password: $password }) { token expiresAt user { username email lastLoginAt } }
}";
const VIEWER: &str = "{ viewer { id username email } }";

fn sign_up_input(email: &str, username: &str, password: &str) -> Value {
    json!({ "input": { "email": email, "username": username, "password": password } })
}

fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|instant| instant.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a date-time: {value}"))
}

async fn sign_up_creates_account_preferences_and_session(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let body = app
        .gql(
            SIGN_UP,
            sign_up_input(" Ann@Example.COM ", "ann", "password123"),
        )
        .await;
    let payload = &body["data"]["signUp"];
    assert_eq!(
        payload["user"],
        json!({
            "id": payload["user"]["id"], "username": "ann", "email": "ann@example.com", "bio": "",
            "role": "USER", "isActive": true, "lastLoginAt": null,
            "preferences": {
                "theme": "SYSTEM",
                "notifications": { "email": true, "push": true, "frequency": "INSTANT" },
                "layout": { "sidebar": true, "compact": false },
            },
        }),
        "{body}"
    );
    let expires_at = instant(&payload["expiresAt"]);
    let thirty_days = Utc::now() + Duration::days(30);
    assert!(
        (expires_at - thirty_days).num_seconds().abs() < 60,
        "{expires_at}"
    );
    assert!(
        payload["expiresAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let token = payload["token"].as_str().expect("a token");
    let viewer = app.gql_as(token, VIEWER, json!({})).await;
    assert_eq!(viewer["data"]["viewer"]["username"], "ann");
    assert_eq!(viewer["data"]["viewer"]["email"], "ann@example.com");
    assert_eq!(viewer["data"]["viewer"]["id"], payload["user"]["id"]);

    // Only a hash of the token is stored, and the password is hashed with argon2id.
    let sessions = session::Entity::find()
        .all(app.db())
        .await
        .expect("sessions");
    assert_eq!(sessions.len(), 1);
    assert_ne!(sessions[0].token_hash, token);
    assert_eq!(sessions[0].token_hash.len(), 64);
    let users = user::Entity::find().all(app.db()).await.expect("users");
    assert!(
        users[0].password_hash.starts_with("$argon2id$"),
        "{}",
        users[0].password_hash
    );
}
tests::both_backends!(sign_up_creates_account_preferences_and_session);

async fn sign_up_rejects_bad_and_taken_input_and_writes_nothing(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.sign_up("ann").await;
    let cases = [
        (
            sign_up_input("ANN@example.com", "bob", "password123"),
            "email",
        ),
        (
            sign_up_input("bob@example.com", "ann", "password123"),
            "username",
        ),
        (
            sign_up_input("bob@example.com", "bo", "password123"),
            "username",
        ),
        (
            sign_up_input("bob@example.com", "bob smith", "password123"),
            "username",
        ),
        (
            sign_up_input("bob.example.com", "bob", "password123"),
            "email",
        ),
        (sign_up_input("bob@example.com", "bob", "short"), "password"),
    ];
    for (input, field) in cases {
        let body = app.gql(SIGN_UP, input.clone()).await;
        assert_eq!(body["data"], Value::Null, "{input}: {body}");
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{input}: {body}");
        assert_eq!(error_field(&body), Some(field), "{input}: {body}");
    }
    assert_eq!(
        user::Entity::find().count(app.db()).await.expect("count"),
        1
    );
    assert_eq!(
        session::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        entity::user_preferences::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        1
    );
}
tests::both_backends!(sign_up_rejects_bad_and_taken_input_and_writes_nothing);

async fn log_in_by_username_or_email_updates_last_login(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.sign_up("ann").await;
    for login in ["ann", "ANN@example.com", " ann@example.com "] {
        let body = app
            .gql(LOG_IN, json!({ "login": login, "password": "password123" }))
            .await;
        let payload = &body["data"]["logIn"];
        assert_eq!(payload["user"]["username"], "ann", "{login}: {body}");
        assert_eq!(payload["user"]["email"], "ann@example.com");
        let last_login = instant(&payload["user"]["lastLoginAt"]);
        assert!((Utc::now() - last_login).num_seconds().abs() < 60);
        let token = payload["token"].as_str().expect("a token");
        let viewer = app.gql_as(token, VIEWER, json!({})).await;
        assert_eq!(viewer["data"]["viewer"]["username"], "ann");
    }
    // The first sign-up session plus one per log-in, each with its own token.
    assert_eq!(
        session::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        4
    );
}
tests::both_backends!(log_in_by_username_or_email_updates_last_login);

async fn wrong_password_and_unknown_login_look_the_same(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.sign_up("ann").await;
    let wrong_password = app
        .gql(LOG_IN, json!({ "login": "ann", "password": "password124" }))
        .await;
    let unknown_user = app
        .gql(
            LOG_IN,
            json!({ "login": "nobody", "password": "password123" }),
        )
        .await;
    assert_eq!(
        error_code(&wrong_password),
        Some("UNAUTHENTICATED"),
        "{wrong_password}"
    );
    assert_eq!(
        wrong_password["errors"][0]["message"],
        unknown_user["errors"][0]["message"]
    );
    assert_eq!(error_code(&unknown_user), Some("UNAUTHENTICATED"));
    assert_eq!(wrong_password["data"], Value::Null);
}
tests::both_backends!(wrong_password_and_unknown_login_look_the_same);

async fn inactive_users_cannot_log_in_and_their_tokens_stop_working(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (token, _) = app.sign_up("ann").await;
    let ann = user::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("ann");
    user::ActiveModel {
        id: Set(ann.id),
        is_active: Set(false),
        ..Default::default()
    }
    .update(app.db())
    .await
    .expect("deactivate");
    let body = app
        .gql(LOG_IN, json!({ "login": "ann", "password": "password123" }))
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    let viewer = app.gql_as(&token, VIEWER, json!({})).await;
    assert_eq!(viewer["data"]["viewer"], Value::Null, "{viewer}");
}
tests::both_backends!(inactive_users_cannot_log_in_and_their_tokens_stop_working);

async fn log_out_revokes_only_the_token_used(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (first, _) = app.sign_up("ann").await;
    let second = app
        .gql(LOG_IN, json!({ "login": "ann", "password": "password123" }))
        .await["data"]["logIn"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let body = app.gql_as(&first, "mutation { logOut }", json!({})).await;
    assert_eq!(
        body,
        json!({ "data": { "logOut": true }, "extensions": { "cost": { "requested": 10, "limit": 10_000 } } })
    );
    let after = app.gql_as(&first, VIEWER, json!({})).await;
    assert_eq!(after["data"]["viewer"], Value::Null);
    let again = app.gql_as(&first, "mutation { logOut }", json!({})).await;
    assert_eq!(error_code(&again), Some("UNAUTHENTICATED"), "{again}");
    let other = app.gql_as(&second, VIEWER, json!({})).await;
    assert_eq!(other["data"]["viewer"]["username"], "ann");
}
tests::both_backends!(log_out_revokes_only_the_token_used);

async fn expired_and_unknown_tokens_are_anonymous(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (token, _) = app.sign_up("ann").await;
    let stored = session::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("a session");
    session::ActiveModel {
        id: Set(stored.id),
        expires_at: Set(Utc::now() - Duration::seconds(1)),
        ..Default::default()
    }
    .update(app.db())
    .await
    .expect("expire");
    for token in [token.as_str(), "not-a-token"] {
        let viewer = app.gql_as(token, VIEWER, json!({})).await;
        assert_eq!(
            viewer,
            json!({ "data": { "viewer": null }, "extensions": { "cost": { "requested": 0, "limit": 10_000 } } })
        );
        let update = app
            .gql_as(
                token,
                "mutation { updateProfile(input: { bio: \"hi\" }) { bio } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&update), Some("UNAUTHENTICATED"), "{update}");
    }
}
tests::both_backends!(expired_and_unknown_tokens_are_anonymous);

async fn update_profile_changes_clears_and_validates(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (token, _) = app.sign_up("ann").await;
    app.sign_up("bob").await;
    let update = "mutation($input: UpdateProfileInput!) {
        updateProfile(input: $input) { username bio avatarUrl }
    }";
    let body = app
        .gql_as(
            &token,
            update,
            json!({ "input": {
            "username": "annie", "bio": " Hello ", "avatarUrl": "https://example.com/a.png" } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateProfile"],
        json!({ "username": "annie", "bio": "Hello", "avatarUrl": "https://example.com/a.png" }),
        "{body}"
    );
    // Absent keeps, null clears.
    let body = app
        .gql_as(&token, update, json!({ "input": { "avatarUrl": null } }))
        .await;
    assert_eq!(
        body["data"]["updateProfile"],
        json!({ "username": "annie", "bio": "Hello", "avatarUrl": null })
    );
    for (input, field) in [
        (json!({ "username": "bob" }), "username"),
        (json!({ "username": "x" }), "username"),
        (json!({ "avatarUrl": "javascript:alert(1)" }), "avatarUrl"),
        (json!({ "bio": "x".repeat(1001) }), "bio"),
    ] {
        let body = app.gql_as(&token, update, json!({ "input": input })).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(error_field(&body), Some(field), "{body}");
    }
    let viewer = app
        .gql_as(&token, "{ viewer { username bio } }", json!({}))
        .await;
    assert_eq!(
        viewer["data"]["viewer"],
        json!({ "username": "annie", "bio": "Hello" })
    );
}
tests::both_backends!(update_profile_changes_clears_and_validates);

async fn email_is_visible_to_self_and_admins_only(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann_token, _) = app.sign_up("ann").await;
    let (bob_token, _) = app.sign_up("bob").await;
    let query = "{ user(username: \"ann\") { username email } }";
    let anonymous = app.gql(query, json!({})).await;
    assert_eq!(
        anonymous["data"]["user"],
        json!({ "username": "ann", "email": null })
    );
    let other = app.gql_as(&bob_token, query, json!({})).await;
    assert_eq!(other["data"]["user"]["email"], Value::Null);
    let own = app.gql_as(&ann_token, query, json!({})).await;
    assert_eq!(own["data"]["user"]["email"], "ann@example.com");

    let bob = user::Entity::find()
        .filter(user::COLUMN.username.eq("bob"))
        .one(app.db())
        .await
        .expect("query")
        .expect("bob");
    user::ActiveModel {
        id: Set(bob.id),
        role: Set(user::Role::Admin),
        ..Default::default()
    }
    .update(app.db())
    .await
    .expect("promote");
    let admin = app.gql_as(&bob_token, query, json!({})).await;
    assert_eq!(admin["data"]["user"]["email"], "ann@example.com");
}
tests::both_backends!(email_is_visible_to_self_and_admins_only);

/// `preferences` and `lastLoginAt` follow `email`: the user and admins see them; anonymous
/// clients and other users get null, in a single user and in lists alike, at no extra
/// statement.
async fn preferences_and_last_login_are_private(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (_, _) = app.sign_up("ann").await;
    let ann_token = app
        .gql(LOG_IN, json!({ "login": "ann", "password": "password123" }))
        .await["data"]["logIn"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let (bob_token, _) = app.sign_up("bob").await;
    let one = "{ user(username: \"ann\") { lastLoginAt preferences { theme } } }";
    let list = "{ users(first: 10) { nodes { username lastLoginAt preferences { theme } } } }";
    let hidden = json!({ "lastLoginAt": null, "preferences": null });

    let anonymous = app.gql(one, json!({})).await;
    assert_eq!(anonymous["data"]["user"], hidden, "{anonymous}");
    let other = app.gql_as(&bob_token, one, json!({})).await;
    assert_eq!(other["data"]["user"], hidden, "{other}");
    let (listed, statements) = app.gql_counted(None, list, json!({})).await;
    for node in listed["data"]["users"]["nodes"].as_array().expect("a list") {
        assert_eq!(node["lastLoginAt"], Value::Null, "{listed}");
        assert_eq!(node["preferences"], Value::Null, "{listed}");
    }
    // The page and nothing for the hidden fields.
    assert_eq!(statements, 1, "{listed}");

    let own = app.gql_as(&ann_token, one, json!({})).await;
    assert!(own["data"]["user"]["lastLoginAt"].is_string(), "{own}");
    assert_eq!(
        own["data"]["user"]["preferences"]["theme"], "SYSTEM",
        "{own}"
    );

    let bob = app.user_id("bob").await;
    user::ActiveModel {
        id: Set(bob),
        role: Set(user::Role::Admin),
        ..Default::default()
    }
    .update(app.db())
    .await
    .expect("promote");
    let admin = app.gql_as(&bob_token, one, json!({})).await;
    assert!(admin["data"]["user"]["lastLoginAt"].is_string(), "{admin}");
    assert_eq!(
        admin["data"]["user"]["preferences"]["theme"], "SYSTEM",
        "{admin}"
    );
}
tests::both_backends!(preferences_and_last_login_are_private);

async fn node_resolves_users_and_rejects_malformed_ids(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (_, id) = app.sign_up("ann").await;
    let body = app
        .gql(
            "query($id: ID!) { node(id: $id) { id ... on User { username } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["node"], json!({ "id": id, "username": "ann" }));
    let body = app
        .gql("{ node(id: \"not-an-id\") { id } }", json!({}))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
}
tests::both_backends!(node_resolves_users_and_rejects_malformed_ids);

async fn database_failures_are_internal_and_hide_sql(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (token, _) = app.sign_up("ann").await;
    use sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared("DROP TABLE user_preferences")
        .await
        .expect("drop");
    let body = app
        .gql_as(&token, "{ viewer { preferences { theme } } }", json!({}))
        .await;
    assert_eq!(error_code(&body), Some("INTERNAL"), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert_eq!(message, "internal error");
    assert!(!body.to_string().contains("user_preferences"), "{body}");
}
tests::both_backends!(database_failures_are_internal_and_hide_sql);
