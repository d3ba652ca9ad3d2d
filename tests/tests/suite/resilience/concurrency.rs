//! Concurrent writers lose nothing: many requests at once against one todo or one new tag,
//! each over its own HTTP connection and database connection. And a failure in the middle of
//! a transaction leaves no trace. On PostgreSQL and SQLite.

use entity::{tag, todo, todo_history, todo_history::TodoAction, todo_tag};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder};
use serde_json::{Value, json};
use tests::{
    Backend,
    test_app::{TestApp, error_code},
};

/// Room for every concurrent request's own database connection.
fn wide_pool(config: &mut api::Config) {
    config.pool.max_connections = 12;
}

/// Sends every `(token, query, variables)` at once, each from its own task, and returns the
/// responses in the same order.
async fn all_at_once(app: &TestApp, requests: Vec<(String, &'static str, Value)>) -> Vec<Value> {
    let url = app.url("/graphql");
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(token, query, variables)| {
            let client = app.client().clone();
            let url = url.clone();
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({ "query": query, "variables": variables }))
                    .send()
                    .await
                    .expect("the server answers");
                assert!(response.status().is_success(), "HTTP {}", response.status());
                response.json::<Value>().await.expect("a JSON body")
            })
        })
        .collect();
    let mut bodies = Vec::new();
    for task in tasks {
        bodies.push(task.await.expect("the request task"));
    }
    bodies
}

/// Every history row, oldest first.
async fn history(app: &TestApp) -> Vec<todo_history::Model> {
    todo_history::Entity::find()
        .order_by_asc(todo_history::Column::Id)
        .all(app.db())
        .await
        .expect("history")
}

async fn the_todo(app: &TestApp) -> todo::Model {
    todo::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("the todo")
}

async fn concurrent_toggles_keep_parity_version_and_history(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let id = app
        .create_todo(&token, json!({ "title": "flip me" }))
        .await
        .id;
    let toggle = "mutation($id: ID!) { toggleTodo(id: $id) { completed version } }";
    let bodies = all_at_once(
        &app,
        (0..20)
            .map(|_| (token.clone(), toggle, json!({ "id": id })))
            .collect(),
    )
    .await;
    let mut versions: Vec<i64> = bodies
        .iter()
        .map(|body| {
            body["data"]["toggleTodo"]["version"]
                .as_i64()
                .unwrap_or_else(|| panic!("a toggle failed: {body}"))
        })
        .collect();
    versions.sort_unstable();
    assert_eq!(
        versions,
        (2..=21).collect::<Vec<_>>(),
        "each toggle saw its own version"
    );

    let stored = the_todo(&app).await;
    assert!(!stored.completed, "20 toggles leave it open");
    assert_eq!(stored.completed_at, None);
    assert_eq!(stored.version, 21);
    let toggles: Vec<TodoAction> = history(&app)
        .await
        .into_iter()
        .map(|e| e.action)
        .filter(|a| *a != TodoAction::Created)
        .collect();
    let alternating: Vec<TodoAction> = (0..20)
        .map(|n| {
            if n % 2 == 0 {
                TodoAction::Completed
            } else {
                TodoAction::Reopened
            }
        })
        .collect();
    assert_eq!(
        toggles, alternating,
        "one history row per toggle, in the order they happened"
    );
}
tests::both_backends!(
    concurrent_toggles_keep_parity_version_and_history,
    wide_pool
);

async fn concurrent_updates_with_one_expected_version_have_one_winner(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let id = app
        .create_todo(&token, json!({ "title": "original" }))
        .await
        .id;
    let update =
        "mutation($input: UpdateTodoInput!) { updateTodo(input: $input) { title version } }";
    let bodies = all_at_once(
        &app,
        (0..10)
            .map(|n| {
                let input =
                    json!({ "id": id, "title": format!("writer {n}"), "expectedVersion": 1 });
                (token.clone(), update, json!({ "input": input }))
            })
            .collect(),
    )
    .await;
    let winners: Vec<&Value> = bodies
        .iter()
        .filter(|b| b.get("errors").is_none())
        .collect();
    assert_eq!(winners.len(), 1, "exactly one winner: {bodies:?}");
    let losers: Vec<Option<&str>> = bodies
        .iter()
        .filter(|b| b.get("errors").is_some())
        .map(error_code)
        .collect();
    assert_eq!(losers, vec![Some("CONFLICT"); 9], "{bodies:?}");

    let winner = &winners[0]["data"]["updateTodo"];
    assert_eq!(winner["version"], 2);
    let stored = the_todo(&app).await;
    assert_eq!(
        Some(stored.title.as_str()),
        winner["title"].as_str(),
        "the row holds the winner's values"
    );
    assert_eq!(stored.version, 2);
    let updates = history(&app)
        .await
        .into_iter()
        .filter(|e| e.action == TodoAction::Updated)
        .count();
    assert_eq!(updates, 1, "losers write no history");
}
tests::both_backends!(
    concurrent_updates_with_one_expected_version_have_one_winner,
    wide_pool
);

async fn concurrent_creates_introducing_one_tag_make_one_tag(app: TestApp) {
    let mut tokens = Vec::new();
    for n in 0..10 {
        tokens.push(app.sign_up(&format!("user{n}")).await.0);
    }
    let create =
        "mutation($input: CreateTodoInput!) { createTodo(input: $input) { tags { name } } }";
    let bodies = all_at_once(
        &app,
        tokens
            .iter()
            .enumerate()
            .map(|(n, token)| {
                // Different spellings of one name: the tag is unique regardless of case.
                let name = if n % 2 == 0 { "Launch" } else { "launch" };
                let input = json!({ "title": format!("todo {n}"), "tags": [name] });
                (token.clone(), create, json!({ "input": input }))
            })
            .collect(),
    )
    .await;
    for body in &bodies {
        assert_eq!(body.get("errors"), None, "{body}");
        assert_eq!(
            body["data"]["createTodo"]["tags"].as_array().map(Vec::len),
            Some(1)
        );
    }
    let tags = tag::Entity::find().all(app.db()).await.expect("tags");
    assert_eq!(tags.len(), 1, "one tag row: {tags:?}");
    let links = todo_tag::Entity::find()
        .count(app.db())
        .await
        .expect("links");
    assert_eq!(links, 10, "ten junction rows");
}
tests::both_backends!(
    concurrent_creates_introducing_one_tag_make_one_tag,
    wide_pool
);

async fn concurrent_transfers_follow_one_chain(app: TestApp) {
    let mut users = Vec::new();
    for name in ["ann", "bob", "cat", "dan", "eve"] {
        let (token, id) = app.sign_up(name).await;
        users.push((token, id, app.user_id(name).await));
    }
    let id = app
        .create_todo(&users[0].0, json!({ "title": "hot potato" }))
        .await
        .id;
    let transfer = "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { owner { username } } }";
    // Every user tries to pass it to every other user at once; only whoever holds it at that
    // moment can, so successes must form one unbroken chain of owners.
    let mut successes = 0;
    for _round in 0..3 {
        let mut requests = Vec::new();
        for (from, _, _) in &users {
            for (to_token, to_id, _) in &users {
                if to_token != from {
                    requests.push((from.clone(), transfer, json!({ "id": id, "to": to_id })));
                }
            }
        }
        // Transfers wait for each other (a row lock on PostgreSQL, the write lock taken at
        // BEGIN on SQLite), so the only failure is not holding the todo any more.
        for body in all_at_once(&app, requests).await {
            match error_code(&body) {
                None => successes += 1,
                Some(code) => assert_eq!(code, "NOT_FOUND", "a clean failure: {body}"),
            }
        }
    }
    assert!(
        successes >= 3,
        "each round, whoever holds it passes it on: {successes}"
    );

    let transfers: Vec<todo_history::Model> = history(&app)
        .await
        .into_iter()
        .filter(|e| e.action == TodoAction::Transferred)
        .collect();
    assert_eq!(transfers.len(), successes, "one history row per success");
    let mut holder = users[0].2;
    for entry in &transfers {
        assert_eq!(
            entry.from_user_id,
            Some(holder),
            "a transfer from a non-holder: {transfers:?}"
        );
        assert_eq!(entry.actor_id, Some(holder));
        holder = entry.to_user_id.expect("a recipient");
    }
    let stored = the_todo(&app).await;
    assert_eq!(
        stored.user_id, holder,
        "the owner is the last recorded recipient"
    );
    assert_eq!(stored.version, 1 + i32::try_from(successes).expect("small"));
}
tests::both_backends!(concurrent_transfers_follow_one_chain, wide_pool);

async fn a_failure_mid_transaction_leaves_no_trace(app: TestApp) {
    let backend = app.backend();
    let (ann, _) = app.sign_up("ann").await;
    let (_, bob_id) = app.sign_up("bob").await;
    let id = app
        .create_todo(&ann, json!({ "title": "stays put" }))
        .await
        .id;
    let before = the_todo(&app).await;
    // Make the transfer's last statement, its history row, fail inside the database.
    let sabotage = match backend {
        Backend::Postgres => {
            "ALTER TABLE todo_history ADD CONSTRAINT injected_failure CHECK (action <> 'transferred')"
        }
        Backend::Sqlite => {
            "CREATE TRIGGER injected_failure BEFORE INSERT ON todo_history \
             WHEN NEW.action = 'transferred' BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        }
    };
    app.db()
        .execute_unprepared(sabotage)
        .await
        .expect("install the failure");

    let body = app
        .gql_as(
            &ann,
            "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
            json!({ "id": id, "to": bob_id }),
        )
        .await;
    assert_eq!(error_code(&body), Some("INTERNAL"), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains("injected") && !message.contains("todo_history"),
        "no database text reaches the client: {message}"
    );
    let after = the_todo(&app).await;
    assert_eq!(
        (after.user_id, after.version, after.updated_at),
        (before.user_id, before.version, before.updated_at),
        "the owner change was rolled back with the failed history insert"
    );
    assert_eq!(
        history(&app).await.len(),
        1,
        "only the creation is recorded"
    );
}
tests::both_backends!(a_failure_mid_transaction_leaves_no_trace, wide_pool);
