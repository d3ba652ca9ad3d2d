//! Every mutation over HTTP: what it changes, the history it writes, and the clear error and
//! unchanged data for bad input.

use entity::{tag, todo, todo_history, todo_tag};
use sea_orm::{EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tests::test_app::{TestApp, error_code, error_field};

const CREATE: &str = "mutation($input: CreateTodoInput!) {
    createTodo(input: $input) { id title description priority completed dueDate version tags { name } owner { username } } }";
const UPDATE: &str = "mutation($input: UpdateTodoInput!) {
    updateTodo(input: $input) { id title description priority completed completedAt dueDate version } }";

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    let body = app.gql_as(token, CREATE, json!({ "input": input })).await;
    assert_eq!(body.get("errors"), None, "{body}");
    body["data"]["createTodo"].clone()
}

async fn history_actions(app: &TestApp) -> Vec<String> {
    let mut entries = todo_history::Entity::find()
        .all(app.db())
        .await
        .expect("history");
    entries.sort_by_key(|e| e.id);
    entries.iter().map(|e| format!("{:?}", e.action)).collect()
}

async fn create_todo_with_tags_and_defaults(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let todo = create(
        &app,
        &token,
        json!({ "title": "  Buy milk ", "tags": ["Home", "errands", "home"], "dueDate": "2026-12-01T10:00:00+02:00" }),
    )
    .await;
    assert_eq!(todo["title"], "Buy milk");
    assert_eq!(todo["priority"], "MEDIUM");
    assert_eq!(todo["completed"], false);
    assert_eq!(todo["version"], 1);
    assert_eq!(todo["dueDate"], "2026-12-01T08:00:00Z");
    assert_eq!(todo["owner"]["username"], "ann");
    assert_eq!(
        todo["tags"],
        json!([{ "name": "errands" }, { "name": "Home" }])
    );

    // Explicit nulls mean the defaults; an existing tag is reused whatever its case.
    let second = create(
        &app,
        &token,
        json!({ "title": "Walk", "priority": null, "tags": ["HOME"] }),
    )
    .await;
    assert_eq!(second["priority"], "MEDIUM");
    assert_eq!(second["tags"], json!([{ "name": "Home" }]));
    let third = create(&app, &token, json!({ "title": "Nap", "tags": null })).await;
    assert_eq!(third["tags"], json!([]));
    assert_eq!(tag::Entity::find().count(app.db()).await.expect("count"), 2);
    assert_eq!(
        history_actions(&app).await,
        ["Created", "Created", "Created"]
    );
}
tests::both_backends!(create_todo_with_tags_and_defaults);

async fn bad_input_is_rejected_and_changes_nothing(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    for (input, field) in [
        (json!({ "title": "   " }), "title"),
        (json!({ "title": "x".repeat(201) }), "title"),
        (
            json!({ "title": "ok", "description": "x".repeat(10_001) }),
            "description",
        ),
        (json!({ "title": "ok", "tags": ["x".repeat(51)] }), "tags"),
        (json!({ "title": "ok", "tags": [" "] }), "tags"),
    ] {
        let body = app.gql_as(&token, CREATE, json!({ "input": input })).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(error_field(&body), Some(field), "{body}");
    }
    let bad_date = app
        .gql_as(
            &token,
            CREATE,
            json!({ "input": { "title": "ok", "dueDate": "tomorrow" } }),
        )
        .await;
    assert_eq!(error_code(&bad_date), Some("BAD_USER_INPUT"), "{bad_date}");
    assert_eq!(error_field(&bad_date), Some("dueDate"), "{bad_date}");
    // The same from a literal, from the second entry of a batch, and in a filter.
    let batch = "mutation($input: [CreateTodoInput!]!) { createTodos(input: $input) { id } }";
    for body in [
        app.gql_as(
            &token,
            r#"mutation { createTodo(input: { title: "ok", dueDate: "soon" }) { id } }"#,
            json!({}),
        )
        .await,
        app.gql_as(
            &token,
            batch,
            json!({ "input": [{ "title": "ok" }, { "title": "ok", "dueDate": "2026-13-01T00:00:00Z" }] }),
        )
        .await,
    ] {
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(error_field(&body), Some("dueDate"), "{body}");
    }
    let filter = app
        .gql_as(
            &token,
            "query($before: DateTime) { todos(filter: { dueBefore: $before }) { totalCount } }",
            json!({ "before": "yesterday" }),
        )
        .await;
    assert_eq!(error_field(&filter), Some("dueBefore"), "{filter}");
    let anonymous = app.gql(CREATE, json!({ "input": { "title": "ok" } })).await;
    assert_eq!(
        error_code(&anonymous),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );
    assert_eq!(
        todo::Entity::find().count(app.db()).await.expect("count"),
        0
    );
    assert_eq!(tag::Entity::find().count(app.db()).await.expect("count"), 0);
    assert_eq!(
        todo_history::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        0
    );
}
tests::both_backends!(bad_input_is_rejected_and_changes_nothing);

async fn create_todos_is_all_or_nothing(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let batch = "mutation($input: [CreateTodoInput!]!) { createTodos(input: $input) { title tags { name } } }";
    let many: Vec<Value> = (0..250)
        .map(|n| json!({ "title": format!("todo {n}"), "tags": [format!("t{}", n % 7), "bulk"] }))
        .collect();
    let (body, statements) = app
        .gql_counted(Some(&token), batch, json!({ "input": many }))
        .await;
    let created = body["data"]["createTodos"].as_array().expect("todos");
    assert_eq!(created.len(), 250);
    assert_eq!(created[249]["title"], "todo 249");
    assert_eq!(
        created[3]["tags"],
        json!([{ "name": "bulk" }, { "name": "t3" }])
    );
    // Chunked multi-row inserts, not one statement per row.
    assert!(statements < 40, "{statements} statements for 250 todos");
    assert_eq!(
        todo_tag::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        500
    );

    let mut one_bad = vec![json!({ "title": "fine", "tags": ["new-tag"] }); 10];
    one_bad.push(json!({ "title": "" }));
    let body = app.gql_as(&token, batch, json!({ "input": one_bad })).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(error_field(&body), Some("title"));
    let too_many: Vec<Value> = (0..1001)
        .map(|n| json!({ "title": format!("t{n}") }))
        .collect();
    let body = app
        .gql_as(&token, batch, json!({ "input": too_many }))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(
        todo::Entity::find().count(app.db()).await.expect("count"),
        250
    );
    assert_eq!(tag::Entity::find().count(app.db()).await.expect("count"), 8);
}
tests::both_backends!(create_todos_is_all_or_nothing);

async fn update_keeps_absent_clears_null_and_checks_versions(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let todo = create(
        &app,
        &token,
        json!({ "title": "Draft", "description": "d", "dueDate": "2026-12-01T00:00:00Z" }),
    )
    .await;
    let id = todo["id"].clone();

    let body = app
        .gql_as(&token, UPDATE, json!({ "input": { "id": id, "title": "Final", "priority": "HIGH", "expectedVersion": 1 } }))
        .await;
    let updated = &body["data"]["updateTodo"];
    assert_eq!(updated["title"], "Final", "{body}");
    assert_eq!(updated["description"], "d");
    assert_eq!(updated["dueDate"], "2026-12-01T00:00:00Z");
    assert_eq!(updated["priority"], "HIGH");
    assert_eq!(updated["version"], 2);

    let body = app
        .gql_as(&token, UPDATE, json!({ "input": { "id": id, "description": null, "dueDate": null, "completed": true } }))
        .await;
    let updated = &body["data"]["updateTodo"];
    assert_eq!(
        (&updated["description"], &updated["dueDate"]),
        (&Value::Null, &Value::Null),
        "{body}"
    );
    assert_eq!(updated["completed"], true);
    assert!(updated["completedAt"].is_string());
    assert_eq!(updated["version"], 3);

    let stale = app
        .gql_as(
            &token,
            UPDATE,
            json!({ "input": { "id": id, "title": "Lost", "expectedVersion": 2 } }),
        )
        .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"), "{stale}");
    for field in ["title", "priority", "completed"] {
        let mut input = json!({ "id": id });
        input[field] = Value::Null;
        let body = app.gql_as(&token, UPDATE, json!({ "input": input })).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(error_field(&body), Some(field), "{body}");
    }
    let (other, _) = app.sign_up("bob").await;
    let foreign = app
        .gql_as(
            &other,
            UPDATE,
            json!({ "input": { "id": id, "title": "Mine" } }),
        )
        .await;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");

    // completed: false reopens it and clears completedAt; the history says which change it
    // was, and a completion that comes with other changes is an update.
    let update = |input: Value| {
        let mut input = input;
        input["id"] = id.clone();
        app.gql_as(&token, UPDATE, json!({ "input": input }))
    };
    let body = update(json!({ "completed": false })).await;
    let reopened = &body["data"]["updateTodo"];
    assert_eq!(
        (
            &reopened["completed"],
            &reopened["completedAt"],
            &reopened["version"]
        ),
        (&json!(false), &Value::Null, &json!(4)),
        "{body}"
    );
    let last_action = || async { history_actions(&app).await.last().cloned() };
    assert_eq!(last_action().await.as_deref(), Some("Reopened"));
    let body = update(json!({ "completed": true, "priority": "LOW" })).await;
    assert!(
        body["data"]["updateTodo"]["completedAt"].is_string(),
        "{body}"
    );
    assert_eq!(last_action().await.as_deref(), Some("Updated"));
    for completed in [false, true] {
        let body = update(json!({ "completed": completed })).await;
        assert_eq!(body.get("errors"), None, "{body}");
    }
    assert_eq!(last_action().await.as_deref(), Some("Completed"));

    let stored = todo::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("todo");
    assert_eq!((stored.title.as_str(), stored.version), ("Final", 7));
}
tests::both_backends!(update_keeps_absent_clears_null_and_checks_versions);

async fn toggle_delete_restore_and_delete_completed(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let a = create(&app, &token, json!({ "title": "a" })).await["id"].clone();
    let b = create(&app, &token, json!({ "title": "b" })).await["id"].clone();
    let toggle = "mutation($id: ID!) { toggleTodo(id: $id) { completed completedAt version } }";
    let on = app.gql_as(&token, toggle, json!({ "id": a })).await;
    assert_eq!(on["data"]["toggleTodo"]["completed"], true, "{on}");
    assert!(on["data"]["toggleTodo"]["completedAt"].is_string());
    let off = app.gql_as(&token, toggle, json!({ "id": a })).await;
    assert_eq!(
        off["data"]["toggleTodo"],
        json!({ "completed": false, "completedAt": null, "version": 3 })
    );
    app.gql_as(&token, toggle, json!({ "id": b })).await;

    let purge = app
        .gql_as(
            &token,
            "mutation { deleteCompletedTodos { deletedCount deletedIds } }",
            json!({}),
        )
        .await;
    assert_eq!(
        purge["data"]["deleteCompletedTodos"],
        json!({ "deletedCount": 1, "deletedIds": [b] })
    );
    let live = app
        .gql_as(&token, "{ todos { nodes { id } } }", json!({}))
        .await;
    assert_eq!(live["data"]["todos"]["nodes"], json!([{ "id": a }]));

    let delete = "mutation($id: ID!) { deleteTodo(id: $id) { deletedAt } }";
    let deleted = app.gql_as(&token, delete, json!({ "id": a })).await;
    assert!(
        deleted["data"]["deleteTodo"]["deletedAt"].is_string(),
        "{deleted}"
    );
    let restore = "mutation($id: ID!) { restoreTodo(id: $id) { deletedAt } }";
    let restored = app.gql_as(&token, restore, json!({ "id": b })).await;
    assert_eq!(
        restored["data"]["restoreTodo"]["deletedAt"],
        Value::Null,
        "{restored}"
    );
    let after = app
        .gql_as(
            &token,
            "{ todos(orderBy: { field: TITLE, direction: ASC }) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(after["data"]["todos"]["nodes"], json!([{ "id": b }]));
    assert_eq!(
        history_actions(&app).await,
        [
            "Created",
            "Created",
            "Completed",
            "Reopened",
            "Completed",
            "Deleted",
            "Deleted",
            "Restored"
        ]
    );
}
tests::both_backends!(toggle_delete_restore_and_delete_completed);

async fn transfer_and_set_tags(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let (bob, bob_id) = app.sign_up("bob").await;
    let id = create(&app, &ann, json!({ "title": "report", "tags": ["work"] })).await["id"].clone();

    let set = "mutation($id: ID!, $tags: [String!]!) { setTodoTags(id: $id, tags: $tags) { tags { name } version } }";
    let body = app
        .gql_as(&ann, set, json!({ "id": id, "tags": ["urgent", "Work"] }))
        .await;
    assert_eq!(
        body["data"]["setTodoTags"],
        json!({ "tags": [{ "name": "urgent" }, { "name": "work" }], "version": 2 })
    );
    assert_eq!(history_actions(&app).await, ["Created", "Tagged"]);
    let body = app
        .gql_as(&ann, set, json!({ "id": id, "tags": ["urgent"] }))
        .await;
    assert_eq!(
        body["data"]["setTodoTags"]["tags"],
        json!([{ "name": "urgent" }])
    );
    assert_eq!(
        history_actions(&app).await,
        ["Created", "Tagged", "Untagged"]
    );
    // The same tags again (in another case) change nothing: no version, no history.
    let entries = history_actions(&app).await.len();
    let same = app
        .gql_as(&ann, set, json!({ "id": id, "tags": ["URGENT"] }))
        .await;
    assert_eq!(
        same["data"]["setTodoTags"],
        json!({ "tags": [{ "name": "urgent" }], "version": 3 }),
        "{same}"
    );
    assert_eq!(history_actions(&app).await.len(), entries);

    let transfer = "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) {
        owner { username } history(first: 1) { nodes { action fromUser { username } toUser { username } } } } }";
    let to_self = app
        .gql_as(&bob, transfer, json!({ "id": id, "to": bob_id }))
        .await;
    assert_eq!(
        error_code(&to_self),
        Some("NOT_FOUND"),
        "bob does not own it: {to_self}"
    );
    let body = app
        .gql_as(&ann, transfer, json!({ "id": id, "to": bob_id }))
        .await;
    assert_eq!(
        body["data"]["transferTodo"],
        json!({ "owner": { "username": "bob" }, "history": { "nodes": [
            { "action": "TRANSFERRED", "fromUser": { "username": "ann" }, "toUser": { "username": "bob" } }] } }),
        "{body}"
    );
    // Now it is bob's: ann no longer sees it.
    let gone = app.gql_as(&ann, set, json!({ "id": id, "tags": [] })).await;
    assert_eq!(error_code(&gone), Some("NOT_FOUND"), "{gone}");
    let wrong_type = app
        .gql_as(&bob, transfer, json!({ "id": id, "to": id }))
        .await;
    assert_eq!(
        error_code(&wrong_type),
        Some("BAD_USER_INPUT"),
        "{wrong_type}"
    );
    assert_eq!(error_field(&wrong_type), Some("toUserId"));

    // Recipients that do not exist, or are deactivated, are refused and nothing moves.
    let (_, cat_id) = app.sign_up("cat").await;
    let cat = app.user_id("cat").await;
    entity::user::Entity::update_many()
        .col_expr(
            entity::user::Column::IsActive,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(entity::user::COLUMN.id.eq(cat))
        .exec(app.db())
        .await
        .expect("deactivate cat");
    let missing = api::schema::node::global_id(api::schema::node::NodeType::User, 99_999).0;
    let entries = history_actions(&app).await.len();
    for to in [json!(cat_id), json!(missing)] {
        let refused = app
            .gql_as(&bob, transfer, json!({ "id": id, "to": to }))
            .await;
        assert_eq!(
            (error_code(&refused), error_field(&refused)),
            (Some("BAD_USER_INPUT"), Some("toUserId")),
            "{refused}"
        );
    }
    let owner = "query($id: ID!) { node(id: $id) { ... on Todo { owner { username } version } } }";
    let still = app.gql_as(&bob, owner, json!({ "id": id })).await;
    assert_eq!(
        still["data"]["node"],
        json!({ "owner": { "username": "bob" }, "version": 4 }),
        "{still}"
    );
    assert_eq!(history_actions(&app).await.len(), entries);
}
tests::both_backends!(transfer_and_set_tags);

async fn reads_after_a_mutation_see_the_new_state(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let id = create(&app, &token, json!({ "title": "a", "tags": ["one"] })).await["id"].clone();
    // Mutations run in order; each field's nested reads happen after its own write.
    let body = app
        .gql_as(
            &token,
            r#"mutation($id: ID!) {
                first: setTodoTags(id: $id, tags: ["two"]) { tags { name } }
                second: setTodoTags(id: $id, tags: ["three"]) { tags { name } }
                toggled: toggleTodo(id: $id) { completed owner { todos(filter: { completed: true }) { totalCount } } }
            }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        body["data"]["first"]["tags"],
        json!([{ "name": "two" }]),
        "{body}"
    );
    assert_eq!(body["data"]["second"]["tags"], json!([{ "name": "three" }]));
    assert_eq!(body["data"]["toggled"]["owner"]["todos"]["totalCount"], 1);
    let next = app
        .gql_as(
            &token,
            "{ todos { nodes { completed tags { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        next["data"]["todos"]["nodes"],
        json!([{ "completed": true, "tags": [{ "name": "three" }] }])
    );
}
tests::both_backends!(reads_after_a_mutation_see_the_new_state);
