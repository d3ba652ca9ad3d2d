//! Todo.history: newest first, paged both ways, counted, batched, visible only with its
//! todo, and following a transferred todo to its new owner.

use entity::todo_history::TodoAction;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tests::{
    connection::{TITLES_PAGE, empty_titles_page},
    fixtures::{self, NewTodo},
    test_app::{TestApp, error_code},
};

const HISTORY: &str = "query($after: String) { viewer { todos(first: 50) { nodes {
    title history(first: 2, after: $after) {
        nodes { id action actor { username } createdAt }
        pageInfo { hasNextPage endCursor } totalCount } } } } }";

async fn history_is_newest_first_paged_and_batched(app: TestApp) {
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

async fn history_follows_a_transferred_todo_to_its_new_owner(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let (bob, bob_id) = app.sign_up("bob").await;
    let root = app.sign_up_admin("root").await;
    let todo = app
        .create_todo(&ann, json!({ "title": "report", "tags": [] }))
        .await
        .id;
    app.data(
        Some(&ann),
        "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        json!({ "id": todo }),
    )
    .await;
    let history = "query($id: ID!) { node(id: $id) { ... on Todo { title owner { username }
        history { totalCount nodes { id action actor { username email }
            fromUser { username email } toUser { username email } } } } } }";
    let before = app.data(Some(&ann), history, json!({ "id": todo })).await;
    let entries_before = before["node"]["history"]["nodes"].clone();
    assert_eq!(before["node"]["history"]["totalCount"], 2, "{before}");

    app.data(
        Some(&ann),
        "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
        json!({ "id": todo, "to": bob_id }),
    )
    .await;

    // Bob now sees the todo and its whole history; ann's email stays hidden from him.
    let after = app.data(Some(&bob), history, json!({ "id": todo })).await;
    let node = &after["node"];
    assert_eq!(node["title"], "report");
    assert_eq!(node["owner"]["username"], "bob");
    assert_eq!(node["history"]["totalCount"], 3);
    let ann_public = json!({ "username": "ann", "email": null });
    let entries = node["history"]["nodes"].as_array().expect("entries");
    let actions: Vec<_> = entries.iter().map(|e| e["action"].clone()).collect();
    assert_eq!(
        actions,
        [json!("TRANSFERRED"), json!("COMPLETED"), json!("CREATED")]
    );
    assert_eq!(entries[0]["actor"], ann_public);
    assert_eq!(entries[0]["fromUser"], ann_public);
    assert_eq!(
        entries[0]["toUser"],
        json!({ "username": "bob", "email": "bob@example.com" })
    );
    assert_eq!(entries[1]["id"], entries_before[0]["id"]);
    assert_eq!(entries[2]["id"], entries_before[1]["id"]);
    let listed = app
        .data(Some(&bob), "{ todos { nodes { id } } }", json!({}))
        .await;
    assert_eq!(listed["todos"]["nodes"], json!([{ "id": todo }]));

    let mut ids = vec![todo.clone()];
    ids.extend(
        entries
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_owned()),
    );
    let nodes = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename
        ... on TodoHistoryEntry { action } ... on Todo { title } } }";
    let expected = json!([
        { "__typename": "Todo", "title": "report" },
        { "__typename": "TodoHistoryEntry", "action": "TRANSFERRED" },
        { "__typename": "TodoHistoryEntry", "action": "COMPLETED" },
        { "__typename": "TodoHistoryEntry", "action": "CREATED" },
    ]);
    for token in [&bob, &root] {
        let seen = app.data(Some(token), nodes, json!({ "ids": ids })).await;
        assert_eq!(seen["nodes"], expected);
    }

    // Ann no longer sees any of it.
    let gone = app.data(Some(&ann), nodes, json!({ "ids": ids })).await;
    assert_eq!(gone["nodes"], json!([null, null, null, null]));
    for id in &ids {
        let body = app
            .gql_as(
                &ann,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{id}: {body}");
    }
    let lists = app
        .data(
            Some(&ann),
            &format!("{{ todos {{ {TITLES_PAGE} }} user(username: \"bob\") {{ todos {{ {TITLES_PAGE} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(lists["todos"], empty_titles_page());
    assert_eq!(lists["user"]["todos"], empty_titles_page());
}
tests::both_backends!(history_follows_a_transferred_todo_to_its_new_owner);

async fn history_pages_both_ways(app: TestApp) {
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
    let todo_id = api::schema::node::global_id(api::schema::node::NodeType::Todo, todo.id).0;
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
                api::schema::node::decode_as(
                    &async_graphql::ID(id.to_owned()),
                    api::schema::node::NodeType::TodoHistoryEntry,
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
