//! Reading todo lists over HTTP: every filter, every order in both directions, keyset paging
//! forwards and backwards (also while rows are added or removed between pages), page
//! boundaries and bad arguments, each the same for `Query.todos`, `User.todos` and
//! `Tag.todos`; and the seed's named queries written as GraphQL. On SQLite and PostgreSQL.

use std::{cmp::Ordering, collections::HashMap};

use api::schema::node::{NodeType, global_id};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use entity::{tag, todo, todo::Priority, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use tests::{
    Backend,
    fixtures::{self, NewTodo},
    test_app::{TestApp, error_code, error_field},
};

const ARGS_DECL: &str = "$first: Int, $after: String, $last: Int, $before: String, \
    $filter: TodoFilter, $orderBy: TodoOrder";
const ARGS: &str = "first: $first, after: $after, last: $last, before: $before, \
    filter: $filter, orderBy: $orderBy";
const CONNECTION: &str = "edges { cursor node { id title } } \
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount";

/// Where a todo list is read from.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// `Query.todos`: the viewer's todos.
    Viewer,
    /// `user(username:) { todos }`.
    User(&'static str),
    /// `tag(name:) { todos }`.
    Tag(&'static str),
}

/// The three ways to the same list when every todo of ann's carries the tag "all".
const SCOPES: [Scope; 3] = [Scope::Viewer, Scope::User("ann"), Scope::Tag("all")];

impl Scope {
    fn document(self) -> String {
        let list = format!("todos({ARGS}) {{ {CONNECTION} }}");
        match self {
            Self::Viewer => format!("query({ARGS_DECL}) {{ {list} }}"),
            Self::User(name) => {
                format!("query({ARGS_DECL}) {{ user(username: {name:?}) {{ {list} }} }}")
            }
            Self::Tag(name) => format!("query({ARGS_DECL}) {{ tag(name: {name:?}) {{ {list} }} }}"),
        }
    }

    fn connection(self, body: &Value) -> &Value {
        match self {
            Self::Viewer => &body["data"]["todos"],
            Self::User(_) => &body["data"]["user"]["todos"],
            Self::Tag(_) => &body["data"]["tag"]["todos"],
        }
    }
}

/// One connection as the client sees it.
#[derive(Debug)]
struct Page {
    ids: Vec<String>,
    titles: Vec<String>,
    cursors: Vec<String>,
    has_next: bool,
    has_previous: bool,
    start_cursor: Value,
    end_cursor: Value,
    total: u64,
}

impl Page {
    fn of(connection: &Value) -> Self {
        let edges = connection["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("no edges: {connection}"));
        let text = |v: &Value| v.as_str().expect("a string").to_owned();
        Self {
            ids: edges.iter().map(|e| text(&e["node"]["id"])).collect(),
            titles: edges.iter().map(|e| text(&e["node"]["title"])).collect(),
            cursors: edges.iter().map(|e| text(&e["cursor"])).collect(),
            has_next: connection["pageInfo"]["hasNextPage"]
                .as_bool()
                .expect("hasNextPage"),
            has_previous: connection["pageInfo"]["hasPreviousPage"]
                .as_bool()
                .expect("hasPreviousPage"),
            start_cursor: connection["pageInfo"]["startCursor"].clone(),
            end_cursor: connection["pageInfo"]["endCursor"].clone(),
            total: connection["totalCount"].as_u64().expect("totalCount"),
        }
    }
}

/// Reads one page of `scope` as `token`; the request must succeed.
async fn read(app: &TestApp, token: &str, scope: Scope, variables: Value) -> Page {
    let body = app
        .gql_as(token, &scope.document(), variables.clone())
        .await;
    assert_eq!(body.get("errors"), None, "{scope:?} {variables}: {body}");
    let page = Page::of(scope.connection(&body));
    assert_eq!(page.start_cursor, json!(page.cursors.first()), "{body}");
    assert_eq!(page.end_cursor, json!(page.cursors.last()), "{body}");
    page
}

/// Reads `scope` as `token` with arguments the server must refuse; returns the response.
async fn refused(app: &TestApp, token: &str, scope: Scope, variables: Value) -> Value {
    let body = app
        .gql_as(token, &scope.document(), variables.clone())
        .await;
    assert!(body["errors"].is_array(), "{scope:?} {variables}: {body}");
    assert_eq!(
        error_code(&body),
        Some("BAD_USER_INPUT"),
        "{scope:?} {variables}: {body}"
    );
    body
}

/// `base` (filter and order) with the page arguments set.
fn with(base: &Value, args: Value) -> Value {
    let mut variables = base.clone();
    for (key, value) in args.as_object().expect("an object") {
        variables[key] = value.clone();
    }
    variables
}

/// Every id of `scope`, paging forwards `size` at a time; checks pageInfo on the way.
async fn walk_forward(
    app: &TestApp,
    token: &str,
    scope: Scope,
    size: usize,
    base: &Value,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    for _ in 0..100 {
        let page = read(
            app,
            token,
            scope,
            with(base, json!({ "first": size, "after": after })),
        )
        .await;
        let context = format!("{scope:?} {base} after {after}: {page:?}");
        assert_eq!(page.has_previous, !after.is_null(), "{context}");
        ids.extend(page.ids.iter().cloned());
        if !page.has_next {
            assert!(page.ids.len() <= size, "{context}");
            return ids;
        }
        assert_eq!(page.ids.len(), size, "{context}");
        after = page.end_cursor;
    }
    panic!("{scope:?} {base}: forward paging never ended");
}

/// Every id of `scope` in display order, paging backwards `size` at a time from the end.
async fn walk_backward(
    app: &TestApp,
    token: &str,
    scope: Scope,
    size: usize,
    base: &Value,
) -> Vec<String> {
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut before = Value::Null;
    for _ in 0..100 {
        let page = read(
            app,
            token,
            scope,
            with(base, json!({ "last": size, "before": before })),
        )
        .await;
        let context = format!("{scope:?} {base} before {before}: {page:?}");
        assert_eq!(page.has_next, !before.is_null(), "{context}");
        pages.push(page.ids.clone());
        if !page.has_previous {
            assert!(page.ids.len() <= size, "{context}");
            return pages.into_iter().rev().flatten().collect();
        }
        assert_eq!(page.ids.len(), size, "{context}");
        before = page.start_cursor;
    }
    panic!("{scope:?} {base}: backward paging never ended");
}

/// The global ID the server gives `todo`.
fn gid(todo: &todo::Model) -> String {
    global_id(NodeType::Todo, todo.id).0
}

fn gids<'a>(todos: impl IntoIterator<Item = &'a todo::Model>) -> Vec<String> {
    todos.into_iter().map(gid).collect()
}

/// The row of a signed-up user.
async fn user_row(app: &TestApp, username: &str) -> user::Model {
    user::Entity::find_by_id(app.user_id(username).await)
        .one(app.db())
        .await
        .expect("query")
        .expect("the user exists")
}

/// Inserts `new` for `owner` with `tags`.
async fn add(
    app: &TestApp,
    owner: &user::Model,
    new: NewTodo,
    tags: &[&tag::Model],
) -> todo::Model {
    let todo = fixtures::todo(app.db(), owner, new).await;
    for tag in tags {
        fixtures::tag_todo(app.db(), &todo, tag).await;
    }
    todo
}

/// Signs up ann (the viewer of these tests) and creates the tag "all" that every todo of
/// hers carries, so that `Query.todos`, `user(ann).todos` and `tag(all).todos` list the same.
async fn ann(app: &TestApp) -> (String, user::Model, tag::Model) {
    let (token, _) = app.sign_up("ann").await;
    let owner = user_row(app, "ann").await;
    let all = fixtures::tag(app.db(), "all").await;
    (token, owner, all)
}

/// `Utc::now()` to the second, so that equal instants compare equal after a round trip.
fn now_seconds() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("a valid instant")
}

async fn filters_select_matching_todos(app: TestApp) {
    let (token, ann, all) = ann(&app).await;
    let home = fixtures::tag(app.db(), "home").await;
    let work = fixtures::tag(app.db(), "work").await;
    let money = fixtures::tag(app.db(), "money").await;
    let now = now_seconds();
    let past = now - Duration::days(2);
    let soon = now + Duration::days(2);
    let boundary = now + Duration::days(5);
    let later = now + Duration::days(10);

    struct Spec {
        title: &'static str,
        description: Option<&'static str>,
        priority: Priority,
        completed: bool,
        due: Option<DateTime<Utc>>,
        deleted: bool,
    }
    let spec = |title, description, priority, completed, due, deleted| Spec {
        title,
        description,
        priority,
        completed,
        due,
        deleted,
    };
    use Priority::{High, Low, Medium};
    let rows = [
        (
            "milk",
            spec("Buy milk", Some("2% fat"), Low, false, Some(past), false),
            vec![&home],
        ),
        (
            "rent",
            spec("Pay 100% of rent", None, High, false, Some(soon), false),
            vec![&home, &money],
        ),
        (
            "fix",
            spec(
                "file_name fix",
                Some("Rename the FILE"),
                Medium,
                true,
                Some(past),
                false,
            ),
            vec![&work],
        ),
        (
            "audit",
            spec(
                "filename audit",
                Some("nothing special"),
                Medium,
                false,
                None,
                false,
            ),
            vec![],
        ),
        (
            "apples",
            spec("Buy 100 apples", None, Low, false, Some(later), false),
            vec![&home],
        ),
        (
            "cleanup",
            spec("profile-name cleanup", None, High, true, None, false),
            vec![&work, &money],
        ),
        (
            "path",
            spec(
                r"Clear C:\Temp",
                Some(r"everything under C:\temp"),
                Low,
                false,
                Some(boundary),
                false,
            ),
            vec![],
        ),
        (
            "gone",
            spec("Buy milk again", None, Medium, false, Some(past), true),
            vec![&home],
        ),
    ];
    let mut by_name: HashMap<&str, todo::Model> = HashMap::new();
    for (minute, (name, spec, mut tags)) in rows.into_iter().enumerate() {
        tags.push(&all);
        let new = NewTodo {
            title: spec.title.to_owned(),
            description: spec.description.map(str::to_owned),
            priority: spec.priority,
            completed: spec.completed,
            due_date: spec.due,
            created_minute: minute as i64,
            deleted: spec.deleted,
        };
        by_name.insert(name, add(&app, &ann, new, &tags).await);
    }
    // Another user's todo that matches almost every filter; ann never sees it.
    let bob = fixtures::user(app.db(), "bob").await;
    add(
        &app,
        &bob,
        NewTodo {
            title: "Buy milk, 100% _file_ C:\\temp".to_owned(),
            priority: Low,
            due_date: Some(past),
            ..NewTodo::new("", 20)
        },
        &[&home, &work, &money, &all],
    )
    .await;
    add(
        &app,
        &bob,
        NewTodo {
            deleted: true,
            ..NewTodo::new("bob's deleted", 21)
        },
        &[&all],
    )
    .await;

    let live = ["milk", "rent", "fix", "audit", "apples", "cleanup", "path"];
    let with_offset = |instant: DateTime<Utc>| {
        instant
            .with_timezone(&FixedOffset::east_opt(2 * 3600).expect("an offset"))
            .to_rfc3339()
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), live.to_vec()),
        (json!({ "completed": true }), vec!["fix", "cleanup"]),
        (
            json!({ "completed": false }),
            vec!["milk", "rent", "audit", "apples", "path"],
        ),
        (json!({ "priority": ["HIGH"] }), vec!["rent", "cleanup"]),
        (
            json!({ "priority": ["LOW", "HIGH"] }),
            vec!["milk", "rent", "apples", "cleanup", "path"],
        ),
        (
            json!({ "priority": ["LOW", "MEDIUM", "HIGH"] }),
            live.to_vec(),
        ),
        (json!({ "priority": [] }), vec![]),
        // Case-insensitive, in the title or the description.
        (json!({ "search": "MILK" }), vec!["milk"]),
        (json!({ "search": "rename the file" }), vec!["fix"]),
        (json!({ "search": "FiLe" }), vec!["fix", "audit", "cleanup"]),
        // '_' and '%' match themselves: "profile-name" and "Buy 100 apples" must not match.
        (json!({ "search": "file_name" }), vec!["fix"]),
        (json!({ "search": "_" }), vec!["fix"]),
        (json!({ "search": "100%" }), vec!["rent"]),
        (json!({ "search": "%" }), vec!["milk", "rent"]),
        (json!({ "search": r"c:\temp" }), vec!["path"]),
        (json!({ "search": "no such text" }), vec![]),
        (json!({ "search": "" }), live.to_vec()),
        (json!({ "overdue": true }), vec!["milk"]),
        (
            json!({ "overdue": false }),
            vec!["rent", "fix", "audit", "apples", "cleanup", "path"],
        ),
        // Strict bounds; todos without a due date match neither.
        (
            json!({ "dueBefore": boundary.to_rfc3339() }),
            vec!["milk", "rent", "fix"],
        ),
        (
            json!({ "dueBefore": with_offset(boundary) }),
            vec!["milk", "rent", "fix"],
        ),
        (json!({ "dueAfter": boundary.to_rfc3339() }), vec!["apples"]),
        (
            json!({ "dueAfter": with_offset(past) }),
            vec!["rent", "apples", "path"],
        ),
        (
            json!({ "dueAfter": past.to_rfc3339(), "dueBefore": boundary.to_rfc3339() }),
            vec!["rent"],
        ),
        (json!({ "tags": ["home"] }), vec!["milk", "rent", "apples"]),
        // A todo with two of the tags appears once.
        (
            json!({ "tags": ["money", "work"] }),
            vec!["rent", "fix", "cleanup"],
        ),
        (json!({ "tags": ["nope"] }), vec![]),
        (json!({ "tags": [] }), vec![]),
        (json!({ "deleted": true }), vec!["gone"]),
        (json!({ "deleted": false }), live.to_vec()),
        (
            json!({ "deleted": true, "tags": ["home"], "overdue": true }),
            vec!["gone"],
        ),
        (
            json!({ "completed": false, "priority": ["LOW"], "tags": ["home"], "search": "buy" }),
            vec!["milk", "apples"],
        ),
    ];

    for (filter, names) in cases {
        // The default order: newest first (here: one todo per minute).
        let mut expected: Vec<&todo::Model> = names.iter().map(|n| &by_name[n]).collect();
        expected.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
        let expected = gids(expected);
        let total = expected.len() as u64;
        for scope in SCOPES {
            let context = format!("{scope:?} filter {filter}, expected {names:?}");
            let base = json!({ "filter": filter });
            let page = read(&app, &token, scope, with(&base, json!({ "first": 100 }))).await;
            assert_eq!(page.ids, expected, "{context}: got {:?}", page.titles);
            assert_eq!(page.total, total, "{context}");
            assert!(!page.has_next && !page.has_previous, "{context}");

            // totalCount counts every match, whatever the page holds.
            let one = read(&app, &token, scope, with(&base, json!({ "first": 1 }))).await;
            assert_eq!(one.ids, expected[..expected.len().min(1)], "{context}");
            assert_eq!(one.total, total, "{context}");
            assert_eq!(one.has_next, total > 1, "{context}");
            let two = read(&app, &token, scope, with(&base, json!({ "last": 2 }))).await;
            assert_eq!(
                two.ids,
                expected[expected.len().saturating_sub(2)..],
                "{context}"
            );
            assert_eq!(two.total, total, "{context}");
            assert_eq!(two.has_previous, total > 2, "{context}");
        }
    }
}
tests::both_backends!(filters_select_matching_todos);

/// The sort keys of `field` as the contract defines them, ties broken by id in the same
/// direction; todos without a due date last in both directions.
fn compare(a: &todo::Model, b: &todo::Model, field: &str, descending: bool) -> Ordering {
    let direction = |ordering: Ordering| {
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    };
    let rank = |p: Priority| match p {
        Priority::Low => 0,
        Priority::Medium => 1,
        Priority::High => 2,
    };
    let by_id = a.id.cmp(&b.id);
    match field {
        "CREATED_AT" => direction(a.created_at.cmp(&b.created_at).then(by_id)),
        "UPDATED_AT" => direction(a.updated_at.cmp(&b.updated_at).then(by_id)),
        "PRIORITY" => direction(rank(a.priority).cmp(&rank(b.priority)).then(by_id)),
        "TITLE" => direction(a.title.as_bytes().cmp(b.title.as_bytes()).then(by_id)),
        "DUE_DATE" => match (a.due_date, b.due_date) {
            (Some(x), Some(y)) => direction(x.cmp(&y).then(by_id)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => direction(by_id),
        },
        other => panic!("unknown order field {other}"),
    }
}

async fn orders_sort_every_field_both_ways_with_id_tiebreak(app: TestApp) {
    let (token, ann, all) = ann(&app).await;
    use Priority::{High, Low, Medium};
    // title, priority, created minute, updated minute, due minute: with ties on every key,
    // mixed-case titles and several todos without a due date.
    let specs = [
        ("banana", Low, 5, 50, Some(100)),
        ("apple", High, 3, 40, None),
        ("Cherry", Medium, 5, 40, Some(100)),
        ("apple", Medium, 1, 60, Some(50)),
        ("date", High, 2, 10, None),
        ("banana", Low, 4, 40, Some(200)),
        ("elder", Medium, 5, 30, None),
        ("fig", Low, 0, 70, Some(50)),
        ("Apple", High, 6, 5, Some(-20)),
    ];
    let mut todos = Vec::new();
    for (title, priority, created, updated, due) in specs {
        let new = NewTodo {
            priority,
            due_date: due.map(fixtures::at),
            ..NewTodo::new(title, created)
        };
        let inserted = add(&app, &ann, new, &[&all]).await;
        let updated = todo::ActiveModel {
            id: Set(inserted.id),
            updated_at: Set(fixtures::at(updated)),
            ..Default::default()
        }
        .update(app.db())
        .await
        .expect("set updated_at");
        todos.push(updated);
    }
    // Neither a soft-deleted todo nor someone else's shows up.
    add(
        &app,
        &ann,
        NewTodo {
            deleted: true,
            ..NewTodo::new("apple", 3)
        },
        &[&all],
    )
    .await;
    let bob = fixtures::user(app.db(), "bob").await;
    add(&app, &bob, NewTodo::new("apple", 3), &[&all]).await;

    for field in ["CREATED_AT", "UPDATED_AT", "DUE_DATE", "PRIORITY", "TITLE"] {
        for descending in [false, true] {
            let mut sorted: Vec<&todo::Model> = todos.iter().collect();
            sorted.sort_by(|a, b| compare(a, b, field, descending));
            let expected = gids(sorted.iter().copied());
            let titles: Vec<&str> = sorted.iter().map(|t| t.title.as_str()).collect();
            let direction = if descending { "DESC" } else { "ASC" };
            let base = json!({ "orderBy": { "field": field, "direction": direction } });
            for scope in SCOPES {
                let context = format!("{scope:?} {field} {direction}, expected {titles:?}");
                let page = read(&app, &token, scope, with(&base, json!({ "first": 100 }))).await;
                assert_eq!(page.ids, expected, "{context}: got {:?}", page.titles);
                assert_eq!(page.total, expected.len() as u64, "{context}");
                // Cursors of this order continue it exactly, across ties and the null block.
                for size in [2, 3] {
                    let forward = walk_forward(&app, &token, scope, size, &base).await;
                    assert_eq!(forward, expected, "{context}, forwards by {size}");
                    let backward = walk_backward(&app, &token, scope, size, &base).await;
                    assert_eq!(backward, expected, "{context}, backwards by {size}");
                }
            }
        }
    }
    // The default order is CREATED_AT DESC, and the direction defaults to DESC.
    let mut newest_first: Vec<&todo::Model> = todos.iter().collect();
    newest_first.sort_by(|a, b| compare(a, b, "CREATED_AT", true));
    let mut by_title_desc: Vec<&todo::Model> = todos.iter().collect();
    by_title_desc.sort_by(|a, b| compare(a, b, "TITLE", true));
    for scope in SCOPES {
        let default = read(&app, &token, scope, json!({})).await;
        assert_eq!(default.ids, gids(newest_first.iter().copied()), "{scope:?}");
        let title = read(
            &app,
            &token,
            scope,
            json!({ "orderBy": { "field": "TITLE" } }),
        )
        .await;
        assert_eq!(title.ids, gids(by_title_desc.iter().copied()), "{scope:?}");
    }
}
tests::both_backends!(orders_sort_every_field_both_ways_with_id_tiebreak);

/// Ten todos t10..t19 of ann's, created at minutes 10..19, all tagged "all".
async fn ten_todos(app: &TestApp, ann: &user::Model, all: &tag::Model) -> Vec<todo::Model> {
    let mut todos = Vec::new();
    for minute in 10..20 {
        todos.push(
            add(
                app,
                ann,
                NewTodo::new(&format!("t{minute}"), minute),
                &[all],
            )
            .await,
        );
    }
    todos
}

async fn forward_paging_misses_and_repeats_nothing_while_rows_are_added(backend: Backend) {
    for scope in SCOPES {
        let Some(app) = TestApp::start(backend).await else {
            return;
        };
        let (token, ann, all) = ann(&app).await;
        let t = ten_todos(&app, &ann, &all).await;
        let page = |after: Value| {
            let app = &app;
            let token = &token;
            async move { read(app, token, scope, json!({ "first": 3, "after": after })).await }
        };

        let first = page(Value::Null).await;
        assert_eq!(first.ids, gids([&t[9], &t[8], &t[7]]), "{scope:?}");
        assert!(first.has_next && !first.has_previous, "{scope:?}");
        assert_eq!(first.total, 10);

        // Newer than everything (behind the cursor) and older than everything (ahead).
        let newest = add(&app, &ann, NewTodo::new("newest", 30), &[&all]).await;
        let oldest = add(&app, &ann, NewTodo::new("oldest", 5), &[&all]).await;
        let second = page(first.end_cursor.clone()).await;
        assert_eq!(second.ids, gids([&t[6], &t[5], &t[4]]), "{scope:?}");
        assert!(second.has_next && second.has_previous, "{scope:?}");
        assert_eq!(second.total, 12);

        // Same creation time as t12, higher id: comes right before t12 (newest first).
        let tie = add(&app, &ann, NewTodo::new("tie12", 12), &[&all]).await;
        let third = page(second.end_cursor.clone()).await;
        assert_eq!(third.ids, gids([&t[3], &tie, &t[2]]), "{scope:?}");
        let fourth = page(third.end_cursor.clone()).await;
        assert_eq!(fourth.ids, gids([&t[1], &t[0], &oldest]), "{scope:?}");
        assert!(!fourth.has_next && fourth.has_previous, "{scope:?}");
        assert_eq!(fourth.total, 13);

        let mut seen: Vec<String> = [first, second, third, fourth]
            .into_iter()
            .flat_map(|p| p.ids)
            .collect();
        let mut expected: Vec<String> = gids(t.iter().chain([&tie, &oldest]));
        seen.sort();
        expected.sort();
        assert_eq!(seen, expected, "{scope:?}: no row missed or repeated");
        // The new newest todo is where a fresh first page starts.
        let again = page(Value::Null).await;
        assert_eq!(again.ids[0], gid(&newest), "{scope:?}");
    }
}
tests::both_backends!(backend forward_paging_misses_and_repeats_nothing_while_rows_are_added);

async fn backward_paging_misses_and_repeats_nothing_while_rows_are_added(backend: Backend) {
    for scope in SCOPES {
        let Some(app) = TestApp::start(backend).await else {
            return;
        };
        let (token, ann, all) = ann(&app).await;
        let t = ten_todos(&app, &ann, &all).await;
        let page = |before: Value| {
            let app = &app;
            let token = &token;
            async move { read(app, token, scope, json!({ "last": 3, "before": before })).await }
        };

        // Newest first: the last page holds the oldest three.
        let last = page(Value::Null).await;
        assert_eq!(last.ids, gids([&t[2], &t[1], &t[0]]), "{scope:?}");
        assert!(last.has_previous && !last.has_next, "{scope:?}");

        // Older than everything (behind, going backwards) and newer (ahead).
        let oldest = add(&app, &ann, NewTodo::new("oldest", 5), &[&all]).await;
        let newest = add(&app, &ann, NewTodo::new("newest", 30), &[&all]).await;
        let second = page(last.start_cursor.clone()).await;
        assert_eq!(second.ids, gids([&t[5], &t[4], &t[3]]), "{scope:?}");
        assert!(second.has_previous && second.has_next, "{scope:?}");

        // Same creation time as t17, higher id: right before t17.
        let tie = add(&app, &ann, NewTodo::new("tie17", 17), &[&all]).await;
        let third = page(second.start_cursor.clone()).await;
        assert_eq!(third.ids, gids([&tie, &t[7], &t[6]]), "{scope:?}");
        let fourth = page(third.start_cursor.clone()).await;
        assert_eq!(fourth.ids, gids([&newest, &t[9], &t[8]]), "{scope:?}");
        assert!(!fourth.has_previous && fourth.has_next, "{scope:?}");
        assert_eq!(fourth.total, 13);

        let mut seen: Vec<String> = [last, second, third, fourth]
            .into_iter()
            .flat_map(|p| p.ids)
            .collect();
        let mut expected: Vec<String> = gids(t.iter().chain([&tie, &newest]));
        seen.sort();
        expected.sort();
        assert_eq!(seen, expected, "{scope:?}: no row missed or repeated");
        let again = page(Value::Null).await;
        assert_eq!(again.ids.last(), Some(&gid(&oldest)), "{scope:?}");
    }
}
tests::both_backends!(backend backward_paging_misses_and_repeats_nothing_while_rows_are_added);

async fn cursor_of_a_removed_row_still_continues(backend: Backend) {
    for scope in SCOPES {
        let Some(app) = TestApp::start(backend).await else {
            return;
        };
        let (token, ann, all) = ann(&app).await;
        let t = ten_todos(&app, &ann, &all).await;

        // Forwards, newest first: delete the row the cursor points at.
        let first = read(&app, &token, scope, json!({ "first": 3 })).await;
        assert_eq!(first.ids, gids([&t[9], &t[8], &t[7]]), "{scope:?}");
        todo::Entity::delete_by_id(t[7].id)
            .exec(app.db())
            .await
            .expect("delete");
        let next = read(
            &app,
            &token,
            scope,
            json!({ "first": 3, "after": first.end_cursor }),
        )
        .await;
        assert_eq!(next.ids, gids([&t[6], &t[5], &t[4]]), "{scope:?}");
        assert!(next.has_next && next.has_previous, "{scope:?}");

        // Backwards: the same with the start cursor.
        let last = read(&app, &token, scope, json!({ "last": 2 })).await;
        assert_eq!(last.ids, gids([&t[1], &t[0]]), "{scope:?}");
        todo::Entity::delete_by_id(t[1].id)
            .exec(app.db())
            .await
            .expect("delete");
        let previous = read(
            &app,
            &token,
            scope,
            json!({ "last": 2, "before": last.start_cursor }),
        )
        .await;
        assert_eq!(previous.ids, gids([&t[3], &t[2]]), "{scope:?}");

        // In another order, a soft-deleted cursor row: by title, descending.
        let base = json!({ "orderBy": { "field": "TITLE", "direction": "DESC" } });
        let by_title = read(&app, &token, scope, with(&base, json!({ "first": 2 }))).await;
        assert_eq!(by_title.ids, gids([&t[9], &t[8]]), "{scope:?}");
        todo::ActiveModel {
            id: Set(t[8].id),
            deleted_at: Set(Some(fixtures::at(100))),
            ..Default::default()
        }
        .update(app.db())
        .await
        .expect("soft-delete");
        let rest = read(
            &app,
            &token,
            scope,
            with(&base, json!({ "first": 10, "after": by_title.end_cursor })),
        )
        .await;
        assert_eq!(
            rest.ids,
            gids([&t[6], &t[5], &t[4], &t[3], &t[2], &t[0]]),
            "{scope:?}"
        );
        assert!(!rest.has_next, "{scope:?}");
        assert_eq!(rest.total, 7, "{scope:?}");
    }
}
tests::both_backends!(backend cursor_of_a_removed_row_still_continues);

async fn page_boundaries_and_sizes(app: TestApp) {
    let (token, ann, all) = ann(&app).await;
    let mut todos = Vec::new();
    for minute in 0..25 {
        todos.push(
            add(
                &app,
                &ann,
                NewTodo::new(&format!("t{minute:02}"), minute),
                &[&all],
            )
            .await,
        );
    }
    todos.reverse();
    let newest_first = gids(&todos);
    let (cat, _) = app.sign_up("cat").await;
    fixtures::tag(app.db(), "empty").await;

    // An empty list: no edges, no cursors, nothing before or after.
    for (viewer, scope) in [
        (&cat, Scope::Viewer),
        (&cat, Scope::User("cat")),
        (&token, Scope::User("cat")),
        (&token, Scope::Tag("empty")),
        (&cat, Scope::Tag("all")),
    ] {
        for args in [
            json!({}),
            json!({ "first": 5 }),
            json!({ "last": 5 }),
            json!({ "first": 0 }),
        ] {
            let page = read(&app, viewer, scope, args.clone()).await;
            let context = format!("{scope:?} {args}: {page:?}");
            assert!(page.ids.is_empty(), "{context}");
            assert!(!page.has_next && !page.has_previous, "{context}");
            assert_eq!(page.start_cursor, Value::Null, "{context}");
            assert_eq!(page.end_cursor, Value::Null, "{context}");
            assert_eq!(page.total, 0, "{context}");
        }
    }

    for scope in SCOPES {
        // first: 0 holds nothing but says that rows follow.
        let zero = read(&app, &token, scope, json!({ "first": 0 })).await;
        assert!(zero.ids.is_empty(), "{scope:?}");
        assert!(zero.has_next && !zero.has_previous, "{scope:?}");
        assert_eq!(
            (zero.start_cursor, zero.end_cursor),
            (Value::Null, Value::Null)
        );
        assert_eq!(zero.total, 25, "{scope:?}");
        let zero_back = read(&app, &token, scope, json!({ "last": 0 })).await;
        assert!(zero_back.ids.is_empty(), "{scope:?}");
        assert!(zero_back.has_previous && !zero_back.has_next, "{scope:?}");

        // The default page holds 20; the next one the remaining 5 and is the last.
        let default = read(&app, &token, scope, json!({})).await;
        assert_eq!(default.ids, newest_first[..20], "{scope:?}");
        assert!(default.has_next && !default.has_previous, "{scope:?}");
        let rest = read(&app, &token, scope, json!({ "after": default.end_cursor })).await;
        assert_eq!(rest.ids, newest_first[20..], "{scope:?}");
        assert!(!rest.has_next && rest.has_previous, "{scope:?}");
        let default_back = read(&app, &token, scope, json!({ "before": rest.start_cursor })).await;
        assert_eq!(default_back.ids, newest_first[..20], "{scope:?}");
        assert!(
            !default_back.has_previous && default_back.has_next,
            "{scope:?}"
        );

        // A page exactly as long as the list is the last one; one shorter is not.
        for (args, count, next, previous) in [
            (json!({ "first": 25 }), 25, false, false),
            (json!({ "first": 24 }), 24, true, false),
            (json!({ "first": 100 }), 25, false, false),
            (json!({ "last": 25 }), 25, false, false),
            (json!({ "last": 24 }), 24, false, true),
            (json!({ "last": 100 }), 25, false, false),
        ] {
            let page = read(&app, &token, scope, args.clone()).await;
            let context = format!("{scope:?} {args}: {page:?}");
            assert_eq!(page.ids.len(), count, "{context}");
            assert_eq!(
                (page.has_next, page.has_previous),
                (next, previous),
                "{context}"
            );
            assert_eq!(page.total, 25, "{context}");
        }

        // Sizes outside 0..=100 name the argument at fault.
        for (args, field) in [
            (json!({ "first": 101 }), "first"),
            (json!({ "first": -1 }), "first"),
            (json!({ "last": 101 }), "last"),
            (json!({ "last": -1 }), "last"),
        ] {
            let body = refused(&app, &token, scope, args.clone()).await;
            assert_eq!(error_field(&body), Some(field), "{scope:?} {args}: {body}");
        }
        // Forwards and backwards at once.
        let cursor = default.end_cursor.clone();
        for args in [
            json!({ "first": 2, "before": cursor }),
            json!({ "last": 2, "after": cursor }),
            json!({ "first": 2, "last": 2 }),
            json!({ "after": cursor, "before": cursor }),
        ] {
            refused(&app, &token, scope, args).await;
        }
    }
}
tests::both_backends!(page_boundaries_and_sizes);

async fn foreign_and_malformed_cursors_are_bad_user_input(app: TestApp) {
    let (token, ann, all) = ann(&app).await;
    for minute in 0..3 {
        add(
            &app,
            &ann,
            NewTodo::new(&format!("t{minute}"), minute),
            &[&all],
        )
        .await;
    }
    let users = app
        .gql_as(
            &token,
            "{ users(first: 1) { edges { cursor } } }",
            json!({}),
        )
        .await;
    let user_cursor = users["data"]["users"]["edges"][0]["cursor"].clone();
    assert!(user_cursor.is_string(), "{users}");
    let tags = app
        .gql_as(&token, "{ tags(first: 1) { edges { cursor } } }", json!({}))
        .await;
    let tag_cursor = tags["data"]["tags"]["edges"][0]["cursor"].clone();
    assert!(tag_cursor.is_string(), "{tags}");
    let by_title = json!({ "orderBy": { "field": "TITLE", "direction": "ASC" } });
    let title_cursor = read(
        &app,
        &token,
        Scope::Viewer,
        with(&by_title, json!({ "first": 1 })),
    )
    .await
    .end_cursor;
    let by_due = json!({ "orderBy": { "field": "DUE_DATE", "direction": "ASC" } });

    for scope in SCOPES {
        let cases = [
            (json!({ "after": "not a cursor" }), "after"),
            // URL-safe base64 of "not json".
            (json!({ "after": "bm90IGpzb24" }), "after"),
            (json!({ "before": "%%%" }), "before"),
            (json!({ "after": "" }), "after"),
            (json!({ "first": 2, "after": user_cursor }), "after"),
            (json!({ "last": 2, "before": tag_cursor }), "before"),
            // A cursor of the TITLE order, used with the default order and with DUE_DATE.
            (json!({ "first": 2, "after": title_cursor }), "after"),
            (with(&by_due, json!({ "before": title_cursor })), "before"),
        ];
        for (args, field) in cases {
            let body = refused(&app, &token, scope, args.clone()).await;
            assert_eq!(error_field(&body), Some(field), "{scope:?} {args}: {body}");
        }
        // The same cursor is fine with its own order, in any list with that order.
        let page = read(
            &app,
            &token,
            scope,
            with(&by_title, json!({ "after": title_cursor })),
        )
        .await;
        assert_eq!(page.titles, ["t1", "t2"], "{scope:?}");
    }
}
tests::both_backends!(foreign_and_malformed_cursors_are_bad_user_input);

fn titles(nodes: &Value) -> Vec<String> {
    nodes
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {nodes}"))
        .iter()
        .map(|n| n["title"].as_str().expect("a title").to_owned())
        .collect()
}

async fn seed_named_queries_as_graphql(app: TestApp) {
    let (token, ann_id) = app.sign_up("ann").await;
    let ann = user_row(&app, "ann").await;
    let work = fixtures::tag(app.db(), "work").await;
    let errand = fixtures::tag(app.db(), "errand").await;
    let now = now_seconds();
    let mut open = Vec::new();
    for n in 1..=13 {
        let new = NewTodo {
            priority: if n % 4 == 0 {
                Priority::High
            } else {
                Priority::Medium
            },
            description: (n == 7).then(|| "Call the Plumber".to_owned()),
            due_date: match n {
                2 => Some(now - Duration::days(3)),
                5 => Some(now - Duration::days(1)),
                9 => Some(now + Duration::days(1)),
                _ => None,
            },
            ..NewTodo::new(&format!("open{n}"), n)
        };
        open.push(add(&app, &ann, new, &[]).await);
    }
    let open = |n: usize| &open[n - 1];
    fixtures::tag_todo(app.db(), open(13), &work).await;
    fixtures::tag_todo(app.db(), open(13), &errand).await;
    fixtures::tag_todo(app.db(), open(1), &work).await;
    let done = |title: &str, minute, priority, due| NewTodo {
        completed: true,
        priority,
        due_date: due,
        ..NewTodo::new(title, minute)
    };
    let done14 = add(
        &app,
        &ann,
        done("done14", 14, Priority::High, None),
        &[&work],
    )
    .await;
    add(
        &app,
        &ann,
        done("done15", 15, Priority::Low, Some(now - Duration::days(5))),
        &[],
    )
    .await;
    add(&app, &ann, done("done16", 16, Priority::Medium, None), &[]).await;
    let bob = fixtures::user(app.db(), "bob").await;
    add(
        &app,
        &bob,
        NewTodo {
            due_date: Some(now - Duration::days(9)),
            priority: Priority::High,
            description: Some("plumber".to_owned()),
            ..NewTodo::new("open bob", 17)
        },
        &[&work],
    )
    .await;

    // getUserWithTodos: the user, their 10 newest open todos, and their preferences.
    let body = app
        .gql_as(
            &token,
            "query GetUserWithTodos($username: String!) {
                user(username: $username) {
                    id username email
                    todos(first: 10, filter: { completed: false },
                          orderBy: { field: CREATED_AT, direction: DESC }) {
                        nodes { id title completed createdAt }
                    }
                    preferences { theme notifications { email push frequency } layout { sidebar compact } }
                }
            }",
            json!({ "username": "ann" }),
        )
        .await;
    assert_eq!(body.get("errors"), None, "{body}");
    let user = &body["data"]["user"];
    assert_eq!(user["id"], ann_id.as_str());
    assert_eq!(user["email"], "ann@example.com");
    let nodes = &user["todos"]["nodes"];
    let expected: Vec<String> = (4..=13).rev().map(|n| format!("open{n}")).collect();
    assert_eq!(titles(nodes), expected, "{body}");
    assert_eq!(nodes[0]["id"], gid(open(13)).as_str());
    assert_eq!(nodes[0]["completed"], false);
    assert_eq!(nodes[0]["createdAt"], "2026-01-01T00:13:00Z", "{body}");
    assert_eq!(
        user["preferences"],
        json!({
            "theme": "SYSTEM",
            "notifications": { "email": true, "push": true, "frequency": "INSTANT" },
            "layout": { "sidebar": true, "compact": false },
        })
    );

    // getTodoWithTags: a todo by ID with its tags (by name) and owner's id, username, email.
    let body = app
        .gql_as(
            &token,
            "query GetTodoWithTags($id: ID!) {
                node(id: $id) { ... on Todo { id title tags { name color } owner { id username email } } }
            }",
            json!({ "id": gid(open(13)) }),
        )
        .await;
    assert_eq!(body.get("errors"), None, "{body}");
    assert_eq!(
        body["data"],
        json!({ "node": {
            "id": gid(open(13)), "title": "open13",
            "tags": [ { "name": "errand", "color": "#3b82f6" }, { "name": "work", "color": "#3b82f6" } ],
            "owner": { "id": ann_id, "username": "ann", "email": "ann@example.com" },
        } })
    );

    // getTodosByTag: a tag's todos (the viewer's only), newest first.
    let body = app
        .gql_as(
            &token,
            "query GetTodosByTag($name: String!) {
                tag(name: $name) { name todos { nodes { title } totalCount } }
            }",
            json!({ "name": "work" }),
        )
        .await;
    assert_eq!(body.get("errors"), None, "{body}");
    assert_eq!(
        titles(&body["data"]["tag"]["todos"]["nodes"]),
        ["done14", "open13", "open1"]
    );
    assert_eq!(body["data"]["tag"]["todos"]["totalCount"], 3);
    let missing = app
        .gql_as(&token, "{ tag(name: \"nope\") { name } }", json!({}))
        .await;
    assert_eq!(missing.get("errors"), None, "{missing}");
    assert_eq!(missing["data"]["tag"], Value::Null, "{missing}");

    // getUserTodos: completed and priority filters, newest first, a cursor for the offset.
    let user_todos = "query GetUserTodos($username: String!, $completed: Boolean,
            $priority: [Priority!], $first: Int, $after: String) {
        user(username: $username) {
            todos(first: $first, after: $after,
                  filter: { completed: $completed, priority: $priority }) {
                nodes { title completed priority } pageInfo { hasNextPage endCursor } totalCount
            }
        }
    }";
    let body = app
        .gql_as(
            &token,
            user_todos,
            json!({ "username": "ann", "completed": false, "priority": ["HIGH"], "first": 2 }),
        )
        .await;
    let todos = &body["data"]["user"]["todos"];
    assert_eq!(titles(&todos["nodes"]), ["open12", "open8"], "{body}");
    assert_eq!(todos["nodes"][0]["priority"], "HIGH");
    assert_eq!(todos["pageInfo"]["hasNextPage"], true);
    assert_eq!(todos["totalCount"], 3);
    let body = app
        .gql_as(
            &token,
            user_todos,
            json!({ "username": "ann", "completed": false, "priority": ["HIGH"],
                    "first": 2, "after": todos["pageInfo"]["endCursor"] }),
        )
        .await;
    let todos = &body["data"]["user"]["todos"];
    assert_eq!(titles(&todos["nodes"]), ["open4"], "{body}");
    assert_eq!(todos["pageInfo"]["hasNextPage"], false);
    let body = app
        .gql_as(
            &token,
            user_todos,
            json!({ "username": "ann", "completed": true, "priority": ["HIGH"], "first": 50 }),
        )
        .await;
    assert_eq!(
        titles(&body["data"]["user"]["todos"]["nodes"]),
        ["done14"],
        "{body}"
    );
    let body = app
        .gql_as(
            &token,
            user_todos,
            json!({ "username": "ann", "completed": true, "first": 50 }),
        )
        .await;
    assert_eq!(
        titles(&body["data"]["user"]["todos"]["nodes"]),
        ["done16", "done15", "done14"],
        "{body}"
    );
    assert_eq!(done14.title, "done14");

    // searchTodos: the viewer's todos whose title or description contains the text.
    let search = "query SearchTodos($query: String!) {
        todos(filter: { search: $query }, orderBy: { field: CREATED_AT, direction: DESC }) {
            nodes { title description }
        }
    }";
    let body = app
        .gql_as(&token, search, json!({ "query": "PLUMBER" }))
        .await;
    assert_eq!(titles(&body["data"]["todos"]["nodes"]), ["open7"], "{body}");
    assert_eq!(
        body["data"]["todos"]["nodes"][0]["description"],
        "Call the Plumber"
    );
    let body = app
        .gql_as(&token, search, json!({ "query": "Open1" }))
        .await;
    assert_eq!(
        titles(&body["data"]["todos"]["nodes"]),
        ["open13", "open12", "open11", "open10", "open1"],
        "{body}"
    );

    // getOverdueTodos: open todos due in the past, soonest due first.
    let body = app
        .gql_as(
            &token,
            "query GetOverdueTodos {
                todos(filter: { overdue: true }, orderBy: { field: DUE_DATE, direction: ASC }) {
                    nodes { title dueDate completed }
                }
            }",
            json!({}),
        )
        .await;
    assert_eq!(
        titles(&body["data"]["todos"]["nodes"]),
        ["open2", "open5"],
        "{body}"
    );
}
tests::both_backends!(seed_named_queries_as_graphql);
