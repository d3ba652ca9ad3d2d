//! Todo statistics over HTTP (`Query.todoStats`, `User.todoStats`): the counts follow the
//! lists' filter and visibility, the top tags come most used first with ties by name, a
//! page of users costs the same statements for 1 and 50 users, and the cost limiter prices
//! a statistic as one node plus its top tags. On SQLite and PostgreSQL.

use chrono::{Duration, Utc};
use entity::{todo::Priority, user};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tests::{
    fixtures::{self, NewTodo},
    test_app::{TestApp, error_code, error_field},
};

/// Every field of a statistic.
const STATS: &str = "total completed open overdue byPriority { priority count }
    topTags { tag { name } count }";

/// A statistic as `[total, completed, open, overdue]`, `[LOW, MEDIUM, HIGH]` and
/// `[(tag, count)]`, for assertions that read like the data.
fn summary(stats: &Value) -> (Vec<i64>, Vec<i64>, Vec<(String, i64)>) {
    let counts = ["total", "completed", "open", "overdue"]
        .iter()
        .map(|field| stats[field].as_i64().unwrap_or(-1))
        .collect();
    let by_priority = stats["byPriority"].as_array().expect("byPriority");
    let priorities: Vec<_> = by_priority
        .iter()
        .map(|entry| entry["priority"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(priorities, ["LOW", "MEDIUM", "HIGH"], "{stats}");
    let per_priority = by_priority
        .iter()
        .map(|entry| entry["count"].as_i64().unwrap_or(-1))
        .collect();
    let tags = stats["topTags"]
        .as_array()
        .expect("topTags")
        .iter()
        .map(|entry| {
            (
                entry["tag"]["name"].as_str().unwrap_or_default().to_owned(),
                entry["count"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    (counts, per_priority, tags)
}

fn tags(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs
        .iter()
        .map(|&(name, count)| (name.to_owned(), count))
        .collect()
}

async fn user_model(app: &TestApp, username: &str) -> user::Model {
    user::Entity::find_by_id(app.user_id(username).await)
        .one(app.db())
        .await
        .expect("query")
        .expect("the user")
}

/// Gives `owner` five todos: an overdue HIGH one (work, urgent), a completed HIGH one past
/// its due date (work), a LOW one due next month (home), a MEDIUM one without a due date
/// (home, work), and a soft-deleted MEDIUM one past its due date (work).
async fn arrange(app: &TestApp, owner: &user::Model) {
    let [work, home, urgent] = [
        fixtures::tag(app.db(), "work").await,
        fixtures::tag(app.db(), "home").await,
        fixtures::tag(app.db(), "urgent").await,
    ];
    let past = Some(fixtures::at(0));
    let todos = [
        (Priority::High, false, past, false, vec![&work, &urgent]),
        (Priority::High, true, past, false, vec![&work]),
        (
            Priority::Low,
            false,
            Some(Utc::now() + Duration::days(30)),
            false,
            vec![&home],
        ),
        (Priority::Medium, false, None, false, vec![&home, &work]),
        (Priority::Medium, false, past, true, vec![&work]),
    ];
    for (i, (priority, completed, due_date, deleted, tags)) in todos.into_iter().enumerate() {
        let todo = fixtures::todo(
            app.db(),
            owner,
            NewTodo {
                priority,
                completed,
                due_date,
                deleted,
                ..NewTodo::new(&format!("todo {i}"), i as i64)
            },
        )
        .await;
        for tag in tags {
            fixtures::tag_todo(app.db(), &todo, tag).await;
        }
    }
}

async fn counts_follow_the_filter(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    arrange(&app, &user_model(&app, "ann").await).await;
    let query = format!(
        "query($filter: TodoFilter) {{ todoStats(filter: $filter) {{ {STATS} }}
            user(username: \"ann\") {{ todoStats(filter: $filter) {{ {STATS} }} }}
            todos(filter: $filter) {{ totalCount }} }}"
    );
    let cases = [
        // Live todos only: the deleted one is left out.
        (
            json!(null),
            (
                vec![4, 1, 3, 1],
                vec![1, 1, 2],
                tags(&[("work", 3), ("home", 2), ("urgent", 1)]),
            ),
        ),
        // Open ones: work and home both 2, so by name.
        (
            json!({ "completed": false }),
            (
                vec![3, 0, 3, 1],
                vec![1, 1, 1],
                tags(&[("home", 2), ("work", 2), ("urgent", 1)]),
            ),
        ),
        (
            json!({ "completed": true }),
            (vec![1, 1, 0, 0], vec![0, 0, 1], tags(&[("work", 1)])),
        ),
        (
            json!({ "priority": ["HIGH"] }),
            (
                vec![2, 1, 1, 1],
                vec![0, 0, 2],
                tags(&[("work", 2), ("urgent", 1)]),
            ),
        ),
        (
            json!({ "tags": ["home"] }),
            (
                vec![2, 0, 2, 0],
                vec![1, 1, 0],
                tags(&[("home", 2), ("work", 1)]),
            ),
        ),
        (
            json!({ "overdue": true }),
            (
                vec![1, 0, 1, 1],
                vec![0, 0, 1],
                tags(&[("urgent", 1), ("work", 1)]),
            ),
        ),
        (
            json!({ "overdue": false }),
            (
                vec![3, 1, 2, 0],
                vec![1, 1, 1],
                tags(&[("home", 2), ("work", 2)]),
            ),
        ),
        // Only the soft-deleted one, which is open and past due.
        (
            json!({ "deleted": true }),
            (vec![1, 0, 1, 1], vec![0, 1, 0], tags(&[("work", 1)])),
        ),
        (
            json!({ "search": "nothing like it" }),
            (vec![0, 0, 0, 0], vec![0, 0, 0], tags(&[])),
        ),
    ];
    for (filter, expected) in cases {
        let data = app
            .data(Some(&ann), &query, json!({ "filter": filter }))
            .await;
        assert_eq!(summary(&data["todoStats"]), expected, "{filter}: {data}");
        assert_eq!(
            data["user"]["todoStats"], data["todoStats"],
            "User.todoStats is Query.todoStats for the viewer's own todos ({filter})"
        );
        assert_eq!(
            data["todos"]["totalCount"], data["todoStats"]["total"],
            "the same todos as the list ({filter})"
        );
    }

    // topTags(first:) keeps the most used; 0 to 100, else BAD_USER_INPUT on first.
    let data = app
        .data(
            Some(&ann),
            "{ todoStats { topTags(first: 1) { tag { name color } count } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["todoStats"]["topTags"],
        json!([{ "tag": { "name": "work", "color": "#3b82f6" }, "count": 3 }])
    );
    let data = app
        .data(
            Some(&ann),
            "{ todoStats { topTags(first: 0) { count } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["todoStats"]["topTags"], json!([]));
    for first in [-1, 101] {
        let body = app
            .gql_as(
                &ann,
                "query($n: Int) { todoStats { topTags(first: $n) { count } } }",
                json!({ "n": first }),
            )
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(error_field(&body), Some("first"), "{body}");
    }
}
tests::both_backends!(counts_follow_the_filter);

async fn counts_only_what_the_viewer_may_see(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let (bob, _) = app.sign_up("bob").await;
    let root = app.sign_up_admin("root").await;
    arrange(&app, &user_model(&app, "ann").await).await;
    app.create_todo(&bob, json!({ "title": "bob errand", "tags": ["errands"] }))
        .await;
    app.create_todo(
        &bob,
        json!({ "title": "bob chore", "priority": "LOW", "tags": ["errands", "work"] }),
    )
    .await;
    let query = format!(
        "{{ todoStats {{ {STATS} }}
            ann: user(username: \"ann\") {{ todoStats {{ {STATS} }} }}
            bob: user(username: \"bob\") {{ todoStats {{ {STATS} }} }} }}"
    );
    let nothing = (vec![0, 0, 0, 0], vec![0, 0, 0], tags(&[]));
    let anns = (
        vec![4, 1, 3, 1],
        vec![1, 1, 2],
        tags(&[("work", 3), ("home", 2), ("urgent", 1)]),
    );
    let bobs = (
        vec![2, 0, 2, 0],
        vec![1, 1, 0],
        tags(&[("errands", 2), ("work", 1)]),
    );

    // Bob counts his own todos; ann's are none of his business.
    let data = app.data(Some(&bob), &query, json!({})).await;
    assert_eq!(summary(&data["todoStats"]), bobs, "{data}");
    assert_eq!(summary(&data["bob"]["todoStats"]), bobs, "{data}");
    assert_eq!(summary(&data["ann"]["todoStats"]), nothing, "{data}");

    // Ann the other way round.
    let data = app.data(Some(&ann), &query, json!({})).await;
    assert_eq!(summary(&data["todoStats"]), anns, "{data}");
    assert_eq!(summary(&data["bob"]["todoStats"]), nothing, "{data}");

    // The admin counts everyone's.
    let data = app.data(Some(&root), &query, json!({})).await;
    assert_eq!(
        summary(&data["todoStats"]),
        (
            vec![6, 1, 5, 1],
            vec![2, 2, 2],
            tags(&[("work", 4), ("errands", 2), ("home", 2), ("urgent", 1)]),
        ),
        "{data}"
    );
    assert_eq!(summary(&data["ann"]["todoStats"]), anns, "{data}");
    assert_eq!(summary(&data["bob"]["todoStats"]), bobs, "{data}");

    // Anonymous viewers see no todos in the lists, so none here.
    let data = app.data(None, &query, json!({})).await;
    for stats in [
        &data["todoStats"],
        &data["ann"]["todoStats"],
        &data["bob"]["todoStats"],
    ] {
        assert_eq!(summary(stats), nothing, "{data}");
    }
}
tests::both_backends!(counts_only_what_the_viewer_may_see);

/// Adds users `from..to`, each with two open todos (one HIGH) and one completed LOW one,
/// tagged "home" twice and "work" once.
async fn add_users(app: &TestApp, from: usize, to: usize, tags: &[entity::tag::Model; 2]) {
    for n in from..to {
        let owner = fixtures::user(app.db(), &format!("user{n:03}")).await;
        let todos = [
            (Priority::High, false, &tags[0]),
            (Priority::Medium, false, &tags[1]),
            (Priority::Low, true, &tags[0]),
        ];
        for (i, (priority, completed, tag)) in todos.into_iter().enumerate() {
            let todo = fixtures::todo(
                app.db(),
                &owner,
                NewTodo {
                    priority,
                    completed,
                    ..NewTodo::new(&format!("todo {n}.{i}"), i as i64)
                },
            )
            .await;
            fixtures::tag_todo(app.db(), &todo, tag).await;
        }
    }
}

async fn users_stats_cost_the_same_statements_for_1_and_50_users(app: TestApp) {
    let root = app.sign_up_admin("root").await;
    let tags = [
        fixtures::tag(app.db(), "home").await,
        fixtures::tag(app.db(), "work").await,
    ];
    let query =
        format!("{{ users(first: 50) {{ nodes {{ username todoStats {{ {STATS} }} }} }} }}");
    let tags_only = "{ users(first: 50) { nodes { todoStats { topTags { count } } } } }";
    let mut counts = Vec::new();
    let mut counts_tags_only = Vec::new();
    // With the admin (who has no todos): 1 + 1, 10 + 1 and 49 + 1 = 50 users.
    for (from, to) in [(0, 1), (1, 10), (10, 49)] {
        add_users(&app, from, to, &tags).await;
        let (body, statements) = app.gql_counted(Some(&root), &query, json!({})).await;
        assert_eq!(body.get("errors"), None, "{body}");
        let users = body["data"]["users"]["nodes"].as_array().expect("users");
        assert_eq!(users.len(), to + 1);
        for user in users {
            let expected = if user["username"] == "root" {
                (vec![0, 0, 0, 0], vec![0, 0, 0], Vec::new())
            } else {
                (
                    vec![3, 1, 2, 0],
                    vec![1, 1, 1],
                    vec![("home".to_owned(), 2), ("work".to_owned(), 1)],
                )
            };
            assert_eq!(summary(&user["todoStats"]), expected, "{user}");
        }
        counts.push(statements);
        let (body, statements) = app.gql_counted(Some(&root), tags_only, json!({})).await;
        assert_eq!(body.get("errors"), None, "{body}");
        counts_tags_only.push(statements);
    }
    assert!(
        counts.iter().all(|&c| c == counts[0]),
        "statements for 1, 10, 50 users: {counts:?}"
    );
    assert!(
        counts_tags_only.iter().all(|&c| c == counts_tags_only[0]),
        "statements for 1, 10, 50 users' top tags: {counts_tags_only:?}"
    );
    // The counts are one statement, the top tags another; without counts, one fewer.
    assert_eq!(
        counts_tags_only[0] + 1,
        counts[0],
        "{counts:?} {counts_tags_only:?}"
    );
    // The session, the page of users, the counts, the top tags.
    assert!(counts[0] <= 4, "statements: {counts:?}");
}
tests::both_backends!(users_stats_cost_the_same_statements_for_1_and_50_users);

async fn stats_are_priced_as_a_node_plus_their_top_tags(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    let cost = |body: &Value| body["extensions"]["cost"]["requested"].clone();
    // One node.
    let body = app
        .gql_as(
            &ann,
            "{ todoStats { total byPriority { count } } }",
            json!({}),
        )
        .await;
    assert_eq!(body.get("errors"), None, "{body}");
    assert_eq!(cost(&body), 1, "{body}");
    // Plus the default 10 top tags, or as many as first asks for.
    let body = app
        .gql_as(
            &ann,
            "{ todoStats { topTags { tag { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(cost(&body), 1 + 10, "{body}");
    let body = app
        .gql_as(
            &ann,
            "{ todoStats { topTags(first: 100) { count } } }",
            json!({}),
        )
        .await;
    assert_eq!(cost(&body), 1 + 100, "{body}");
    // Per user of a page: 50 + 50 × (1 + 10).
    let body = app
        .gql_as(
            &ann,
            "{ users(first: 50) { nodes { todoStats { total topTags { count } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body.get("errors"), None, "{body}");
    assert_eq!(cost(&body), 50 + 50 * (1 + 10), "{body}");
    // Past the limit (10,000): 100 users × (1 + 100) tags.
    let body = app
        .gql_as(
            &ann,
            "{ users(first: 100) { nodes { todoStats { topTags(first: 100) { count } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("TOO_COMPLEX"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["cost"], 100 + 100 * 101);
}
tests::both_backends!(stats_are_priced_as_a_node_plus_their_top_tags);
