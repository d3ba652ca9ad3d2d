//! No N+1: nested queries execute the same number of SQL statements however many parents a
//! page holds. Counted by the server per request (the `x-sql-statements` header).

use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tests::{
    fixtures::{self, NewTodo},
    test_app::TestApp,
};

const NESTED: &str = "{ users(first: 50) { nodes { username
    todos(first: 10, filter: { completed: false }) { nodes { title tags { name } } totalCount } } } }";

/// Adds users `from..to`, each with two open todos and one completed, all tagged.
async fn add_users(app: &TestApp, from: usize, to: usize, tags: &[entity::tag::Model]) {
    for n in from..to {
        let user = fixtures::user(app.db(), &format!("user{n:03}")).await;
        for (i, completed) in [false, false, true].into_iter().enumerate() {
            let todo = fixtures::todo(
                app.db(),
                &user,
                NewTodo {
                    completed,
                    ..NewTodo::new(&format!("todo {n}.{i}"), i as i64)
                },
            )
            .await;
            for tag in tags.iter().skip(i % 2).take(2) {
                fixtures::tag_todo(app.db(), &todo, tag).await;
            }
        }
    }
}

async fn admin_token(app: &TestApp) -> String {
    let (token, _) = app.sign_up("admin").await;
    fixtures::make_admin(app.db(), app.user_id("admin").await).await;
    token
}

fn nodes(body: &Value, path: &[&str]) -> Vec<Value> {
    let mut value = &body["data"];
    for key in path {
        value = &value[key];
    }
    value["nodes"].as_array().cloned().unwrap_or_default()
}

async fn nested_users_todos_tags_is_constant(app: TestApp) {
    let token = admin_token(&app).await;
    let tags = [
        fixtures::tag(app.db(), "home").await,
        fixtures::tag(app.db(), "work").await,
        fixtures::tag(app.db(), "zen").await,
    ];
    let mut counts = Vec::new();
    // With the admin: 1 + 1, 10 + 1 and 49 + 1 = 50 users, the whole page.
    for (from, to) in [(0, 1), (1, 10), (10, 49)] {
        add_users(&app, from, to, &tags).await;
        let (body, statements) = app.gql_counted(Some(&token), NESTED, json!({})).await;
        assert_eq!(body.get("errors"), None, "{body}");
        let users = nodes(&body, &["users"]);
        // The admin plus every user added so far.
        assert_eq!(users.len(), to + 1);
        let last = users.last().expect("a user");
        assert_eq!(last["todos"]["totalCount"], 2, "{last}");
        assert_eq!(last["todos"]["nodes"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            last["todos"]["nodes"][0]["tags"].as_array().map(Vec::len),
            Some(2),
            "{last}"
        );
        counts.push(statements);
    }
    assert!(
        counts.iter().all(|&c| c == counts[0]),
        "statements for 1, 10, 50 users: {counts:?}"
    );
    assert!(counts[0] <= 6, "statements: {counts:?}");
}
tests::both_backends!(nested_users_todos_tags_is_constant);

async fn tag_todos_owner_is_constant(app: TestApp) {
    let token = admin_token(&app).await;
    let tags = [
        fixtures::tag(app.db(), "home").await,
        fixtures::tag(app.db(), "work").await,
    ];
    let query = "{ tags(first: 10) { nodes { name
        todos(first: 20) { nodes { title owner { username } tags { name } } totalCount } } } }";
    let mut counts = Vec::new();
    for (from, to) in [(0, 1), (1, 10), (10, 30)] {
        add_users(&app, from, to, &tags).await;
        let (body, statements) = app.gql_counted(Some(&token), query, json!({})).await;
        assert_eq!(body.get("errors"), None, "{body}");
        let tag_nodes = nodes(&body, &["tags"]);
        assert_eq!(tag_nodes.len(), 2);
        let home = &tag_nodes[0]["todos"];
        // Every user's first and third todos carry "home".
        assert_eq!(home["totalCount"], 2 * to, "{home}");
        let owners: Vec<_> = home["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|t| &t["owner"]["username"])
            .collect();
        assert!(
            owners
                .iter()
                .all(|o| o.as_str().is_some_and(|o| o.starts_with("user"))),
            "{owners:?}"
        );
        counts.push(statements);
    }
    assert!(
        counts.iter().all(|&c| c == counts[0]),
        "statements: {counts:?}"
    );
    assert!(counts[0] <= 6, "statements: {counts:?}");
}
tests::both_backends!(tag_todos_owner_is_constant);

async fn nodes_over_mixed_types_is_constant(app: TestApp) {
    let token = admin_token(&app).await;
    let tags = [
        fixtures::tag(app.db(), "home").await,
        fixtures::tag(app.db(), "work").await,
    ];
    add_users(&app, 0, 20, &tags).await;
    // Every todo gets a history entry, so that all four Node types are on hand.
    for todo in entity::todo::Entity::find()
        .all(app.db())
        .await
        .expect("todos")
    {
        let owner = entity::user::Entity::find_by_id(todo.user_id)
            .one(app.db())
            .await
            .expect("owner")
            .expect("an owner");
        fixtures::history(
            app.db(),
            &todo,
            entity::todo_history::TodoAction::Created,
            &owner,
            0,
        )
        .await;
    }
    let all = app
        .gql_as(
            &token,
            "{ users(first: 50) { nodes { id todos(first: 3) {
                nodes { id tags { id } history(first: 1) { nodes { id } } } } } } }",
            json!({}),
        )
        .await;
    let mut ids = Vec::new();
    // The admin (first by username) has no todos; start with a user that has every type.
    for user in nodes(&all, &["users"]).into_iter().skip(1) {
        ids.push(user["id"].clone());
        for todo in user["todos"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            ids.push(todo["id"].clone());
            for tag in todo["tags"].as_array().cloned().unwrap_or_default() {
                ids.push(tag["id"].clone());
            }
            for entry in todo["history"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                ids.push(entry["id"].clone());
            }
        }
    }
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }";
    let mut counts = Vec::new();
    // From the first user, todo, two tags and entry to the most `nodes` accepts (a page).
    for take in [5, 30, 100] {
        let chosen: Vec<_> = ids.iter().take(take).cloned().collect();
        let (body, statements) = app
            .gql_counted(Some(&token), query, json!({ "ids": chosen }))
            .await;
        let found = body["data"]["nodes"].as_array().expect("nodes");
        assert_eq!(found.len(), take);
        for (node, id) in found.iter().zip(&chosen) {
            assert_eq!(&node["id"], id, "{body}");
        }
        let types: std::collections::BTreeSet<_> = found
            .iter()
            .filter_map(|node| node["__typename"].as_str())
            .collect();
        assert_eq!(
            types.into_iter().collect::<Vec<_>>(),
            ["Tag", "Todo", "TodoHistoryEntry", "User"],
            "{body}"
        );
        counts.push(statements);
    }
    assert!(ids.len() >= 100, "{} ids", ids.len());
    assert!(
        counts.iter().all(|&c| c == counts[0]),
        "statements: {counts:?}"
    );
    // The session, then one statement per type.
    assert!(counts[0] <= 5, "statements: {counts:?}");
}
tests::both_backends!(nodes_over_mixed_types_is_constant);

async fn users_preferences_user_is_constant(app: TestApp) {
    let token = admin_token(&app).await;
    let query =
        "{ users(first: 50) { nodes { username preferences { theme user { username } } } } }";
    let mut counts = Vec::new();
    for (from, to) in [(0, 1), (1, 10), (10, 30)] {
        add_users(&app, from, to, &[]).await;
        let (body, statements) = app.gql_counted(Some(&token), query, json!({})).await;
        assert_eq!(body.get("errors"), None, "{body}");
        let users = nodes(&body, &["users"]);
        assert_eq!(users.len(), to + 1);
        for user in &users {
            assert_eq!(user["preferences"]["user"]["username"], user["username"]);
        }
        counts.push(statements);
    }
    assert!(
        counts.iter().all(|&c| c == counts[0]),
        "statements for 2, 11, 31 users' preferences and their user: {counts:?}"
    );
}
tests::both_backends!(users_preferences_user_is_constant);

async fn many_tags_todos_owner_is_constant(app: TestApp) {
    let token = admin_token(&app).await;
    let query = "{ tags(first: 50) { nodes { name
        todos(first: 5) { nodes { title owner { username } } totalCount } } } }";
    let mut counts = Vec::new();
    // 2, 10 and 25 tags, each on one todo of an owner of its own.
    for (from, to) in [(0, 2), (2, 10), (10, 25)] {
        for n in from..to {
            let tag = fixtures::tag(app.db(), &format!("tag{n:02}")).await;
            let owner = fixtures::user(app.db(), &format!("owner{n:02}")).await;
            let todo = fixtures::todo(
                app.db(),
                &owner,
                NewTodo::new(&format!("todo {n}"), n as i64),
            )
            .await;
            fixtures::tag_todo(app.db(), &todo, &tag).await;
        }
        let (body, statements) = app.gql_counted(Some(&token), query, json!({})).await;
        assert_eq!(body.get("errors"), None, "{body}");
        let tags = nodes(&body, &["tags"]);
        assert_eq!(tags.len(), to);
        for (n, tag) in tags.iter().enumerate() {
            assert_eq!(tag["todos"]["totalCount"], 1, "{tag}");
            assert_eq!(
                tag["todos"]["nodes"][0]["owner"]["username"],
                format!("owner{n:02}"),
                "{tag}"
            );
        }
        counts.push(statements);
    }
    assert!(
        counts.iter().all(|&c| c == counts[0]),
        "statements for 2, 10, 25 tags with their todos and owners: {counts:?}"
    );
}
tests::both_backends!(many_tags_todos_owner_is_constant);

/// `totalCount` is a grouped COUNT of its own: asked for, it adds one statement per
/// connection level; left out, nothing counts.
async fn total_count_runs_only_when_selected(app: TestApp) {
    let token = admin_token(&app).await;
    let tags = [fixtures::tag(app.db(), "home").await];
    add_users(&app, 0, 5, &tags).await;
    let without = "{ users(first: 50) { nodes { username
        todos(first: 10, filter: { completed: false }) { nodes { title tags { name } } } } } }";
    let (counted, with_count) = app.gql_counted(Some(&token), NESTED, json!({})).await;
    let (uncounted, without_count) = app.gql_counted(Some(&token), without, json!({})).await;
    assert_eq!(counted.get("errors"), None, "{counted}");
    assert_eq!(uncounted.get("errors"), None, "{uncounted}");
    assert_eq!(
        nodes(&uncounted, &["users"]).len(),
        nodes(&counted, &["users"]).len()
    );
    assert_eq!(
        with_count,
        without_count + 1,
        "statements with totalCount {with_count}, without {without_count}"
    );

    let top = "{ todos(first: 5) { nodes { title } totalCount } }";
    let top_without = "{ todos(first: 5) { nodes { title } } }";
    let (body, with_count) = app.gql_counted(Some(&token), top, json!({})).await;
    assert_eq!(body["data"]["todos"]["totalCount"], 15, "{body}");
    let (_, without_count) = app.gql_counted(Some(&token), top_without, json!({})).await;
    assert_eq!(with_count, without_count + 1);
}
tests::both_backends!(total_count_runs_only_when_selected);

/// Lists read descriptions only when the selection names them, which the look-ahead must
/// see through edges, fragments and aliases: otherwise each description would cost a
/// statement of its own.
async fn descriptions_come_with_their_list(app: TestApp) {
    let token = admin_token(&app).await;
    let owner = fixtures::user(app.db(), "owner").await;
    for n in 0..3 {
        fixtures::todo(
            app.db(),
            &owner,
            NewTodo {
                description: Some(format!("details {n}")),
                ..NewTodo::new(&format!("todo {n}"), n)
            },
        )
        .await;
    }
    let (_, baseline) = app
        .gql_counted(
            Some(&token),
            "{ todos(first: 5) { nodes { title } } }",
            json!({}),
        )
        .await;
    let shapes = [
        "{ todos(first: 5) { nodes { title description } } }",
        "{ todos(first: 5) { edges { node { title description } } } }",
        "{ todos(first: 5) { nodes { ...T } } } fragment T on Todo { title description }",
        "{ todos(first: 5) { nodes { title ... on Todo { description } } } }",
        "{ todos(first: 5) { nodes { title notes: description } } }",
        "{ user(username: \"owner\") { todos(first: 5) { nodes { title description } } } }",
    ];
    for query in shapes {
        let (body, statements) = app.gql_counted(Some(&token), query, json!({})).await;
        assert_eq!(body.get("errors"), None, "{body}");
        let text = body.to_string();
        for n in 0..3 {
            assert!(text.contains(&format!("details {n}")), "{query}: {body}");
        }
        // `user(username:)` costs its own statement, not one per todo.
        let expected = baseline + u32::from(query.contains("user("));
        assert_eq!(statements, expected, "{query}");
    }
}
tests::both_backends!(descriptions_come_with_their_list);
