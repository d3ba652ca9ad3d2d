//! `node` and `nodes` over every Node type: in order, with nulls, type-checked IDs, and more
//! IDs than a statement can bind.

use api::schema::node::{NodeType, global_id};
use serde_json::{Value, json};
use tests::test_app::{TestApp, error_code, error_field};

const NODE_TODO: &str = "query($id: ID!) { node(id: $id) { __typename id ... on Todo {
    title completed deletedAt version owner { username email } tags { name } } } }";

/// The global ID of row `id` of `node_type`, as a string.
fn gid(node_type: NodeType, id: i32) -> String {
    global_id(node_type, id).0
}

async fn node_and_nodes_resolve_every_type_in_order(app: TestApp) {
    let (ann, ann_id) = app.sign_up("ann").await;
    let (bob, _) = app.sign_up("bob").await;
    let created = app
        .create_todo(&ann, json!({ "title": "milk", "tags": ["home"] }))
        .await;
    let (todo, tag, entry) = (created.id, created.tag_ids[0].clone(), created.history_id);
    let bobs = app
        .create_todo(&bob, json!({ "title": "bob's", "tags": [] }))
        .await
        .id;

    const FIELDS: &str = "__typename id
        ... on User { username }
        ... on Todo { title owner { username } }
        ... on Tag { name color }
        ... on TodoHistoryEntry { action actor { username } }";
    let user_node = json!({ "__typename": "User", "id": ann_id, "username": "ann" });
    let todo_node = json!({ "__typename": "Todo", "id": todo, "title": "milk",
        "owner": { "username": "ann" } });
    let tag_node = json!({ "__typename": "Tag", "id": tag, "name": "home", "color": "#3b82f6" });
    let entry_node = json!({ "__typename": "TodoHistoryEntry", "id": entry, "action": "CREATED",
        "actor": { "username": "ann" } });
    let node = format!("query($id: ID!) {{ node(id: $id) {{ {FIELDS} }} }}");
    for (id, expected) in [
        (&ann_id, &user_node),
        (&todo, &todo_node),
        (&tag, &tag_node),
        (&entry, &entry_node),
    ] {
        let data = app.data(Some(&ann), &node, json!({ "id": id })).await;
        assert_eq!(&data["node"], expected);
    }

    // Ids that exist nowhere are NOT_FOUND, whatever their type.
    let missing: Vec<String> = [
        NodeType::User,
        NodeType::Todo,
        NodeType::Tag,
        NodeType::TodoHistoryEntry,
    ]
    .into_iter()
    .map(|t| gid(t, 999_999))
    .collect();
    for id in &missing {
        let body = app.gql_as(&ann, &node, json!({ "id": id })).await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{id}: {body}");
    }

    // nodes: the requested order, repeats kept, null for missing or invisible ones.
    let nodes = format!("query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {FIELDS} }} }}");
    let ids = json!([
        tag, missing[1], entry, bobs, ann_id, todo, missing[0], missing[2], tag, missing[3]
    ]);
    let data = app.data(Some(&ann), &nodes, json!({ "ids": ids })).await;
    assert_eq!(
        data["nodes"],
        json!([
            tag_node, null, entry_node, null, user_node, todo_node, null, null, tag_node, null
        ])
    );
    let data = app.data(Some(&ann), &nodes, json!({ "ids": [] })).await;
    assert_eq!(data["nodes"], json!([]));
}
tests::both_backends!(node_and_nodes_resolve_every_type_in_order);

async fn malformed_and_mistyped_ids_are_bad_user_input(app: TestApp) {
    let (ann, ann_id) = app.sign_up("ann").await;
    let created = app
        .create_todo(&ann, json!({ "title": "milk", "tags": ["home"] }))
        .await;
    let (todo, tag) = (created.id, created.tag_ids[0].clone());

    let garbled = [
        "not an id!",
        "",
        "VG9kbw",       // "Todo": no database id
        "VG9kbzphYmM",  // "Todo:abc"
        "VG9kbzoxOjI",  // "Todo:1:2"
        "U2Vzc2lvbjox", // "Session:1": not a Node type
    ];
    for id in garbled {
        let body = app
            .gql_as(
                &ann,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{id:?}: {body}");
        let body = app
            .gql_as(
                &ann,
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                json!({ "ids": [todo, id] }),
            )
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{id:?}: {body}");
    }

    // A well-formed ID of another type where a Todo's is expected: BAD_USER_INPUT, not a
    // lookup of the wrong table, and nothing changes.
    for wrong in [&tag, &ann_id] {
        for mutation in [
            "mutation($id: ID!) { deleteTodo(id: $id) { id } }",
            "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        ] {
            let body = app.gql_as(&ann, mutation, json!({ "id": wrong })).await;
            assert_eq!(
                (error_code(&body), error_field(&body)),
                (Some("BAD_USER_INPUT"), Some("id")),
                "{mutation}: {body}"
            );
        }
    }
    let body = app
        .gql_as(
            &ann,
            "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
            json!({ "id": todo, "to": tag }),
        )
        .await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("BAD_USER_INPUT"), Some("toUserId")),
        "{body}"
    );
    let still = app.data(Some(&ann), NODE_TODO, json!({ "id": todo })).await;
    assert_eq!(
        (
            &still["node"]["completed"],
            &still["node"]["deletedAt"],
            &still["node"]["version"]
        ),
        (&json!(false), &Value::Null, &json!(1))
    );
}
tests::both_backends!(malformed_and_mistyped_ids_are_bad_user_input);

async fn nodes_accepts_a_page_of_ids_and_refuses_more(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
    // As many IDs as a page holds (100 by default) are answered, nulls for missing ones.
    let ids: Vec<String> = (1..=100).map(|i| gid(NodeType::Tag, i)).collect();
    let body = app.gql_as(&ann, query, json!({ "ids": ids })).await;
    assert_eq!(body.get("errors"), None, "{body}");
    assert_eq!(body["data"]["nodes"].as_array().map(Vec::len), Some(100));
    // More is the client's fault, said clearly, not a database error.
    let ids: Vec<String> = (1..=10_000).map(|i| gid(NodeType::Tag, i)).collect();
    let body = app.gql_as(&ann, query, json!({ "ids": ids })).await;
    assert_eq!(
        error_code(&body),
        Some("BAD_USER_INPUT"),
        "{}",
        body["errors"]
    );
    assert_eq!(error_field(&body), Some("ids"));
    // So many that the variable alone is over the memory budget: refused before anything
    // reads it.
    let ids: Vec<String> = (1..=70_000).map(|i| gid(NodeType::Tag, i)).collect();
    let body = app.gql_as(&ann, query, json!({ "ids": ids })).await;
    assert_eq!(error_code(&body), Some("TOO_COMPLEX"), "{}", body["errors"]);
    assert!(
        body["errors"][0]["extensions"]["variableBytes"].is_u64(),
        "{body}"
    );
}
tests::both_backends!(nodes_accepts_a_page_of_ids_and_refuses_more);
