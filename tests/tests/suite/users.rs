//! Users: profiles, who sees an email (wherever a user is reached from), and users reached
//! by `node`.

use serde_json::{Value, json};
use tests::{
    fixtures,
    test_app::{TestApp, error_code, error_field},
};

const NODE_TODO: &str = "query($id: ID!) { node(id: $id) { __typename id ... on Todo {
    title completed deletedAt version owner { username email } tags { name } } } }";

async fn update_profile_changes_clears_and_validates(app: TestApp) {
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

async fn email_is_visible_to_self_and_admins_only(app: TestApp) {
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

    fixtures::make_admin(app.db(), app.user_id("bob").await).await;
    let admin = app.gql_as(&bob_token, query, json!({})).await;
    assert_eq!(admin["data"]["user"]["email"], "ann@example.com");
}
tests::both_backends!(email_is_visible_to_self_and_admins_only);

async fn node_resolves_users_and_rejects_malformed_ids(app: TestApp) {
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

async fn emails_show_to_self_and_admins_in_lists_owners_and_nodes(app: TestApp) {
    let (ann, ann_id) = app.sign_up("ann").await;
    let (bob, _) = app.sign_up("bob").await;
    let root = app.sign_up_admin("root").await;
    let todo = app
        .create_todo(&ann, json!({ "title": "ann's", "tags": [] }))
        .await
        .id;

    let users = "{ users { nodes { username email } } }";
    let listed = |ann: Value, bob: Value, root: Value| {
        json!([
            { "username": "ann", "email": ann },
            { "username": "bob", "email": bob },
            { "username": "root", "email": root },
        ])
    };
    let as_ann = app.data(Some(&ann), users, json!({})).await;
    assert_eq!(
        as_ann["users"]["nodes"],
        listed(json!("ann@example.com"), Value::Null, Value::Null)
    );
    let as_bob = app.data(Some(&bob), users, json!({})).await;
    assert_eq!(
        as_bob["users"]["nodes"],
        listed(Value::Null, json!("bob@example.com"), Value::Null)
    );
    let anonymous = app.data(None, users, json!({})).await;
    assert_eq!(
        anonymous["users"]["nodes"],
        listed(Value::Null, Value::Null, Value::Null)
    );
    let as_root = app.data(Some(&root), users, json!({})).await;
    assert_eq!(
        as_root["users"]["nodes"],
        listed(
            json!("ann@example.com"),
            json!("bob@example.com"),
            json!("root@example.com")
        )
    );

    // Through a todo's owner: the owner and admins see it.
    let owner = "{ todos { nodes { owner { username email } } } }";
    let own = app.data(Some(&ann), owner, json!({})).await;
    assert_eq!(
        own["todos"]["nodes"],
        json!([{ "owner": { "username": "ann", "email": "ann@example.com" } }])
    );
    let admin_view = app.data(Some(&root), owner, json!({})).await;
    assert_eq!(
        admin_view["todos"]["nodes"],
        json!([{ "owner": { "username": "ann", "email": "ann@example.com" } }])
    );
    let by_id = app
        .data(Some(&root), NODE_TODO, json!({ "id": todo }))
        .await;
    assert_eq!(by_id["node"]["owner"]["email"], "ann@example.com");

    // Through node(id) of the user.
    let node = "query($id: ID!) { node(id: $id) { __typename ... on User { username email } } }";
    for (token, email) in [
        (None, Value::Null),
        (Some(bob.as_str()), Value::Null),
        (Some(ann.as_str()), json!("ann@example.com")),
        (Some(root.as_str()), json!("ann@example.com")),
    ] {
        let body = app.data(token, node, json!({ "id": ann_id })).await;
        assert_eq!(
            body["node"],
            json!({ "__typename": "User", "username": "ann", "email": email }),
            "as {token:?}"
        );
    }
}
tests::both_backends!(emails_show_to_self_and_admins_in_lists_owners_and_nodes);
