//! Who sees which todos, over HTTP: another user's todos are NOT_FOUND by id and missing from
//! every list, admins see everyone's; soft-deleted todos stay out of lists unless asked for;
//! anonymous viewers read users and tags but no todos. (Emails: `users`; a tag's todos:
//! `tags`; a transferred todo's history: `todos::history`; `node(s)`: `nodes`.)

use serde_json::{Value, json};
use tests::{
    connection::{TITLES_PAGE, empty_titles_page, titles},
    test_app::{TestApp, error_code},
};

const NODE_TODO: &str = "query($id: ID!) { node(id: $id) { __typename id ... on Todo {
    title completed deletedAt version owner { username email } tags { name } } } }";

async fn other_users_todos_are_not_found_and_left_out_of_lists(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let (bob, bob_id) = app.sign_up("bob").await;
    let root = app.sign_up_admin("root").await;
    let report = app
        .create_todo(&ann, json!({ "title": "ann report", "tags": ["work"] }))
        .await
        .id;
    let done = app
        .create_todo(&ann, json!({ "title": "ann done", "tags": [] }))
        .await
        .id;
    app.data(
        Some(&ann),
        "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        json!({ "id": done }),
    )
    .await;
    app.create_todo(&bob, json!({ "title": "bob errand", "tags": [] }))
        .await;

    // By id, ann's todo is NOT_FOUND to bob: no error that tells it exists.
    let probe = app.gql_as(&bob, NODE_TODO, json!({ "id": report })).await;
    assert_eq!(error_code(&probe), Some("NOT_FOUND"), "{probe}");
    assert_eq!(probe["data"]["node"], Value::Null, "{probe}");

    // Every mutation of bob's on it is NOT_FOUND too, and changes nothing.
    let id = json!({ "id": report });
    for (mutation, variables) in [
        (
            "mutation($input: UpdateTodoInput!) { updateTodo(input: $input) { id } }",
            json!({ "input": { "id": report, "title": "hijacked" } }),
        ),
        (
            "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
            id.clone(),
        ),
        (
            "mutation($id: ID!) { deleteTodo(id: $id) { id } }",
            id.clone(),
        ),
        (
            "mutation($id: ID!) { restoreTodo(id: $id) { id } }",
            id.clone(),
        ),
        (
            "mutation($id: ID!) { setTodoTags(id: $id, tags: [\"mine\"]) { id } }",
            id.clone(),
        ),
        (
            "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
            json!({ "id": report, "to": bob_id }),
        ),
    ] {
        let body = app.gql_as(&bob, mutation, variables).await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{mutation}: {body}");
    }
    let purge = app
        .data(
            Some(&bob),
            "mutation { deleteCompletedTodos { deletedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(purge["deleteCompletedTodos"]["deletedCount"], 0);
    let own = app
        .data(Some(&ann), NODE_TODO, json!({ "id": report }))
        .await;
    assert_eq!(
        own["node"],
        json!({ "__typename": "Todo", "id": report, "title": "ann report", "completed": false,
            "deletedAt": null, "version": 1,
            "owner": { "username": "ann", "email": "ann@example.com" },
            "tags": [{ "name": "work" }] })
    );

    // Lists: bob sees only his own; ann's list as bob reads it is empty, not an error.
    let user_todos = format!(
        "query($name: String!) {{ user(username: $name) {{ username todos(orderBy: {{ field: TITLE, direction: ASC }}) {{ {TITLES_PAGE} }} }} }}"
    );
    let as_bob = app
        .data(Some(&bob), &user_todos, json!({ "name": "ann" }))
        .await;
    assert_eq!(as_bob["user"]["username"], "ann");
    assert_eq!(as_bob["user"]["todos"], empty_titles_page());
    let bobs = app
        .data(
            Some(&bob),
            &format!("{{ todos {{ {TITLES_PAGE} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(titles(&bobs["todos"]), ["bob errand"]);
    assert_eq!(bobs["todos"]["totalCount"], 1);
    let as_ann = app
        .data(Some(&ann), &user_todos, json!({ "name": "bob" }))
        .await;
    assert_eq!(as_ann["user"]["todos"], empty_titles_page());
    let anns = app
        .data(Some(&ann), &user_todos, json!({ "name": "ann" }))
        .await;
    assert_eq!(titles(&anns["user"]["todos"]), ["ann done", "ann report"]);
    assert_eq!(anns["user"]["todos"]["totalCount"], 2);

    // An admin sees everyone's, by id and in lists.
    let seen = app
        .data(Some(&root), NODE_TODO, json!({ "id": report }))
        .await;
    assert_eq!(seen["node"]["title"], "ann report");
    assert_eq!(seen["node"]["owner"]["username"], "ann");
    let of_ann = app
        .data(Some(&root), &user_todos, json!({ "name": "ann" }))
        .await;
    assert_eq!(titles(&of_ann["user"]["todos"]), ["ann done", "ann report"]);
    assert_eq!(of_ann["user"]["todos"]["totalCount"], 2);
    let all = app
        .data(
            Some(&root),
            &format!(
                "{{ todos(orderBy: {{ field: TITLE, direction: ASC }}) {{ {TITLES_PAGE} }} }}"
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        titles(&all["todos"]),
        ["ann done", "ann report", "bob errand"]
    );
    assert_eq!(all["todos"]["totalCount"], 3);
}
tests::both_backends!(other_users_todos_are_not_found_and_left_out_of_lists);

async fn soft_deleted_todos_are_left_out_of_lists_unless_asked_for(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let root = app.sign_up_admin("root").await;
    app.create_todo(&ann, json!({ "title": "live", "tags": ["t"] }))
        .await;
    let gone = app
        .create_todo(&ann, json!({ "title": "gone", "tags": ["t"] }))
        .await
        .id;
    let deleted = app
        .data(
            Some(&ann),
            "mutation($id: ID!) { deleteTodo(id: $id) { deletedAt } }",
            json!({ "id": gone }),
        )
        .await;
    let deleted_at = deleted["deleteTodo"]["deletedAt"].clone();
    assert!(deleted_at.is_string(), "{deleted}");

    let lists = format!(
        "query($filter: TodoFilter) {{
            todos(filter: $filter) {{ {TITLES_PAGE} }}
            user(username: \"ann\") {{ todos(filter: $filter) {{ {TITLES_PAGE} }} }}
            tag(name: \"t\") {{ todos(filter: $filter) {{ {TITLES_PAGE} }} }} }}"
    );
    let each = |data: &Value| -> Vec<(Vec<String>, Value)> {
        [
            &data["todos"],
            &data["user"]["todos"],
            &data["tag"]["todos"],
        ]
        .into_iter()
        .map(|c| (titles(c), c["totalCount"].clone()))
        .collect()
    };
    for token in [&ann, &root] {
        for filter in [json!(null), json!({}), json!({ "deleted": false })] {
            let data = app
                .data(Some(token), &lists, json!({ "filter": filter }))
                .await;
            assert_eq!(
                each(&data),
                vec![(vec!["live".to_owned()], json!(1)); 3],
                "{filter}"
            );
        }
        let data = app
            .data(
                Some(token),
                &lists,
                json!({ "filter": { "deleted": true } }),
            )
            .await;
        assert_eq!(each(&data), vec![(vec!["gone".to_owned()], json!(1)); 3]);
    }

    // By id it stays reachable (it can be restored), marked deleted; still only for ann.
    let node = app.data(Some(&ann), NODE_TODO, json!({ "id": gone })).await;
    assert_eq!(node["node"]["title"], "gone");
    assert_eq!(node["node"]["deletedAt"], deleted_at);
    let (bob, _) = app.sign_up("bob").await;
    let probe = app.gql_as(&bob, NODE_TODO, json!({ "id": gone })).await;
    assert_eq!(error_code(&probe), Some("NOT_FOUND"), "{probe}");

    app.data(
        Some(&ann),
        "mutation($id: ID!) { restoreTodo(id: $id) { id } }",
        json!({ "id": gone }),
    )
    .await;
    let data = app
        .data(Some(&ann), &lists, json!({ "filter": null }))
        .await;
    assert_eq!(
        each(&data),
        vec![(vec!["gone".to_owned(), "live".to_owned()], json!(2)); 3]
    );
}
tests::both_backends!(soft_deleted_todos_are_left_out_of_lists_unless_asked_for);

async fn anonymous_viewers_read_users_and_tags_but_no_todos(app: TestApp) {
    let (ann, ann_id) = app.sign_up("ann").await;
    let created = app
        .create_todo(&ann, json!({ "title": "secret", "tags": ["t"] }))
        .await;
    let (todo, tag, entry) = (created.id, created.tag_ids[0].clone(), created.history_id);

    let data = app
        .data(
            None,
            &format!(
                "{{ viewer {{ username }}
                todos {{ {TITLES_PAGE} }}
                deleted: todos(filter: {{ deleted: true }}) {{ {TITLES_PAGE} }}
                user(username: \"ann\") {{ username todos {{ {TITLES_PAGE} }} }}
                tag(name: \"t\") {{ name todos {{ {TITLES_PAGE} }} }}
                users {{ totalCount nodes {{ username }} }}
                tags {{ totalCount nodes {{ name }} }} }}"
            ),
            json!({}),
        )
        .await;
    assert_eq!(data["viewer"], Value::Null);
    assert_eq!(data["todos"], empty_titles_page());
    assert_eq!(data["deleted"], empty_titles_page());
    assert_eq!(data["user"]["username"], "ann");
    assert_eq!(data["user"]["todos"], empty_titles_page());
    assert_eq!(data["tag"]["name"], "t");
    assert_eq!(data["tag"]["todos"], empty_titles_page());
    assert_eq!(
        data["users"],
        json!({ "totalCount": 1, "nodes": [{ "username": "ann" }] })
    );
    assert_eq!(
        data["tags"],
        json!({ "totalCount": 1, "nodes": [{ "name": "t" }] })
    );

    // By id: users and tags resolve; the todo and its history are NOT_FOUND.
    let node = "query($id: ID!) { node(id: $id) { __typename id } }";
    for (id, typename) in [(&ann_id, "User"), (&tag, "Tag")] {
        let found = app.data(None, node, json!({ "id": id })).await;
        assert_eq!(
            found["node"],
            json!({ "__typename": typename, "id": id }),
            "{typename}"
        );
    }
    for id in [&todo, &entry] {
        let body = app.gql(node, json!({ "id": id })).await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
        assert_eq!(body["data"]["node"], Value::Null, "{body}");
    }
    let many = app
        .data(
            None,
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({ "ids": [todo, ann_id, entry, tag] }),
        )
        .await;
    assert_eq!(
        many["nodes"],
        json!([null, { "__typename": "User", "id": ann_id }, null,
            { "__typename": "Tag", "id": tag }])
    );

    // Writing needs a session.
    let write = app
        .gql(
            "mutation($id: ID!) { deleteTodo(id: $id) { id } }",
            json!({ "id": todo }),
        )
        .await;
    assert_eq!(error_code(&write), Some("UNAUTHENTICATED"), "{write}");
    let still = app.data(Some(&ann), NODE_TODO, json!({ "id": todo })).await;
    assert_eq!(still["node"]["deletedAt"], Value::Null);
}
tests::both_backends!(anonymous_viewers_read_users_and_tags_but_no_todos);
