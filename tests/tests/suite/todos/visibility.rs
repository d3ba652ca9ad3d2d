//! Who sees what, over HTTP: another user's todos are NOT_FOUND by id and missing from every
//! list, admins see everyone's; emails show only to their owner and to admins, wherever a
//! user is reached from; soft-deleted todos stay out of lists unless asked for; anonymous
//! viewers read users and tags but no todos; a transferred todo's history goes with it;
//! `node` and `nodes` over every Node type, in order, with nulls and type-checked IDs, and
//! with more IDs than a statement can bind; and `users` / `tags` searches that ignore case
//! (beyond ASCII too) and where `%` and `_` match themselves. On SQLite and PostgreSQL.

#![allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]

use api::graphql::node::{NodeType, global_id};
use serde_json::{Value, json};
use tests::{
    Backend, fixtures,
    test_app::{TestApp, error_code, error_field},
};

const CREATE: &str = "mutation($input: CreateTodoInput!) {
    createTodo(input: $input) { id tags { id } history { nodes { id } } } }";

const NODE_TODO: &str = "query($id: ID!) { node(id: $id) { __typename id ... on Todo {
    title completed deletedAt version owner { username email } tags { name } } } }";

const LIST: &str = "totalCount nodes { title } pageInfo { hasNextPage hasPreviousPage }";

/// The global ID of row `id` of `node_type`, as a string.
fn gid(node_type: NodeType, id: i32) -> String {
    global_id(node_type, id).0
}

/// Creates a todo as `token`; returns its global ID.
async fn create(app: &TestApp, token: &str, title: &str, tags: &[&str]) -> String {
    let body = app
        .gql_as(
            token,
            CREATE,
            json!({ "input": { "title": title, "tags": tags } }),
        )
        .await;
    assert_eq!(body.get("errors"), None, "{body}");
    body["data"]["createTodo"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Runs `query` as `token` (anonymous with `None`); the request must succeed.
async fn ok(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = match token {
        Some(token) => app.gql_as(token, query, variables.clone()).await,
        None => app.gql(query, variables.clone()).await,
    };
    assert_eq!(body.get("errors"), None, "{query} {variables}: {body}");
    body["data"].clone()
}

/// Signs up `username` and makes them an admin; returns their token.
async fn admin(app: &TestApp, username: &str) -> String {
    let (token, _) = app.sign_up(username).await;
    fixtures::make_admin(app.db(), app.user_id(username).await).await;
    token
}

/// The titles of a connection's `nodes`, in order.
fn titles(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes: {connection}"))
        .iter()
        .map(|n| n["title"].as_str().expect("a title").to_owned())
        .collect()
}

/// An empty connection as `LIST` selects it.
fn empty_list() -> Value {
    json!({ "totalCount": 0, "nodes": [],
        "pageInfo": { "hasNextPage": false, "hasPreviousPage": false } })
}

async fn other_users_todos_are_not_found_and_left_out_of_lists(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    let (bob, bob_id) = app.sign_up("bob").await;
    let root = admin(&app, "root").await;
    let report = create(&app, &ann, "ann report", &["work"]).await;
    let done = create(&app, &ann, "ann done", &[]).await;
    ok(
        &app,
        Some(&ann),
        "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        json!({ "id": done }),
    )
    .await;
    create(&app, &bob, "bob errand", &[]).await;

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
    let purge = ok(
        &app,
        Some(&bob),
        "mutation { deleteCompletedTodos { deletedCount } }",
        json!({}),
    )
    .await;
    assert_eq!(purge["deleteCompletedTodos"]["deletedCount"], 0);
    let own = ok(&app, Some(&ann), NODE_TODO, json!({ "id": report })).await;
    assert_eq!(
        own["node"],
        json!({ "__typename": "Todo", "id": report, "title": "ann report", "completed": false,
            "deletedAt": null, "version": 1,
            "owner": { "username": "ann", "email": "ann@example.com" },
            "tags": [{ "name": "work" }] })
    );

    // Lists: bob sees only his own; ann's list as bob reads it is empty, not an error.
    let user_todos = format!(
        "query($name: String!) {{ user(username: $name) {{ username todos(orderBy: {{ field: TITLE, direction: ASC }}) {{ {LIST} }} }} }}"
    );
    let as_bob = ok(&app, Some(&bob), &user_todos, json!({ "name": "ann" })).await;
    assert_eq!(as_bob["user"]["username"], "ann");
    assert_eq!(as_bob["user"]["todos"], empty_list());
    let bobs = ok(
        &app,
        Some(&bob),
        &format!("{{ todos {{ {LIST} }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(titles(&bobs["todos"]), ["bob errand"]);
    assert_eq!(bobs["todos"]["totalCount"], 1);
    let as_ann = ok(&app, Some(&ann), &user_todos, json!({ "name": "bob" })).await;
    assert_eq!(as_ann["user"]["todos"], empty_list());
    let anns = ok(&app, Some(&ann), &user_todos, json!({ "name": "ann" })).await;
    assert_eq!(titles(&anns["user"]["todos"]), ["ann done", "ann report"]);
    assert_eq!(anns["user"]["todos"]["totalCount"], 2);

    // An admin sees everyone's, by id and in lists.
    let seen = ok(&app, Some(&root), NODE_TODO, json!({ "id": report })).await;
    assert_eq!(seen["node"]["title"], "ann report");
    assert_eq!(seen["node"]["owner"]["username"], "ann");
    let of_ann = ok(&app, Some(&root), &user_todos, json!({ "name": "ann" })).await;
    assert_eq!(titles(&of_ann["user"]["todos"]), ["ann done", "ann report"]);
    assert_eq!(of_ann["user"]["todos"]["totalCount"], 2);
    let all = ok(
        &app,
        Some(&root),
        &format!("{{ todos(orderBy: {{ field: TITLE, direction: ASC }}) {{ {LIST} }} }}"),
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

async fn emails_show_to_self_and_admins_in_lists_owners_and_nodes(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, ann_id) = app.sign_up("ann").await;
    let (bob, _) = app.sign_up("bob").await;
    let root = admin(&app, "root").await;
    let todo = create(&app, &ann, "ann's", &[]).await;

    let users = "{ users { nodes { username email } } }";
    let listed = |ann: Value, bob: Value, root: Value| {
        json!([
            { "username": "ann", "email": ann },
            { "username": "bob", "email": bob },
            { "username": "root", "email": root },
        ])
    };
    let as_ann = ok(&app, Some(&ann), users, json!({})).await;
    assert_eq!(
        as_ann["users"]["nodes"],
        listed(json!("ann@example.com"), Value::Null, Value::Null)
    );
    let as_bob = ok(&app, Some(&bob), users, json!({})).await;
    assert_eq!(
        as_bob["users"]["nodes"],
        listed(Value::Null, json!("bob@example.com"), Value::Null)
    );
    let anonymous = ok(&app, None, users, json!({})).await;
    assert_eq!(
        anonymous["users"]["nodes"],
        listed(Value::Null, Value::Null, Value::Null)
    );
    let as_root = ok(&app, Some(&root), users, json!({})).await;
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
    let own = ok(&app, Some(&ann), owner, json!({})).await;
    assert_eq!(
        own["todos"]["nodes"],
        json!([{ "owner": { "username": "ann", "email": "ann@example.com" } }])
    );
    let admin_view = ok(&app, Some(&root), owner, json!({})).await;
    assert_eq!(
        admin_view["todos"]["nodes"],
        json!([{ "owner": { "username": "ann", "email": "ann@example.com" } }])
    );
    let by_id = ok(&app, Some(&root), NODE_TODO, json!({ "id": todo })).await;
    assert_eq!(by_id["node"]["owner"]["email"], "ann@example.com");

    // Through node(id) of the user.
    let node = "query($id: ID!) { node(id: $id) { __typename ... on User { username email } } }";
    for (token, email) in [
        (None, Value::Null),
        (Some(bob.as_str()), Value::Null),
        (Some(ann.as_str()), json!("ann@example.com")),
        (Some(root.as_str()), json!("ann@example.com")),
    ] {
        let body = ok(&app, token, node, json!({ "id": ann_id })).await;
        assert_eq!(
            body["node"],
            json!({ "__typename": "User", "username": "ann", "email": email }),
            "as {token:?}"
        );
    }
}
tests::both_backends!(emails_show_to_self_and_admins_in_lists_owners_and_nodes);

async fn soft_deleted_todos_are_left_out_of_lists_unless_asked_for(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    let root = admin(&app, "root").await;
    create(&app, &ann, "live", &["t"]).await;
    let gone = create(&app, &ann, "gone", &["t"]).await;
    let deleted = ok(
        &app,
        Some(&ann),
        "mutation($id: ID!) { deleteTodo(id: $id) { deletedAt } }",
        json!({ "id": gone }),
    )
    .await;
    let deleted_at = deleted["deleteTodo"]["deletedAt"].clone();
    assert!(deleted_at.is_string(), "{deleted}");

    let lists = format!(
        "query($filter: TodoFilter) {{
            todos(filter: $filter) {{ {LIST} }}
            user(username: \"ann\") {{ todos(filter: $filter) {{ {LIST} }} }}
            tag(name: \"t\") {{ todos(filter: $filter) {{ {LIST} }} }} }}"
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
            let data = ok(&app, Some(token), &lists, json!({ "filter": filter })).await;
            assert_eq!(
                each(&data),
                vec![(vec!["live".to_owned()], json!(1)); 3],
                "{filter}"
            );
        }
        let data = ok(
            &app,
            Some(token),
            &lists,
            json!({ "filter": { "deleted": true } }),
        )
        .await;
        assert_eq!(each(&data), vec![(vec!["gone".to_owned()], json!(1)); 3]);
    }

    // By id it stays reachable (it can be restored), marked deleted; still only for ann.
    let node = ok(&app, Some(&ann), NODE_TODO, json!({ "id": gone })).await;
    assert_eq!(node["node"]["title"], "gone");
    assert_eq!(node["node"]["deletedAt"], deleted_at);
    let (bob, _) = app.sign_up("bob").await;
    let probe = app.gql_as(&bob, NODE_TODO, json!({ "id": gone })).await;
    assert_eq!(error_code(&probe), Some("NOT_FOUND"), "{probe}");

    ok(
        &app,
        Some(&ann),
        "mutation($id: ID!) { restoreTodo(id: $id) { id } }",
        json!({ "id": gone }),
    )
    .await;
    let data = ok(&app, Some(&ann), &lists, json!({ "filter": null })).await;
    assert_eq!(
        each(&data),
        vec![(vec!["gone".to_owned(), "live".to_owned()], json!(2)); 3]
    );
}
tests::both_backends!(soft_deleted_todos_are_left_out_of_lists_unless_asked_for);

async fn anonymous_viewers_read_users_and_tags_but_no_todos(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, ann_id) = app.sign_up("ann").await;
    let body = app
        .gql_as(
            &ann,
            CREATE,
            json!({ "input": { "title": "secret", "tags": ["t"] } }),
        )
        .await;
    let created = &body["data"]["createTodo"];
    let todo = created["id"].as_str().expect("todo id").to_owned();
    let tag = created["tags"][0]["id"]
        .as_str()
        .expect("tag id")
        .to_owned();
    let entry = created["history"]["nodes"][0]["id"]
        .as_str()
        .expect("history id")
        .to_owned();

    let data = ok(
        &app,
        None,
        &format!(
            "{{ viewer {{ username }}
                todos {{ {LIST} }}
                deleted: todos(filter: {{ deleted: true }}) {{ {LIST} }}
                user(username: \"ann\") {{ username todos {{ {LIST} }} }}
                tag(name: \"t\") {{ name todos {{ {LIST} }} }}
                users {{ totalCount nodes {{ username }} }}
                tags {{ totalCount nodes {{ name }} }} }}"
        ),
        json!({}),
    )
    .await;
    assert_eq!(data["viewer"], Value::Null);
    assert_eq!(data["todos"], empty_list());
    assert_eq!(data["deleted"], empty_list());
    assert_eq!(data["user"]["username"], "ann");
    assert_eq!(data["user"]["todos"], empty_list());
    assert_eq!(data["tag"]["name"], "t");
    assert_eq!(data["tag"]["todos"], empty_list());
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
        let found = ok(&app, None, node, json!({ "id": id })).await;
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
    let many = ok(
        &app,
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
    let still = ok(&app, Some(&ann), NODE_TODO, json!({ "id": todo })).await;
    assert_eq!(still["node"]["deletedAt"], Value::Null);
}
tests::both_backends!(anonymous_viewers_read_users_and_tags_but_no_todos);

async fn tag_todos_lists_only_todos_the_viewer_may_see(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    let (bob, _) = app.sign_up("bob").await;
    let (cat, _) = app.sign_up("cat").await;
    let root = admin(&app, "root").await;
    create(&app, &ann, "ann work", &["work"]).await;
    create(&app, &ann, "ann home", &["home"]).await;
    create(&app, &bob, "bob work", &["Work"]).await;
    create(&app, &bob, "bob more work", &["work", "home"]).await;

    let query = format!(
        "{{ tag(name: \"work\") {{ name todos(orderBy: {{ field: TITLE, direction: ASC }}) {{ {LIST} }} }}
            tags {{ nodes {{ name todos {{ totalCount }} }} }} }}"
    );
    for (token, expected, home, work) in [
        (&ann, vec!["ann work"], 1, 1),
        (&bob, vec!["bob more work", "bob work"], 1, 2),
        (&cat, vec![], 0, 0),
        (&root, vec!["ann work", "bob more work", "bob work"], 2, 3),
    ] {
        let data = ok(&app, Some(token), &query, json!({})).await;
        assert_eq!(data["tag"]["name"], "work");
        assert_eq!(titles(&data["tag"]["todos"]), expected);
        assert_eq!(data["tag"]["todos"]["totalCount"], expected.len());
        assert_eq!(data["tag"]["todos"]["pageInfo"]["hasNextPage"], false);
        assert_eq!(
            data["tags"]["nodes"],
            json!([
                { "name": "home", "todos": { "totalCount": home } },
                { "name": "work", "todos": { "totalCount": work } },
            ])
        );
    }
}
tests::both_backends!(tag_todos_lists_only_todos_the_viewer_may_see);

async fn history_follows_a_transferred_todo_to_its_new_owner(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    let (bob, bob_id) = app.sign_up("bob").await;
    let root = admin(&app, "root").await;
    let todo = create(&app, &ann, "report", &[]).await;
    ok(
        &app,
        Some(&ann),
        "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        json!({ "id": todo }),
    )
    .await;
    let history = "query($id: ID!) { node(id: $id) { ... on Todo { title owner { username }
        history { totalCount nodes { id action actor { username email }
            fromUser { username email } toUser { username email } } } } } }";
    let before = ok(&app, Some(&ann), history, json!({ "id": todo })).await;
    let entries_before = before["node"]["history"]["nodes"].clone();
    assert_eq!(before["node"]["history"]["totalCount"], 2, "{before}");

    ok(
        &app,
        Some(&ann),
        "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
        json!({ "id": todo, "to": bob_id }),
    )
    .await;

    // Bob now sees the todo and its whole history; ann's email stays hidden from him.
    let after = ok(&app, Some(&bob), history, json!({ "id": todo })).await;
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
    let listed = ok(&app, Some(&bob), "{ todos { nodes { id } } }", json!({})).await;
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
        let seen = ok(&app, Some(token), nodes, json!({ "ids": ids })).await;
        assert_eq!(seen["nodes"], expected);
    }

    // Ann no longer sees any of it.
    let gone = ok(&app, Some(&ann), nodes, json!({ "ids": ids })).await;
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
    let lists = ok(
        &app,
        Some(&ann),
        &format!("{{ todos {{ {LIST} }} user(username: \"bob\") {{ todos {{ {LIST} }} }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(lists["todos"], empty_list());
    assert_eq!(lists["user"]["todos"], empty_list());
}
tests::both_backends!(history_follows_a_transferred_todo_to_its_new_owner);

async fn node_and_nodes_resolve_every_type_in_order(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, ann_id) = app.sign_up("ann").await;
    let (bob, _) = app.sign_up("bob").await;
    let body = app
        .gql_as(
            &ann,
            CREATE,
            json!({ "input": { "title": "milk", "tags": ["home"] } }),
        )
        .await;
    let created = &body["data"]["createTodo"];
    let todo = created["id"].as_str().expect("todo id").to_owned();
    let tag = created["tags"][0]["id"]
        .as_str()
        .expect("tag id")
        .to_owned();
    let entry = created["history"]["nodes"][0]["id"]
        .as_str()
        .expect("history id")
        .to_owned();
    let bobs = create(&app, &bob, "bob's", &[]).await;

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
        let data = ok(&app, Some(&ann), &node, json!({ "id": id })).await;
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
    let data = ok(&app, Some(&ann), &nodes, json!({ "ids": ids })).await;
    assert_eq!(
        data["nodes"],
        json!([
            tag_node, null, entry_node, null, user_node, todo_node, null, null, tag_node, null
        ])
    );
    let data = ok(&app, Some(&ann), &nodes, json!({ "ids": [] })).await;
    assert_eq!(data["nodes"], json!([]));
}
tests::both_backends!(node_and_nodes_resolve_every_type_in_order);

async fn malformed_and_mistyped_ids_are_bad_user_input(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, ann_id) = app.sign_up("ann").await;
    let body = app
        .gql_as(
            &ann,
            CREATE,
            json!({ "input": { "title": "milk", "tags": ["home"] } }),
        )
        .await;
    let todo = body["data"]["createTodo"]["id"]
        .as_str()
        .expect("todo id")
        .to_owned();
    let tag = body["data"]["createTodo"]["tags"][0]["id"]
        .as_str()
        .expect("tag id")
        .to_owned();

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
    let still = ok(&app, Some(&ann), NODE_TODO, json!({ "id": todo })).await;
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

async fn searches_match_percent_and_underscore_literally(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    for name in ["a_b", "axb", "Xa_bX"] {
        fixtures::user(app.db(), name).await;
    }
    for name in ["100%", "100 pct", "a_b", "axb"] {
        ok(
            &app,
            Some(&ann),
            "mutation($name: String!) { createTag(input: { name: $name }) { id } }",
            json!({ "name": name }),
        )
        .await;
    }

    let users = "query($search: String) { users(search: $search) { totalCount
        nodes { username } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let tags = "query($search: String) { tags(search: $search) { totalCount
        nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let found = |data: &Value, list: &str, field: &str| -> Vec<String> {
        let connection = &data[list];
        let names: Vec<String> = connection["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("no nodes: {data}"))
            .iter()
            .map(|n| n[field].as_str().expect("a name").to_owned())
            .collect();
        assert_eq!(connection["totalCount"], names.len(), "{data}");
        let mut sorted = names.clone();
        sorted.sort_by_key(|n| n.to_lowercase());
        sorted
    };
    for (search, expected) in [
        ("0%", vec!["100%"]),
        ("%", vec!["100%"]),
        ("100", vec!["100 pct", "100%"]),
        ("a_b", vec!["a_b"]),
        ("A_B", vec!["a_b"]),
        ("_", vec!["a_b"]),
        ("AXB", vec!["axb"]),
    ] {
        let data = ok(&app, Some(&ann), tags, json!({ "search": search })).await;
        assert_eq!(found(&data, "tags", "name"), expected, "tags {search:?}");
    }
    for (search, expected) in [
        ("a_b", vec!["a_b", "Xa_bX"]),
        ("A_B", vec!["a_b", "Xa_bX"]),
        ("_", vec!["a_b", "Xa_bX"]),
        ("%", vec![]),
        ("XB", vec!["axb"]),
        ("", vec!["a_b", "ann", "axb", "Xa_bX"]),
    ] {
        let data = ok(&app, None, users, json!({ "search": search })).await;
        assert_eq!(
            found(&data, "users", "username"),
            expected,
            "users {search:?}"
        );
    }

    // Nothing matches: an empty connection, not an error.
    let empty = json!({ "totalCount": 0, "nodes": [], "pageInfo": {
        "hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null } });
    for search in ["zzz", "a%b", "\\"] {
        let data = ok(&app, None, tags, json!({ "search": search })).await;
        assert_eq!(data["tags"], empty, "tags {search:?}");
        let data = ok(&app, None, users, json!({ "search": search })).await;
        assert_eq!(data["users"], empty, "users {search:?}");
    }
}
tests::both_backends!(searches_match_percent_and_underscore_literally);

async fn searches_ignore_case_beyond_ascii(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ann, _) = app.sign_up("ann").await;
    for name in ["Über", "Ärger", "other"] {
        ok(
            &app,
            Some(&ann),
            "mutation($name: String!) { createTag(input: { name: $name }) { id } }",
            json!({ "name": name }),
        )
        .await;
    }
    let tags = "query($search: String) { tags(search: $search) { totalCount nodes { name } } }";
    for (search, expected) in [
        ("Über", "Über"),
        ("über", "Über"),
        ("ÜBER", "Über"),
        ("ärg", "Ärger"),
        ("RGER", "Ärger"),
    ] {
        let data = ok(&app, Some(&ann), tags, json!({ "search": search })).await;
        assert_eq!(
            data["tags"],
            json!({ "totalCount": 1, "nodes": [{ "name": expected }] }),
            "tags(search: {search:?})"
        );
    }
}
// PostgreSQL only: SQLite's LOWER and LIKE fold ASCII letters alone (a documented SQLite
// limitation of the embedded development default; see the README), so there "Über" and
// "über" are different names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_ignore_case_beyond_ascii_on_postgres() {
    searches_ignore_case_beyond_ascii(Backend::Postgres).await;
}

async fn nodes_accepts_a_page_of_ids_and_refuses_more(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
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
