//! What tests read from a connection of todos: a selection of the titles and page
//! boundaries, and the titles in list order.

use serde_json::{Value, json};

/// A connection's selection: its total, its todos' titles and whether there are pages on
/// either side.
pub const TITLES_PAGE: &str = "totalCount nodes { title } pageInfo { hasNextPage hasPreviousPage }";

/// An empty connection as [`TITLES_PAGE`] selects it.
pub fn empty_titles_page() -> Value {
    json!({ "totalCount": 0, "nodes": [],
        "pageInfo": { "hasNextPage": false, "hasPreviousPage": false } })
}

/// The titles of a connection's `nodes`, in order.
pub fn titles(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes: {connection}"))
        .iter()
        .map(|n| {
            n["title"]
                .as_str()
                .unwrap_or_else(|| panic!("a node without a title: {n}"))
                .to_owned()
        })
        .collect()
}
