//! Todo.history: newest first, paged, counted, batched, and visible only with its todo.

#![allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]

use entity::todo_history::TodoAction;
use sea_orm::EntityTrait;
use serde_json::json;
use tests::{
    Backend,
    fixtures::{self, NewTodo},
    test_app::{TestApp, error_code},
};

const HISTORY: &str = "query($after: String) { viewer { todos(first: 50) { nodes {
    title history(first: 2, after: $after) {
        nodes { id action actor { username } createdAt }
        pageInfo { hasNextPage endCursor } totalCount } } } } }";

async fn history_is_newest_first_paged_and_batched(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (token, _) = app.sign_up("ann").await;
    let owner = entity::user::Entity::find_by_id(app.user_id("ann").await)
        .one(app.db())
        .await
        .expect("query")
        .expect("ann");
    let mut counts = Vec::new();
    for n in 0..12 {
        let todo = fixtures::todo(app.db(), &owner, NewTodo::new(&format!("t{n}"), n)).await;
        for (minute, action) in [
            TodoAction::Created,
            TodoAction::Updated,
            TodoAction::Completed,
        ]
        .into_iter()
        .enumerate()
        {
            fixtures::history(app.db(), &todo, action, &owner, minute as i64).await;
        }
        if n == 0 || n == 11 {
            let (body, statements) = app.gql_counted(Some(&token), HISTORY, json!({})).await;
            assert_eq!(body.get("errors"), None, "{body}");
            counts.push(statements);
        }
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 1 and 12 todos: {counts:?}"
    );

    let body = app.gql_as(&token, HISTORY, json!({})).await;
    let first = &body["data"]["viewer"]["todos"]["nodes"][0]["history"];
    assert_eq!(first["totalCount"], 3);
    let actions: Vec<_> = first["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(actions, [json!("COMPLETED"), json!("UPDATED")]);
    assert_eq!(first["nodes"][0]["actor"]["username"], "ann");
    assert_eq!(first["pageInfo"]["hasNextPage"], true);

    let after = first["pageInfo"]["endCursor"].clone();
    let rest = app.gql_as(&token, HISTORY, json!({ "after": after })).await;
    let second = &rest["data"]["viewer"]["todos"]["nodes"][0]["history"];
    assert_eq!(second["nodes"][0]["action"], "CREATED", "{rest}");
    assert_eq!(second["pageInfo"]["hasNextPage"], false);

    // An entry is a node, visible to the todo's owner only.
    let entry_id = first["nodes"][0]["id"].clone();
    let node = "query($id: ID!) { node(id: $id) { id ... on TodoHistoryEntry { action } } }";
    let own = app.gql_as(&token, node, json!({ "id": entry_id })).await;
    assert_eq!(own["data"]["node"]["action"], "COMPLETED", "{own}");
    let (other, _) = app.sign_up("bob").await;
    let foreign = app.gql_as(&other, node, json!({ "id": entry_id })).await;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");
}
tests::both_backends!(history_is_newest_first_paged_and_batched);
