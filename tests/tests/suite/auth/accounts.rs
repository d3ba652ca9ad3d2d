//! Sign-up, log-in, log-out, viewer and updateProfile over HTTP, on SQLite and PostgreSQL.

use chrono::{DateTime, Duration, Utc};
use entity::{session, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tests::test_app::{TestApp, error_code, error_field};

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

async fn sign_up_creates_account_preferences_and_session(app: TestApp) {
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

async fn sign_up_rejects_bad_and_taken_input_and_writes_nothing(app: TestApp) {
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

async fn log_in_by_username_or_email_updates_last_login(app: TestApp) {
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

async fn wrong_password_and_unknown_login_look_the_same(app: TestApp) {
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

async fn inactive_users_cannot_log_in_and_their_tokens_stop_working(app: TestApp) {
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

async fn log_out_revokes_only_the_token_used(app: TestApp) {
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

async fn expired_and_unknown_tokens_are_anonymous(app: TestApp) {
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

async fn database_failures_are_internal_and_hide_sql(app: TestApp) {
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
