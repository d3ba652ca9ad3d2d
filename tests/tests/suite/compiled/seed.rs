//! The rows both servers answer from: users, todos and tags with the edge cases a
//! hand-written JSON writer could get wrong, and real cursors of every ordering.

use std::collections::HashMap;

use entity::{todo::Priority, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use tests::{
    fixtures::{self, NewTodo},
    test_app::TestApp,
};

use super::arguments::ordering_of;

/// A todo to insert: see `seed`.
type Row<'a> = (
    &'a user::Model,
    &'a str,
    Option<&'a str>,
    Priority,
    bool,
    Option<chrono::DateTime<chrono::Utc>>,
    i64,
    bool,
    &'a [&'a str],
);

/// Real cursors by the name of their ordering (`todo:title`, `user:username`, `tag:name`).
pub type Cursors = HashMap<&'static str, Vec<String>>;

/// Seeds users, todos and tags with the edge cases a hand-written JSON writer could get
/// wrong; returns the viewers' tokens: anonymous, ann, bob, root (the admin).
pub async fn seed(app: &TestApp) -> [Option<String>; 4] {
    let root = app.sign_up_admin("root").await;
    let (ann, _) = app.sign_up("ann").await;
    let (bob, bob_id) = app.sign_up("bob").await;
    let db = app.db();
    // No todos (empty pages); inactive. Upper case sorts before lower by code point.
    let carol = fixtures::user(db, "carol").await;
    user::ActiveModel {
        id: Set(carol.id),
        is_active: Set(false),
        ..Default::default()
    }
    .update(db)
    .await
    .expect("deactivate carol");
    fixtures::user(db, "Zoe.Upper").await;
    // Strings a JSON writer must escape exactly as serde_json does.
    let ann_model = model(app, "ann").await;
    user::ActiveModel {
        id: Set(ann_model.id),
        bio: Set("Hi \"there\"\n\t/ \\ \u{1}\u{1f}\u{7f} ☃ 😀 \u{2028}".to_owned()),
        avatar_url: Set(Some("https://example.com/a.png?s=2&x=<é>".to_owned())),
        ..Default::default()
    }
    .update(db)
    .await
    .expect("ann's profile");
    let bob_model = model(app, "bob").await;
    let root_model = model(app, "root").await;

    let mut tags = HashMap::new();
    for name in ["work", "Home", "URGENT", "errands", "ünï-tag", "lonely"] {
        tags.insert(name, fixtures::tag(db, name).await);
    }
    let past = fixtures::at(60 * 24 * 30);
    let future = fixtures::at(60 * 24 * 365 * 5);
    let (low, medium, high) = (Priority::Low, Priority::Medium, Priority::High);
    // Owner, title, description, priority, completed, due date, created (minute), deleted,
    // tags.
    #[rustfmt::skip]
    let todos: Vec<Row> = vec![
        (&ann_model, "Buy the milk", Some("2% or whole?"), high, false, Some(past), 10, false, &["errands", "Home"]),
        (&ann_model, "Read the book", None, low, true, None, 20, false, &["ünï-tag"]),
        (&ann_model, "Quote \"this\" \\ path/", Some("tab\there\nnew line \u{1} \u{1b}[0m"), medium, false, Some(future), 30, false, &["URGENT", "work", "Home", "errands"]),
        (&ann_model, "Ünïcödé ☃ 😀 \u{2028}\u{2029}", Some(""), high, true, Some(past), 40, false, &[]),
        (&ann_model, "<b>html</b> & the rest", Some("the description"), low, false, None, 50, false, &["work"]),
        (&ann_model, "same", None, medium, false, Some(future), 60, false, &["work"]),
        (&ann_model, "same", None, medium, false, Some(future), 60, false, &["work"]),
        (&ann_model, "deleted one", Some("gone"), high, false, None, 70, true, &["work"]),
        (&ann_model, "deleted and done", None, low, true, Some(past), 80, true, &[]),
        (&ann_model, "apple", None, low, false, Some(past), 90, false, &[]),
        (&ann_model, "Apple", Some("100%_sure"), high, false, Some(future), 91, false, &["Home"]),
        (&ann_model, "_under", None, medium, true, None, 92, false, &[]),
        (&bob_model, "Bob's the one", Some("bob"), high, false, Some(future), 15, false, &["work"]),
        (&bob_model, "bob done", None, low, true, None, 25, false, &["URGENT"]),
        (&bob_model, "bob deleted", None, medium, false, None, 35, true, &[]),
        (&root_model, "Admin's the task", Some("the admin"), medium, false, Some(past), 5, false, &["work", "errands"]),
        (&root_model, "admin done", None, high, true, Some(future), 45, false, &[]),
    ];
    let mut ann_todos = Vec::new();
    for (owner, title, description, priority, completed, due_date, minute, deleted, names) in todos
    {
        let new = NewTodo {
            description: description.map(str::to_owned),
            priority,
            completed,
            due_date,
            deleted,
            ..NewTodo::new(title, minute)
        };
        let todo = fixtures::todo(db, owner, new).await;
        for name in names {
            fixtures::tag_todo(db, &todo, &tags[name]).await;
        }
        if owner.id == ann_model.id {
            ann_todos.push(todo.id);
        }
    }
    // Through the mutations: a new tag with its own colour, a todo created now with a
    // mixed-case tag and then transferred to bob, one updated (version 2), one toggled.
    app.data(
        Some(&root),
        "mutation { createTag(input: { name: \"Colorful\", color: \"#ff00aa\" }) { id } }",
        json!({}),
    )
    .await;
    let moved = app
        .create_todo(
            &ann,
            json!({ "title": "moved to bob", "description": "the transfer", "priority": "HIGH",
                    "dueDate": "2031-06-01T12:00:00+02:00", "tags": ["MixedCase", "work"] }),
        )
        .await;
    app.data(
        Some(&ann),
        "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
        json!({ "id": moved.id, "to": bob_id }),
    )
    .await;
    let gid = |id: i32| {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        URL_SAFE_NO_PAD.encode(format!("Todo:{id}"))
    };
    app.data(
        Some(&ann),
        "mutation($id: ID!) { updateTodo(input: { id: $id, title: \"the updated one\" }) { id } }",
        json!({ "id": gid(ann_todos[9]) }),
    )
    .await;
    app.data(
        Some(&ann),
        "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
        json!({ "id": gid(ann_todos[0]) }),
    )
    .await;
    // Tokens of sessions opened after the last change to their users.
    [None, Some(ann), Some(bob), Some(root)]
}

async fn model(app: &TestApp, username: &str) -> user::Model {
    user::Entity::find_by_id(app.user_id(username).await)
        .one(app.db())
        .await
        .expect("query")
        .expect("the user exists")
}

/// Real cursors of every ordering, from the reference server as the admin (who sees every
/// todo, deleted ones included), for `after`/`before`.
pub async fn cursors(generic: &TestApp, admin: Option<&str>) -> Cursors {
    let mut cursors = Cursors::new();
    let edges = |data: &Value, list: &str| -> Vec<String> {
        data[list]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|edge| edge["cursor"].as_str().expect("a cursor").to_owned())
            .collect()
    };
    for field in ["CREATED_AT", "UPDATED_AT", "DUE_DATE", "PRIORITY", "TITLE"] {
        for deleted in [false, true] {
            let data = generic
                .data(
                    admin,
                    "query($field: TodoOrderField!, $deleted: Boolean) {
                        todos(first: 100, orderBy: { field: $field }, filter: { deleted: $deleted }) {
                            edges { cursor } } }",
                    json!({ "field": field, "deleted": deleted }),
                )
                .await;
            cursors
                .entry(ordering_of(field))
                .or_default()
                .extend(edges(&data, "todos"));
        }
    }
    let data = generic
        .data(
            admin,
            "{ users(first: 100) { edges { cursor } } tags(first: 100) { edges { cursor } } }",
            json!({}),
        )
        .await;
    cursors.insert("user:username", edges(&data, "users"));
    cursors.insert("tag:name", edges(&data, "tags"));
    assert!(
        cursors.values().all(|list| list.len() >= 5),
        "real cursors: {cursors:?}"
    );
    cursors
}
