//! `users`, `tags` and a todo's `history` page both ways like every connection: forwards
//! with first/after and backwards with last/before, in order, nothing missed or repeated.

#![allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]

use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tests::{Backend, fixtures, test_app::TestApp};

/// Walks `field` (`users` or `tags`) in pages of two, forwards then backwards; the names
/// in each direction, in list order.
async fn walk(app: &TestApp, field: &str, name: &str, search: Option<&str>) -> [Vec<String>; 2] {
    let forward = format!(
        "query($after: String, $search: String) {{ {field}(first: 2, after: $after, search: $search) {{
            nodes {{ {name} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    let backward = format!(
        "query($before: String, $search: String) {{ {field}(last: 2, before: $before, search: $search) {{
            nodes {{ {name} }} pageInfo {{ hasPreviousPage startCursor }} }} }}"
    );
    let names = |page: &Value| -> Vec<String> {
        page["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n[name].as_str().expect("a name").to_owned())
            .collect()
    };
    let mut ahead = Vec::new();
    let mut after = Value::Null;
    for _ in 0..20 {
        let body = app
            .gql(&forward, json!({ "after": after, "search": search }))
            .await;
        let page = &body["data"][field];
        assert!(page.is_object(), "{body}");
        ahead.extend(names(page));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let mut behind: Vec<String> = Vec::new();
    let mut before = Value::Null;
    for _ in 0..20 {
        let body = app
            .gql(&backward, json!({ "before": before, "search": search }))
            .await;
        let page = &body["data"][field];
        assert!(page.is_object(), "{body}");
        let mut earlier = names(page);
        earlier.append(&mut behind);
        behind = earlier;
        if page["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = page["pageInfo"]["startCursor"].clone();
    }
    [ahead, behind]
}

async fn users_and_tags_page_both_ways(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    // Lowercase ASCII, so that every collation agrees on the order.
    let users = ["una", "bea", "gil", "ada", "eve", "fay", "cid"];
    for username in users {
        fixtures::user(app.db(), username).await;
        fixtures::tag(app.db(), &format!("{username}-tag")).await;
    }
    let mut sorted: Vec<String> = users.iter().map(|u| (*u).to_owned()).collect();
    sorted.sort();
    assert_eq!(
        walk(&app, "users", "username", None).await,
        [sorted.clone(), sorted.clone()]
    );
    let tags: Vec<String> = sorted.iter().map(|u| format!("{u}-tag")).collect();
    assert_eq!(
        walk(&app, "tags", "name", None).await,
        [tags.clone(), tags.clone()]
    );

    // A search narrows the list and pages the same way (ignoring case).
    let with_a: Vec<String> = sorted.iter().filter(|u| u.contains('a')).cloned().collect();
    assert_eq!(with_a.len(), 4);
    assert_eq!(
        walk(&app, "users", "username", Some("A")).await,
        [with_a.clone(), with_a]
    );
}
tests::both_backends!(users_and_tags_page_both_ways);

async fn history_pages_both_ways(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (token, _) = app.sign_up("ann").await;
    let ann = app.user_id("ann").await;
    let owner = entity::user::Entity::find_by_id(ann)
        .one(app.db())
        .await
        .expect("ann")
        .expect("ann exists");
    let todo = fixtures::todo(app.db(), &owner, fixtures::NewTodo::new("busy", 0)).await;
    let mut ids = Vec::new();
    for minute in 0..7 {
        ids.push(
            fixtures::history(
                app.db(),
                &todo,
                entity::todo_history::TodoAction::Updated,
                &owner,
                minute,
            )
            .await
            .id,
        );
    }
    // Newest first.
    ids.reverse();
    let todo_id = api::graphql::node::global_id(api::graphql::node::NodeType::Todo, todo.id).0;
    let page = |args: &str| {
        format!(
            "query($id: ID!, $cursor: String) {{ node(id: $id) {{ ... on Todo {{ history({args}) {{
                nodes {{ id }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }} }} }}"
        )
    };
    let entry_ids = |history: &Value| -> Vec<i32> {
        history["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| {
                let id = n["id"].as_str().expect("an id");
                api::graphql::node::decode_as(
                    &async_graphql::ID(id.to_owned()),
                    api::graphql::node::NodeType::TodoHistoryEntry,
                    "id",
                )
                .expect("a history entry id")
            })
            .collect()
    };
    let mut ahead = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..10 {
        let body = app
            .gql_as(
                &token,
                &page("first: 2, after: $cursor"),
                json!({ "id": todo_id, "cursor": cursor }),
            )
            .await;
        let history = &body["data"]["node"]["history"];
        ahead.extend(entry_ids(history));
        if history["pageInfo"]["hasNextPage"] != true {
            break;
        }
        cursor = history["pageInfo"]["endCursor"].clone();
    }
    let mut behind: Vec<i32> = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..10 {
        let body = app
            .gql_as(
                &token,
                &page("last: 2, before: $cursor"),
                json!({ "id": todo_id, "cursor": cursor }),
            )
            .await;
        let history = &body["data"]["node"]["history"];
        let mut earlier = entry_ids(history);
        earlier.append(&mut behind);
        behind = earlier;
        if history["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        cursor = history["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(ahead, ids);
    assert_eq!(behind, ids);
}
tests::both_backends!(history_pages_both_ways);
