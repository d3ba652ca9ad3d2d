//! Introspection that tells clients what schema.graphql says. async-graphql 7 answers two
//! things no SDL of this schema holds, and that graphql-js (and so every client tool built
//! on it) shows: `__schema { description }` is the text describing the `__Schema` type
//! itself, which it hard-codes, and `__schema { types }` lists every built-in scalar, `Float`
//! included, although the GraphQL spec (§4.2.1 "Built-in Scalars") lists only those the
//! schema references. Neither has a setting, so the answer is corrected here: the schema
//! has no description (null), and an unused built-in scalar is left out of `types` and is
//! null as `__type(name:)`.
//!
//! Done on the response rather than in an async-graphql extension, which would put every
//! field of every response through the extension chain (see `executor`); a request that
//! selects neither `__schema` nor `__type` costs one look at its root fields.

use std::collections::HashSet;

use async_graphql::{
    Name, Value, Variables,
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
    registry::Registry,
};

/// The built-in scalars a schema may leave unused; `String` and `Boolean` are always used,
/// by the introspection types themselves.
const OPTIONAL_SCALARS: [&str; 3] = ["Int", "Float", "ID"];

/// The built-in scalars that no type of `registry` (the schema's own, without the
/// introspection types) references.
pub fn unused_scalars(registry: &Registry) -> Vec<&'static str> {
    OPTIONAL_SCALARS
        .into_iter()
        .filter(|name| !registry.types.contains_key(*name))
        .collect()
}

/// What to correct in one response, found in its document before it runs.
#[derive(Debug, Default)]
pub struct Corrections {
    /// Response paths to set to null.
    nulls: Vec<Vec<Name>>,
    /// Lists of `__Type`s (response path, and the response keys of their `name`) to rid of
    /// the unused scalars.
    type_lists: Vec<(Vec<Name>, Vec<Name>)>,
}

impl Corrections {
    /// The corrections the operation `operation_name` of `document` needs, with
    /// `unused` the schema's unused built-in scalars (see [`unused_scalars`]).
    pub fn plan(
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
        unused: &[&str],
    ) -> Self {
        let mut corrections = Self::default();
        let operation = match (&document.operations, operation_name) {
            (DocumentOperations::Single(operation), _) => operation,
            (DocumentOperations::Multiple(operations), Some(name)) => match operations.get(name) {
                Some(operation) => operation,
                None => return corrections,
            },
            // No operation to choose: async-graphql answers with an error.
            (DocumentOperations::Multiple(_), None) => return corrections,
        };
        for (key, field) in fields(document, &operation.node.selection_set.node) {
            match field.name.node.as_str() {
                "__schema" => {
                    let set = &field.selection_set.node;
                    for (inner, schema_field) in fields(document, set) {
                        match schema_field.name.node.as_str() {
                            "description" => corrections.nulls.push(vec![key.clone(), inner]),
                            "types" => {
                                let names = fields(document, &schema_field.selection_set.node)
                                    .into_iter()
                                    .filter(|(_, f)| f.name.node == "name")
                                    .map(|(name_key, _)| name_key)
                                    .collect();
                                corrections
                                    .type_lists
                                    .push((vec![key.clone(), inner], names));
                            }
                            _ => {}
                        }
                    }
                }
                "__type" => {
                    let named = field.get_argument("name").and_then(|value| {
                        value
                            .node
                            .clone()
                            .into_const_with(|variable| variables.get(&variable).cloned().ok_or(()))
                            .ok()
                    });
                    if let Some(Value::String(name)) = named
                        && unused.contains(&name.as_str())
                    {
                        corrections.nulls.push(vec![key]);
                    }
                }
                _ => {}
            }
        }
        corrections
    }

    /// Corrects `data`, the response's; `unused` as for [`Corrections::plan`]. A path the
    /// response lacks (a field skipped, or an error) is left alone.
    pub fn apply(&self, data: &mut Value, unused: &[&str]) {
        for path in &self.nulls {
            if let Some(value) = at(data, path) {
                *value = Value::Null;
            }
        }
        for (path, name_keys) in &self.type_lists {
            let Some(Value::List(types)) = at(data, path) else {
                continue;
            };
            types.retain(|ty| {
                let Value::Object(fields) = ty else {
                    return true;
                };
                !name_keys.iter().any(|key| {
                    matches!(fields.get(key), Some(Value::String(name)) if unused.contains(&name.as_str()))
                })
            });
        }
    }
}

/// The value at `path` (response keys) in `data`.
fn at<'a>(data: &'a mut Value, path: &[Name]) -> Option<&'a mut Value> {
    path.iter().try_fold(data, |value, key| match value {
        Value::Object(fields) => fields.get_mut(key),
        _ => None,
    })
}

/// The fields of `set` with their response keys, through fragments (each spread once, so
/// that a cycle, which validation refuses later, cannot loop here).
fn fields<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
) -> Vec<(Name, &'a async_graphql::parser::types::Field)> {
    fn collect<'a>(
        document: &'a ExecutableDocument,
        set: &'a SelectionSet,
        spread: &mut HashSet<&'a str>,
        found: &mut Vec<(Name, &'a async_graphql::parser::types::Field)>,
    ) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.clone();
                    found.push((key, &field.node));
                }
                Selection::InlineFragment(fragment) => {
                    collect(document, &fragment.node.selection_set.node, spread, found);
                }
                Selection::FragmentSpread(fragment) => {
                    let name = fragment.node.fragment_name.node.as_str();
                    if spread.insert(name)
                        && let Some(definition) = document.fragments.get(name)
                    {
                        collect(document, &definition.node.selection_set.node, spread, found);
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    collect(document, set, &mut HashSet::new(), &mut found);
    found
}
