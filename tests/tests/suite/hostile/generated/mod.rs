//! Hostile input, generated (proptest): every mutation and the todo lists' filter, order and
//! paging arguments get unicode of every kind, control characters and NUL, SQL and LIKE
//! metacharacters, numbers past every range, malformed, forged and foreign IDs and cursors,
//! and variables of the wrong type. Whatever comes in, the server answers (no panic, no 5xx)
//! with a client error code (never INTERNAL) whose message shows no SQL, driver or stack
//! text, and the other user's rows stay exactly as they were.
//!
//! Inputs travel as variables so that they reach the server's own code; one property puts
//! them into the document instead, for the parser.

mod arena;
mod inputs;
mod lists;

use arena::Arena;
use proptest::{prelude::*, sample::select};
use serde_json::{Value, json};
use tests::{Backend, both_backends};

const PRIORITIES: &[&str] = &["LOW", "MEDIUM", "HIGH"];
const THEMES: &[&str] = &["SYSTEM", "LIGHT", "DARK"];
const FREQUENCIES: &[&str] = &["INSTANT", "DAILY", "WEEKLY"];

/// The values one generated request is made of; each operation takes what it needs.
#[derive(Debug, Clone)]
struct Values {
    a: String,
    b: String,
    c: String,
    tags: Vec<String>,
    number: Value,
    when: Value,
    id: String,
    other_id: String,
    choice: Value,
}

fn values(arena: &Arena) -> impl Strategy<Value = Values> {
    (
        (inputs::string(), inputs::string(), inputs::string()),
        inputs::strings(),
        (inputs::number(), inputs::datetime()),
        (
            inputs::id(arena.known_ids.clone()),
            inputs::id(arena.known_ids.clone()),
        ),
        inputs::enum_value(PRIORITIES),
    )
        .prop_map(
            |((a, b, c), tags, (number, when), (id, other_id), choice)| Values {
                a,
                b,
                c,
                tags,
                number,
                when,
                id,
                other_id,
                choice,
            },
        )
}

/// Every mutation that takes input, and the queries that take an ID or a name, as the
/// attacker. logOut is left out: it takes no input and would end the attacker's session.
fn operation(op: usize, v: &Values) -> Value {
    let (query, variables) = match op {
        0 => (
            "mutation($i: CreateTodoInput!) { createTodo(input: $i) { id title tags { name } } }",
            json!({ "i": { "title": v.a, "description": v.b, "priority": v.choice,
                           "dueDate": v.when, "tags": v.tags } }),
        ),
        1 => (
            "mutation($i: [CreateTodoInput!]!) { createTodos(input: $i) { id } }",
            json!({ "i": [{ "title": v.a, "tags": v.tags }, { "title": v.b, "description": v.c }] }),
        ),
        2 => (
            "mutation($i: UpdateTodoInput!) { updateTodo(input: $i) { id version } }",
            json!({ "i": { "id": v.id, "expectedVersion": v.number, "title": v.a,
                           "description": v.b, "dueDate": v.when, "priority": v.choice } }),
        ),
        3 => (
            "mutation($id: ID!) { toggleTodo(id: $id) { id } }",
            json!({ "id": v.id }),
        ),
        4 => (
            "mutation($id: ID!) { deleteTodo(id: $id) { id } }",
            json!({ "id": v.id }),
        ),
        5 => (
            "mutation($id: ID!) { restoreTodo(id: $id) { id } }",
            json!({ "id": v.id }),
        ),
        6 => (
            "mutation($id: ID!, $to: ID!) { transferTodo(id: $id, toUserId: $to) { id } }",
            json!({ "id": v.id, "to": v.other_id }),
        ),
        7 => (
            "mutation($id: ID!, $t: [String!]!) { setTodoTags(id: $id, tags: $t) { id } }",
            json!({ "id": v.id, "t": v.tags }),
        ),
        8 => (
            "mutation($i: CreateTagInput!) { createTag(input: $i) { id name color } }",
            json!({ "i": { "name": v.a, "color": v.b } }),
        ),
        9 => (
            "mutation($i: UpdateTagInput!) { updateTag(input: $i) { id } }",
            json!({ "i": { "id": v.id, "name": v.a, "color": v.b } }),
        ),
        10 => (
            "mutation($id: ID!) { deleteTag(id: $id) { id } }",
            json!({ "id": v.id }),
        ),
        11 => (
            "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id username } }",
            json!({ "i": { "username": v.a, "avatarUrl": v.b, "bio": v.c } }),
        ),
        12 => (
            "mutation($i: UpdatePreferencesInput!) { updatePreferences(input: $i) { theme } }",
            json!({ "i": { "theme": select_str(THEMES, &v.a),
                           "notifications": { "frequency": select_str(FREQUENCIES, &v.b),
                                              "email": v.number },
                           "layout": { "compact": v.choice } } }),
        ),
        13 => (
            "mutation($i: SignUpInput!) { signUp(input: $i) { token } }",
            json!({ "i": { "email": format!("{}@example.com", v.a), "username": v.b,
                           "password": v.c } }),
        ),
        14 => (
            "mutation($i: SignUpInput!) { signUp(input: $i) { token } }",
            json!({ "i": { "email": v.a, "username": v.b, "password": "password123" } }),
        ),
        15 => (
            "mutation($i: LogInInput!) { logIn(input: $i) { token } }",
            json!({ "i": { "login": v.a, "password": v.b } }),
        ),
        16 => (
            "query($id: ID!, $ids: [ID!]!) { node(id: $id) { id } nodes(ids: $ids) { id } }",
            json!({ "id": v.id, "ids": [v.id, v.other_id, v.a] }),
        ),
        17 => (
            "query($a: String!, $b: String!) { user(username: $a) { id } tag(name: $b) { id } }",
            json!({ "a": v.a, "b": v.b }),
        ),
        _ => (
            "mutation { deleteCompletedTodos { deletedCount } }",
            json!({}),
        ),
    };
    json!({ "query": query, "variables": variables })
}

const OPERATIONS: usize = 19;

/// A valid enum value picked by `text`, or `text` itself when it is long: mostly valid, so
/// that the rest of the input gets past coercion.
fn select_str(valid: &[&str], text: &str) -> Value {
    match text.chars().count() {
        n if n < valid.len() * 4 => Value::from(valid[n % valid.len()]),
        _ => Value::from(text),
    }
}

async fn operations_survive_hostile_values(backend: Backend) {
    let Some(arena) = Arena::start(backend).await else {
        return;
    };
    let strategy = (0..OPERATIONS, values(&arena));
    let checked = arena
        .run(strategy, async |arena, (op, v)| {
            arena.attack(operation(op, &v), &[]).await
        })
        .await;
    assert!(checked > 0, "no error message was checked");
}
both_backends!(backend operations_survive_hostile_values);

/// The same operations with one variable, somewhere in the tree, replaced by a value of any
/// type (or all of them by one value): coercion must refuse it as the client's error.
async fn wrong_type_variables_are_refused(backend: Backend) {
    let Some(arena) = Arena::start(backend).await else {
        return;
    };
    let strategy = (
        0..OPERATIONS,
        values(&arena),
        any::<proptest::sample::Index>(),
        inputs::any_json(),
    );
    let checked = arena
        .run(strategy, async |arena, (op, v, at, wrong)| {
            let mut request = operation(op, &v);
            let mut paths = Vec::new();
            pointers(&request["variables"], String::new(), &mut paths);
            let path = at.get(&paths);
            match request["variables"].pointer_mut(path) {
                Some(slot) => *slot = wrong,
                None => request["variables"] = wrong,
            }
            arena.attack(request, &[]).await
        })
        .await;
    assert!(checked > 0, "no error message was checked");
}
both_backends!(backend wrong_type_variables_are_refused);

/// JSON pointers to every value inside `value`, itself ("") included.
fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{here}/{i}"), out);
            }
        }
        Value::Object(fields) => {
            for (key, field) in fields {
                pointers(field, format!("{here}/{key}"), out);
            }
        }
        _ => {}
    }
    out.push(here);
}

async fn lists_survive_hostile_arguments(backend: Backend) {
    let Some(arena) = Arena::start(backend).await else {
        return;
    };
    let checked = arena
        .run(lists::list_request(&arena), async |arena, request| {
            arena.attack(request, &[]).await
        })
        .await;
    assert!(checked > 0, "no error message was checked");
}
both_backends!(backend lists_survive_hostile_arguments);

/// Documents with hostile text put into them: as a properly escaped string literal (the
/// parser must decode it and the server refuse or accept it cleanly), or raw, where it
/// breaks the syntax (the parser must refuse it cleanly), and raw numbers of any size.
async fn hostile_text_in_documents(backend: Backend) {
    let Some(arena) = Arena::start(backend).await else {
        return;
    };
    let templates = [
        "{ todos(filter: { search: @ }) { totalCount } }",
        "mutation { createTodo(input: { title: @, tags: [@] }) { id } }",
        "{ node(id: @) { id } }",
        "{ tag(name: @) { todos(after: @) { totalCount } } }",
        "{ todos(first: #, orderBy: { field: TITLE }) { totalCount } }",
        "mutation { updateTodo(input: { id: @, expectedVersion: # }) { id } }",
        "{ todos(orderBy: { field: $ }) { totalCount } }",
    ];
    let number = prop_oneof![
        3 => inputs::number().prop_map(|n| n.to_string()),
        1 => select(vec!["99999999999999999999999999", "-0", "1e5", "0x10", "--1", "1_000"])
            .prop_map(str::to_owned),
        1 => inputs::string(),
    ];
    let strategy = (select(templates.to_vec()), inputs::string(), 0..4, number);
    let checked = arena
        .run(strategy, async |arena, (template, text, form, number)| {
            let literal = match form {
                0 => Value::from(text.as_str()).to_string(),
                1 => format!("\"\"\"{text}\"\"\""),
                2 => format!("\"{text}\""),
                _ => text.clone(),
            };
            let query = template
                .replace('@', &literal)
                .replace('#', &number)
                .replace('$', &text);
            let quoted = [query.as_str(), &literal, &text, &number];
            arena.attack(json!({ "query": query }), &quoted).await
        })
        .await;
    assert!(checked > 0, "no error message was checked");
}
both_backends!(backend hostile_text_in_documents);
