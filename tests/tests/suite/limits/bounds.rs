//! Bounded inputs and bounded, priced responses (issue 15, point 4 and the string and list
//! limits of point 11): tags per todo, the length of createTodos' input and of filter lists
//! and search strings are capped and refused before anything runs; every response list is
//! priced by its bound (createTodos by its input, nodes(ids:) by its ids, Todo.tags by its
//! cap of 20); and a response past --max-response-bytes ends with TOO_COMPLEX.

use async_graphql::futures_util::{SinkExt, StreamExt};
use entity::{todo, user};
use sea_orm::{EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tests::{
    both_backends, fixtures,
    test_app::{TestApp, error_code, error_field},
};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

const CREATE: &str =
    "mutation($i: CreateTodoInput!) { createTodo(input: $i) { id tags { name } } }";
const CREATE_MANY: &str =
    "mutation($i: [CreateTodoInput!]!) { createTodos(input: $i) { id tags { name } } }";
const SET_TAGS: &str =
    "mutation($id: ID!, $tags: [String!]!) { setTodoTags(id: $id, tags: $tags) { tags { name } } }";

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("tag{i:02}")).collect()
}

async fn todo_count(app: &TestApp) -> u64 {
    todo::Entity::find()
        .count(app.db())
        .await
        .expect("count todos")
}

/// POSTs anonymously; returns the body and the statements the server ran for it.
async fn anonymous(app: &TestApp, query: &str, variables: Value) -> (Value, u32) {
    app.gql_counted(None, query, variables).await
}

fn assert_bad_input(body: &Value, field: &str) {
    assert_eq!(error_code(body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(error_field(body), Some(field), "{body}");
}

/// At most 20 tags per todo after trimming and case-folding duplicates (the contract), on
/// every way tags are set; a list of more than 100 names is refused before it is read.
async fn a_todo_holds_at_most_twenty_tags(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;

    let body = app
        .gql_as(
            &token,
            CREATE,
            json!({ "i": { "title": "t", "tags": names(21) } }),
        )
        .await;
    assert_bad_input(&body, "tags");
    let mut batch = vec![json!({ "title": "fine", "tags": names(20) }); 3];
    batch.push(json!({ "title": "too many", "tags": names(21) }));
    let body = app.gql_as(&token, CREATE_MANY, json!({ "i": batch })).await;
    assert_bad_input(&body, "tags");
    assert_eq!(todo_count(&app).await, 0, "nothing was created");

    // 21 names, two of them one tag: 20 tags.
    let mut twenty = names(20);
    twenty.push(" TAG07 ".to_owned());
    let created = app
        .create_todo(&token, json!({ "title": "t", "tags": twenty }))
        .await;
    assert_eq!(created.tag_ids.len(), 20, "{created:?}");
    let id = created.id;

    let body = app
        .gql_as(&token, SET_TAGS, json!({ "id": id, "tags": names(21) }))
        .await;
    assert_bad_input(&body, "tags");
    let body = app
        .gql_as(&token, SET_TAGS, json!({ "id": id, "tags": names(3) }))
        .await;
    assert_eq!(
        body["data"]["setTodoTags"]["tags"].as_array().map(Vec::len),
        Some(3),
        "{body}"
    );
    // 101 copies of one name are one tag, but more names than anyone sends.
    let body = app
        .gql_as(
            &token,
            SET_TAGS,
            json!({ "id": id, "tags": vec!["a"; 101] }),
        )
        .await;
    assert_bad_input(&body, "tags");
}
both_backends!(a_todo_holds_at_most_twenty_tags);

/// The case: `createTodos` is priced by the length of its input, each created todo
/// with what it selects, so a batch that would return a page per todo is refused before
/// anything is written.
async fn create_todos_is_priced_by_its_input(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let nested = "mutation($i: [CreateTodoInput!]!) { createTodos(input: $i) { owner { \
                  todos(first: 100) { nodes { description } } } } }";
    for (n, cost) in [(100, 100 * (1 + 100) + 10), (1000, 1000 * (1 + 100) + 10)] {
        let input: Vec<Value> = (0..n)
            .map(|i| json!({ "title": format!("t{i}") }))
            .collect();
        let body = app.gql_as(&token, nested, json!({ "i": input })).await;
        assert_eq!(error_code(&body), Some("TOO_COMPLEX"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["cost"], cost, "{body}");
        assert!(body.get("data").is_none_or(Value::is_null), "{body}");
        assert_eq!(todo_count(&app).await, 0, "nothing was created");
    }
    // A plain batch costs its todos and the mutation.
    let input: Vec<Value> = (0..3)
        .map(|i| json!({ "title": format!("t{i}") }))
        .collect();
    let body = app.gql_as(&token, CREATE_MANY, json!({ "i": input })).await;
    assert_eq!(body["extensions"]["cost"]["requested"], 3 + 10, "{body}");
    // More than 1,000 is refused before it is read.
    let input = vec![json!({ "title": "t" }); 1001];
    let body = app
        .gql_as(
            &token,
            "mutation($i: [CreateTodoInput!]!) { createTodos(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    assert_bad_input(&body, "input");
    assert_eq!(todo_count(&app).await, 3);
}
both_backends!(create_todos_is_priced_by_its_input);

/// `Todo.tags` is priced by the cap (20), whatever the default page, and never holds more:
/// a todo tagged before the cap existed shows its first 20 tags.
async fn todo_tags_are_priced_and_bounded_by_their_cap(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let owner = user::Entity::find()
        .filter(user::COLUMN.username.eq("ann"))
        .one(app.db())
        .await
        .expect("query")
        .expect("ann");
    let old = fixtures::todo(app.db(), &owner, fixtures::NewTodo::new("old", 1)).await;
    for name in names(25) {
        let tag = fixtures::tag(app.db(), &name).await;
        fixtures::tag_todo(app.db(), &old, &tag).await;
    }
    let body = app
        .gql_as(
            &token,
            "{ todos(first: 10) { nodes { tags { name todos(first: 5) { nodes { id } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["extensions"]["cost"]["requested"],
        10 + 10 * 20 * 5,
        "{body}"
    );
    let tags = &body["data"]["todos"]["nodes"][0]["tags"];
    assert_eq!(tags.as_array().map(Vec::len), Some(20), "{body}");
    assert_eq!(tags[19]["name"], "tag19", "the first 20 by name");
    // The same through the todo alone (its own loader call, not the page's).
    let id = api::schema::node::global_id(api::schema::node::NodeType::Todo, old.id).0;
    let body = app
        .gql_as(
            &token,
            "query($id: ID!) { node(id: $id) { ... on Todo { tags { name } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        body["data"]["node"]["tags"].as_array().map(Vec::len),
        Some(20),
        "{body}"
    );
}
both_backends!(todo_tags_are_priced_and_bounded_by_their_cap, |config| {
    config.page_size_default = 10
});

/// `nodes(ids:)` costs one node per ID (and what each selects); more IDs than a page holds
/// are refused before anything runs.
async fn nodes_are_priced_by_their_ids(app: TestApp) {
    let user = api::schema::node::global_id(api::schema::node::NodeType::User, 1).0;
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
    let (body, _) = anonymous(&app, query, json!({ "ids": vec![&user; 5] })).await;
    assert_eq!(body["extensions"]["cost"]["requested"], 5, "{body}");
    let (body, _) = anonymous(
        &app,
        &format!("{{ nodes(ids: [\"{user}\", \"{user}\"]) {{ ... on User {{ todos(first: 7) {{ totalCount }} }} }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(
        body["extensions"]["cost"]["requested"],
        2 * (1 + 7),
        "{body}"
    );
    let (body, statements) = anonymous(&app, query, json!({ "ids": vec![&user; 101] })).await;
    assert_bad_input(&body, "ids");
    assert_eq!(statements, 0, "{body}");
    let (body, _) = anonymous(&app, query, json!({ "ids": ["x".repeat(65)] })).await;
    assert_bad_input(&body, "ids");
}
both_backends!(nodes_are_priced_by_their_ids);

/// Search strings (todos, users, tags) have at most 200 characters, filter lists at most
/// 50 tags and 3 priorities: longer ones are refused before anything runs, also when a
/// variable is used over and over.
async fn long_searches_and_filter_lists_are_refused(app: TestApp) {
    let long = "x".repeat(201);
    for query in [
        "query($s: String) { todos(filter: { search: $s }) { totalCount } }",
        "query($s: String) { users(search: $s) { totalCount } }",
        "query($s: String) { tags(search: $s) { totalCount } }",
        "query($s: String) { tags(first: 1) { nodes { todos(filter: { search: $s }) { totalCount } } } }",
    ] {
        let (body, statements) = anonymous(&app, query, json!({ "s": long })).await;
        assert_bad_input(&body, "search");
        assert_eq!(statements, 0, "{body}");
        let (body, _) = anonymous(&app, query, json!({ "s": "x".repeat(200) })).await;
        assert!(body.get("errors").is_none(), "200 characters pass: {body}");
    }
    let tags = |n: usize| {
        let uses = vec!["$t"; n].join(", ");
        format!("query($t: String!) {{ todos(filter: {{ tags: [{uses}] }}) {{ totalCount }} }}")
    };
    let (body, statements) = anonymous(&app, &tags(51), json!({ "t": "x".repeat(50) })).await;
    assert_bad_input(&body, "tags");
    assert_eq!(statements, 0, "{body}");
    let (body, _) = anonymous(&app, &tags(50), json!({ "t": "x".repeat(50) })).await;
    assert!(body.get("errors").is_none(), "50 tags pass: {body}");
    let (body, _) = anonymous(&app, &tags(1), json!({ "t": "x".repeat(51) })).await;
    assert_bad_input(&body, "tags");
    let (body, _) = anonymous(
        &app,
        "{ todos(filter: { priority: [LOW, LOW, HIGH, MEDIUM] }) { totalCount } }",
        json!({}),
    )
    .await;
    assert_bad_input(&body, "priority");
}
both_backends!(long_searches_and_filter_lists_are_refused);

/// A response past --max-response-bytes ends with TOO_COMPLEX, the bytes and the limit in
/// its extensions, rather than being built whole; a smaller one is answered.
async fn the_response_byte_cap_ends_an_operation(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let input: Vec<Value> = (0..10)
        .map(|i| json!({ "title": format!("t{i}"), "description": "d".repeat(5_000) }))
        .collect();
    let body = app
        .gql_as(
            &token,
            "mutation($i: [CreateTodoInput!]!) { createTodos(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");

    let page = |n: usize| format!("{{ todos(first: {n}) {{ nodes {{ title description }} }} }}");
    let body = app.gql_as(&token, &page(3), json!({})).await;
    assert!(body.get("errors").is_none(), "15 kB pass: {body}");
    assert_eq!(
        body["data"]["todos"]["nodes"].as_array().map(Vec::len),
        Some(3)
    );

    let body = app.gql_as(&token, &page(10), json!({})).await;
    assert_eq!(error_code(&body), Some("TOO_COMPLEX"), "{body}");
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["limit"], 20_000, "{body}");
    assert!(
        extensions["responseBytes"].as_u64() > Some(20_000),
        "{body}"
    );
    assert!(
        body["data"]["todos"].is_null(),
        "the page is not built: {body}"
    );
    assert!(
        body.to_string().len() < 20_000,
        "{} bytes",
        body.to_string().len()
    );

    // The same through edges, and through the todos a batch returns.
    let edges = "{ todos(first: 10) { edges { node { description } } } }";
    let body = app.gql_as(&token, edges, json!({})).await;
    assert_eq!(error_code(&body), Some("TOO_COMPLEX"), "{body}");
    let input: Vec<Value> = (0..5)
        .map(|i| json!({ "title": format!("u{i}"), "description": "e".repeat(5_000) }))
        .collect();
    let body = app
        .gql_as(
            &token,
            "mutation($i: [CreateTodoInput!]!) { createTodos(input: $i) { description } }",
            json!({ "i": input }),
        )
        .await;
    assert_eq!(error_code(&body), Some("TOO_COMPLEX"), "{body}");
}
both_backends!(the_response_byte_cap_ends_an_operation, |config| {
    config.limits.max_response_bytes = 20_000;
});

/// Each event a subscription delivers has a response budget of its own: many small events
/// all arrive, and one event past the cap arrives as TOO_COMPLEX.
async fn each_subscription_event_has_its_own_byte_budget(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let mut request = app
        .url("/graphql")
        .replacen("http://", "ws://", 1)
        .into_client_request()
        .expect("a WebSocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = connect_async(request).await.expect("the upgrade");
    let mut send = async |message: Value| {
        socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    };
    send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
        .await;
    send(json!({ "type": "subscribe", "id": "1", "payload": {
        "query": "subscription { todoEvents { todo { title tags { name } } } }" } }))
    .await;
    let mut next = async || loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
            .await
            .expect("a message in time")
            .expect("an open socket")
            .expect("a frame");
        if let Message::Text(text) = frame {
            let message: Value = serde_json::from_str(&text).expect("JSON");
            if message["type"] == "next" {
                return message["payload"].clone();
            }
        }
    };
    app.wait_for_subscriptions(1).await;

    // Twenty events of 50 bytes of tags each: more than 600 together, each well under it.
    for i in 0..20 {
        let body = app
            .gql_as(
                &token,
                CREATE,
                json!({ "i": { "title": format!("t{i}"), "tags": ["alpha", "beta", "gamma"] } }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        let event = next().await;
        assert!(event.get("errors").is_none(), "event {i}: {event}");
        assert_eq!(
            event["data"]["todoEvents"]["todo"]["title"],
            format!("t{i}")
        );
    }
    // One event whose tags alone take more than 600 bytes.
    let long: Vec<String> = (0..20)
        .map(|i| format!("{i:02}{}", "x".repeat(40)))
        .collect();
    let body = app
        .gql_as(
            &token,
            "mutation($i: CreateTodoInput!) { createTodo(input: $i) { id } }",
            json!({ "i": { "title": "big", "tags": long } }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let event = next().await;
    assert_eq!(error_code(&event), Some("TOO_COMPLEX"), "{event}");
}
both_backends!(each_subscription_event_has_its_own_byte_budget, |config| {
    config.limits.max_response_bytes = 600;
});
