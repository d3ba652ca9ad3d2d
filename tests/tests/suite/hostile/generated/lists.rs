//! The paged lists and the request strategy for their arguments: paging with hostile sizes
//! and cursors, order, filter and search.

use proptest::{prelude::*, sample::select};
use serde_json::{Value, json};

use super::{PRIORITIES, arena::Arena, inputs};

const FIELDS: &[&str] = &["CREATED_AT", "UPDATED_AT", "DUE_DATE", "PRIORITY", "TITLE"];
const DIRECTIONS: &[&str] = &["ASC", "DESC"];

fn todo_filter() -> impl Strategy<Value = Value> {
    (
        inputs::string(),
        inputs::strings(),
        (inputs::datetime(), inputs::datetime()),
        proptest::collection::vec(inputs::enum_value(PRIORITIES), 0..3),
        (
            any::<Option<bool>>(),
            any::<Option<bool>>(),
            any::<Option<bool>>(),
        ),
    )
        .prop_map(
            |(search, tags, (before, after), priority, (completed, overdue, deleted))| {
                json!({ "search": search, "tags": tags, "dueBefore": before, "dueAfter": after,
                        "priority": priority, "completed": completed, "overdue": overdue,
                        "deleted": deleted })
            },
        )
}

/// The paged lists: the ordering their cursors carry ("todo:" for the one `$order` picks)
/// and a document paging them with `$first`, `$after`, `$last`, `$before` (and `$filter`,
/// `$order`, `$s` where they apply).
const LISTS: &[(&str, &str)] = &[
    (
        "todo:",
        "query($first: Int, $after: String, $last: Int, $before: String, $filter: TodoFilter, $order: TodoOrder) {
        todos(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {
            totalCount edges { cursor node { id title } } pageInfo { hasNextPage hasPreviousPage } } }",
    ),
    (
        "todo:",
        "query($first: Int, $after: String, $last: Int, $before: String, $filter: TodoFilter, $order: TodoOrder) {
        viewer { todos(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {
            totalCount nodes { id } } } }",
    ),
    (
        "todo:",
        "query($first: Int, $after: String, $last: Int, $before: String, $filter: TodoFilter, $order: TodoOrder, $s: String!) {
        user(username: $s) { todos(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {
            totalCount nodes { id } } } }",
    ),
    (
        "todo:",
        "query($first: Int, $after: String, $last: Int, $before: String, $filter: TodoFilter, $order: TodoOrder, $s: String!) {
        tag(name: $s) { todos(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {
            totalCount nodes { id } } } }",
    ),
    (
        "tag:name",
        "query($first: Int, $after: String, $s: String) {
        tags(first: $first, after: $after, search: $s) { totalCount edges { cursor } } }",
    ),
    (
        "user:username",
        "query($first: Int, $after: String, $last: Int, $before: String, $s: String) {
        users(first: $first, after: $after, last: $last, before: $before, search: $s) { totalCount edges { cursor } } }",
    ),
    (
        "history:id",
        "query($first: Int, $after: String) {
        todos(first: 5) { nodes { history(first: $first, after: $after) { totalCount edges { cursor } } } } }",
    ),
];

/// A request for one of [`LISTS`], with hostile paging (its cursors mostly forged for the
/// list's own ordering, so that their keys reach the SQL), order, filter and search.
pub fn list_request(arena: &Arena) -> impl Strategy<Value = Value> {
    let known = arena.known_cursors.clone();
    (0..LISTS.len(), select(FIELDS), select(DIRECTIONS)).prop_flat_map(
        move |(list, field, direction)| {
            let (prefix, query) = LISTS[list];
            let ordering = match prefix {
                "todo:" => tests::cursors::ORDERINGS
                    .iter()
                    .find(|o| o.strip_prefix("todo:") == Some(&field.to_lowercase()))
                    .copied()
                    .unwrap_or("todo:created_at"),
                other => other,
            };
            let known = known.clone();
            let cursor = move || inputs::cursor(known.clone(), ordering);
            let size = || prop_oneof![1 => Just(Value::Null), 3 => inputs::number()];
            let paging = prop_oneof![
                3 => (size(), cursor()).prop_map(|(n, c)| json!({ "first": n, "after": c })),
                3 => (size(), cursor()).prop_map(|(n, c)| json!({ "last": n, "before": c })),
                1 => (size(), cursor(), size(), cursor()).prop_map(|(f, a, l, b)| {
                    json!({ "first": f, "after": a, "last": l, "before": b })
                }),
            ];
            let order = prop_oneof![
                4 => Just(json!({ "field": field, "direction": direction })),
                1 => Just(Value::Null),
                1 => inputs::any_json(),
            ];
            let search = prop_oneof![
                2 => select(vec!["work", "Home", "victim", "mallory"]).prop_map(str::to_owned),
                3 => inputs::string(),
            ];
            (paging, order, todo_filter(), search).prop_map(move |(paging, order, filter, s)| {
                let mut variables = paging;
                variables["order"] = order;
                variables["filter"] = filter;
                variables["s"] = Value::from(s);
                json!({ "query": query, "variables": variables })
            })
        },
    )
}
