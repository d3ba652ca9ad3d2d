//! Preferences: private to their user (and admins), and updated by merging.

use serde_json::{Value, json};
use tests::{fixtures, test_app::TestApp};

async fn update_preferences_merges(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let update = "mutation($input: UpdatePreferencesInput!) { updatePreferences(input: $input) {
        theme notifications { email push frequency } layout { sidebar compact } user { username } } }";
    app.gql_as(
        &token,
        update,
        json!({ "input": { "theme": "DARK", "notifications": { "push": false } } }),
    )
    .await;
    let body = app
        .gql_as(&token, update, json!({ "input": { "notifications": { "frequency": "WEEKLY" }, "layout": { "compact": true } } }))
        .await;
    assert_eq!(
        body["data"]["updatePreferences"],
        json!({ "theme": "DARK", "notifications": { "email": true, "push": false, "frequency": "WEEKLY" },
                "layout": { "sidebar": true, "compact": true }, "user": { "username": "ann" } }),
        "{body}"
    );
}
tests::both_backends!(update_preferences_merges);

/// `preferences` and `lastLoginAt` follow `email`: the user and admins see them; anonymous
/// clients and other users get null, in a single user and in lists alike, at no extra
/// statement.
async fn preferences_and_last_login_are_private(app: TestApp) {
    app.sign_up("ann").await;
    // Logged in, not only signed up: lastLoginAt is set.
    let ann_token = app.log_in("ann").await;
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

    fixtures::make_admin(app.db(), app.user_id("bob").await).await;
    let admin = app.gql_as(&bob_token, one, json!({})).await;
    assert!(admin["data"]["user"]["lastLoginAt"].is_string(), "{admin}");
    assert_eq!(
        admin["data"]["user"]["preferences"]["theme"], "SYSTEM",
        "{admin}"
    );
}
tests::both_backends!(preferences_and_last_login_are_private);
