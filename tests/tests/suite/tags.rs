//! Tags: created with todos by anyone, renamed and deleted by admins, beyond ASCII, and
//! the todos a tag lists.

use entity::{tag, todo_tag};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tests::{
    Backend,
    connection::{TITLES_PAGE, titles},
    test_app::{TestApp, error_code, error_field},
};

async fn tags_are_created_by_anyone_and_changed_by_admins(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let admin = app.sign_up_admin("root").await;
    let create_tag =
        "mutation($input: CreateTagInput!) { createTag(input: $input) { id name color } }";
    let body = app
        .gql_as(
            &ann,
            create_tag,
            json!({ "input": { "name": " Garden ", "color": "#22AA44" } }),
        )
        .await;
    let tag = body["data"]["createTag"].clone();
    assert_eq!(
        (&tag["name"], &tag["color"]),
        (&json!("Garden"), &json!("#22aa44")),
        "{body}"
    );
    let taken = app
        .gql_as(&ann, create_tag, json!({ "input": { "name": "garden" } }))
        .await;
    assert_eq!(
        (error_code(&taken), error_field(&taken)),
        (Some("BAD_USER_INPUT"), Some("name")),
        "{taken}"
    );
    let bad_color = app
        .gql_as(
            &ann,
            create_tag,
            json!({ "input": { "name": "x", "color": "green" } }),
        )
        .await;
    assert_eq!(error_field(&bad_color), Some("color"), "{bad_color}");

    let update = "mutation($input: UpdateTagInput!) { updateTag(input: $input) { name color } }";
    let forbidden = app
        .gql_as(
            &ann,
            update,
            json!({ "input": { "id": tag["id"], "name": "Yard" } }),
        )
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"), "{forbidden}");
    let renamed = app
        .gql_as(
            &admin,
            update,
            json!({ "input": { "id": tag["id"], "name": "Yard" } }),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateTag"],
        json!({ "name": "Yard", "color": "#22aa44" }),
        "{renamed}"
    );
    // Renaming onto another tag's name, in any case, is refused like creating it.
    let shed = app
        .gql_as(&ann, create_tag, json!({ "input": { "name": "Shed" } }))
        .await;
    let clash = app
        .gql_as(
            &admin,
            update,
            json!({ "input": { "id": shed["data"]["createTag"]["id"], "name": "YARD" } }),
        )
        .await;
    assert_eq!(
        (error_code(&clash), error_field(&clash)),
        (Some("BAD_USER_INPUT"), Some("name")),
        "{clash}"
    );
    let delete = "mutation($id: ID!) { deleteTag(id: $id) { name } }";
    let forbidden = app.gql_as(&ann, delete, json!({ "id": tag["id"] })).await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    // Two of ann's todos carry the tag, one does not: deleting it changes those two, with
    // a version bump and an UNTAGGED entry by the admin, as if ann had untagged them.
    let tagged: Vec<Value> = [("dig", vec!["Yard", "home"]), ("mow", vec!["yard"])]
        .into_iter()
        .map(|(title, tags)| json!({ "title": title, "tags": tags }))
        .collect();
    let mut ids = Vec::new();
    for input in tagged {
        ids.push(app.create_todo(&ann, input).await.id);
    }
    let untouched = app
        .create_todo(&ann, json!({ "title": "rest", "tags": ["home"] }))
        .await;
    let deleted = app.gql_as(&admin, delete, json!({ "id": tag["id"] })).await;
    assert_eq!(deleted["data"]["deleteTag"]["name"], "Yard", "{deleted}");
    // "home" and "Shed" remain.
    assert_eq!(tag::Entity::find().count(app.db()).await.expect("count"), 2);
    let read = "query($id: ID!) { node(id: $id) { ... on Todo { version tags { name }
        history(first: 1) { nodes { action actor { username } } } } } }";
    for (id, tags) in ids.iter().zip([json!([{ "name": "home" }]), json!([])]) {
        let body = app.gql_as(&ann, read, json!({ "id": id })).await;
        assert_eq!(
            body["data"]["node"],
            json!({ "version": 2, "tags": tags, "history": { "nodes": [
                { "action": "UNTAGGED", "actor": { "username": "root" } }] } }),
            "{body}"
        );
    }
    let body = app.gql_as(&ann, read, json!({ "id": untouched.id })).await;
    assert_eq!(body["data"]["node"]["version"], 1, "{body}");
}
tests::both_backends!(tags_are_created_by_anyone_and_changed_by_admins);

/// A batch may bring more distinct tag names than one statement can carry parameters for
/// (SQLite takes 32,766): the tags are created in chunks, all in the one transaction.
async fn create_todos_with_thousands_of_new_tags(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let input: Vec<Value> = (0..1000)
        .map(|n| {
            let tags: Vec<String> = (0..12).map(|t| format!("t{n}-{t}")).collect();
            json!({ "title": format!("todo {n}"), "tags": tags })
        })
        .collect();
    let batch = "mutation($input: [CreateTodoInput!]!) { createTodos(input: $input) { id } }";
    let body = app.gql_as(&token, batch, json!({ "input": input })).await;
    assert_eq!(body.get("errors"), None, "{body}");
    assert_eq!(
        tag::Entity::find().count(app.db()).await.expect("count"),
        12_000
    );
    assert_eq!(
        todo_tag::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        12_000
    );
}
tests::both_backends!(create_todos_with_thousands_of_new_tags);

async fn tag_todos_lists_only_todos_the_viewer_may_see(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let (bob, _) = app.sign_up("bob").await;
    let (cat, _) = app.sign_up("cat").await;
    let root = app.sign_up_admin("root").await;
    app.create_todo(&ann, json!({ "title": "ann work", "tags": ["work"] }))
        .await;
    app.create_todo(&ann, json!({ "title": "ann home", "tags": ["home"] }))
        .await;
    app.create_todo(&bob, json!({ "title": "bob work", "tags": ["Work"] }))
        .await;
    app.create_todo(
        &bob,
        json!({ "title": "bob more work", "tags": ["work", "home"] }),
    )
    .await;

    let query = format!(
        "{{ tag(name: \"work\") {{ name todos(orderBy: {{ field: TITLE, direction: ASC }}) {{ {TITLES_PAGE} }} }}
            tags {{ nodes {{ name todos {{ totalCount }} }} }} }}"
    );
    for (token, expected, home, work) in [
        (&ann, vec!["ann work"], 1, 1),
        (&bob, vec!["bob more work", "bob work"], 1, 2),
        (&cat, vec![], 0, 0),
        (&root, vec!["ann work", "bob more work", "bob work"], 2, 3),
    ] {
        let data = app.data(Some(token), &query, json!({})).await;
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

/// Tags whose case Rust folds differently from the database (SQLite's LOWER folds ASCII
/// only; PostgreSQL's maps 'İ' to 'i') were created and then not found again: INTERNAL.
async fn tags_beyond_ascii_are_created_and_linked(app: TestApp) {
    let backend = app.backend();
    let (token, _) = app.sign_up("ann").await;
    let body = app
        .gql_as(
            &token,
            "mutation { createTag(input: { name: \"i\" }) { name } }",
            json!({}),
        )
        .await;
    assert_eq!(body.get("errors"), None, "{body}");

    let created = app
        .create_todo(&token, json!({ "title": "À", "tags": ["À"] }))
        .await;
    assert_eq!(created.tag_names, ["À"], "{created:?}");

    let created = app
        .create_todo(&token, json!({ "title": "İ", "tags": ["İ"] }))
        .await;
    let expected = match backend {
        // PostgreSQL's LOWER('İ') is 'i': the existing tag.
        Backend::Postgres => ["i"],
        Backend::Sqlite => ["İ"],
    };
    assert_eq!(created.tag_names, expected, "{created:?}");

    let body = app
        .gql_as(&token, "{ tag(name: \"À\") { name } }", json!({}))
        .await;
    assert_eq!(body["data"]["tag"]["name"], "À", "{body}");
}
tests::both_backends!(tags_beyond_ascii_are_created_and_linked);

/// A tag's todos come newest first from the links' copy of each todo's creation time (the
/// index behind Q3): every write that adds a link sets it, so the order, the pages and their
/// cursors are those of the todos' own creation times, whichever way the link was made.
async fn tag_todos_are_newest_first_whichever_write_made_the_link(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    // Oldest first: created with the tag, tagged later, created in a batch, created plain and
    // then tagged, created with the tag.
    app.create_todo(&ann, json!({ "title": "t1", "tags": ["work"] }))
        .await;
    let retagged = app.create_todo(&ann, json!({ "title": "t2" })).await;
    let batch = "mutation($input: [CreateTodoInput!]!) { createTodos(input: $input) { id } }";
    let input =
        json!([{ "title": "t3", "tags": ["work"] }, { "title": "t4", "tags": ["home", "work"] }]);
    assert!(app.gql_as(&ann, batch, json!({ "input": input })).await["errors"].is_null());
    let late = app
        .create_todo(&ann, json!({ "title": "t5", "tags": ["home"] }))
        .await;
    app.create_todo(&ann, json!({ "title": "t6", "tags": ["work"] }))
        .await;
    let set = "mutation($id: ID!, $tags: [String!]!) { setTodoTags(id: $id, tags: $tags) { id } }";
    for (id, tags) in [
        (&retagged.id, json!(["work"])),
        (&late.id, json!(["work", "home"])),
    ] {
        let body = app
            .gql_as(&ann, set, json!({ "id": id, "tags": tags }))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }

    let page = "query($after: String) { tag(name: \"work\") { todos(first: 2, after: $after) {
        nodes { title } pageInfo { hasNextPage endCursor } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.data(Some(&ann), page, json!({ "after": after })).await;
        let todos = &data["tag"]["todos"];
        seen.extend(titles(todos));
        if todos["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = todos["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ["t6", "t5", "t4", "t3", "t2", "t1"]);
    let oldest = "{ tag(name: \"work\") { todos(orderBy: { field: CREATED_AT, direction: ASC }) {
        nodes { title } } } }";
    let data = app.data(Some(&ann), oldest, json!({})).await;
    assert_eq!(
        titles(&data["tag"]["todos"]),
        ["t1", "t2", "t3", "t4", "t5", "t6"]
    );

    // And the copy is the todo's own value on every link, of both tags.
    let links = todo_tag::Entity::find()
        .all(app.db())
        .await
        .expect("read links");
    assert_eq!(links.len(), 8);
    for link in links {
        let todo = entity::todo::Entity::find_by_id(link.todo_id)
            .one(app.db())
            .await
            .expect("read todo")
            .expect("the linked todo");
        assert_eq!(link.todo_created_at, todo.created_at, "todo {}", todo.title);
    }
}
tests::both_backends!(tag_todos_are_newest_first_whichever_write_made_the_link);
