//! The root fields of a query answer in the order the document selects them, as the GraphQL
//! spec requires (§6.3 "Executing Selection Sets": the result is an ordered map in
//! selection order). async-graphql 7 resolves a query's root fields concurrently and inserts
//! each into the answer as it completes, so two root fields that wait on the database come
//! back in either order from one request to the next. The object types resolve their fields
//! one after another (`#[Object(serial)]`) and keep their order; the root cannot, since
//! async-graphql runs it in parallel whatever the root type says, so its keys are put back
//! in order here, after execution, as the introspection corrections are.

use std::collections::{HashMap, HashSet};

use async_graphql::{
    Name, Positioned, Value, Variables,
    parser::types::{Directive, ExecutableDocument, OperationDefinition, Selection, SelectionSet},
};

use super::operation;

/// The response keys of an operation's root fields, in selection order.
#[derive(Debug, Default)]
pub struct RootOrder(Vec<Name>);

impl RootOrder {
    /// The order of the operation `operation_name` of `document` with `variables`: each
    /// key where its first included occurrence stands (fragments spread in place,
    /// `@skip`/`@include` read as execution reads them).
    pub fn plan(
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Self {
        let Some(operation) = operation::selected(document, operation_name) else {
            return Self::default();
        };
        let mut order = Order {
            document,
            operation,
            variables,
            spread: HashSet::new(),
            keys: Vec::new(),
        };
        order.collect(&operation.selection_set.node);
        Self(order.keys)
    }

    /// Puts `data`'s root keys in order; keys it does not know keep their place after them.
    pub fn apply(&self, data: &mut Value) {
        let Value::Object(answer) = data else {
            return;
        };
        if answer.len() < 2 {
            return;
        }
        let place: HashMap<&Name, usize> =
            self.0.iter().enumerate().map(|(n, key)| (key, n)).collect();
        answer.sort_by(|a, _, b, _| {
            let at = |key| place.get(key).copied().unwrap_or(usize::MAX);
            at(a).cmp(&at(b))
        });
    }
}

/// A walk over the root selection, collecting keys.
struct Order<'a> {
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    variables: &'a Variables,
    /// Fragments spread so far: each once, so that a cycle (refused by validation, which
    /// runs after this) cannot loop.
    spread: HashSet<&'a str>,
    keys: Vec<Name>,
}

impl<'a> Order<'a> {
    fn collect(&mut self, set: &'a SelectionSet) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.clone();
                    if self.included(&field.node.directives) && !self.keys.contains(&key) {
                        self.keys.push(key);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    if self.included(&fragment.node.directives) {
                        self.collect(&fragment.node.selection_set.node);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if self.included(&spread.node.directives)
                        && self.spread.insert(name)
                        && let Some(fragment) = self.document.fragments.get(name)
                    {
                        self.collect(&fragment.node.selection_set.node);
                    }
                }
            }
        }
    }

    /// Whether `directives` let a selection through; a condition that cannot be read
    /// (execution will refuse it) counts as letting it through.
    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().all(|directive| {
            let condition = || -> Option<bool> {
                let value = directive.node.get_argument("if")?.node.clone();
                match value
                    .into_const_with(|name| self.variable(&name).ok_or(()))
                    .ok()?
                {
                    Value::Boolean(value) => Some(value),
                    _ => None,
                }
            };
            match directive.node.name.node.as_str() {
                "skip" => !condition().unwrap_or(false),
                "include" => condition().unwrap_or(true),
                _ => true,
            }
        })
    }

    /// A variable's value, or its definition's default.
    fn variable(&self, name: &Name) -> Option<Value> {
        self.variables.get(name).cloned().or_else(|| {
            self.operation
                .variable_definitions
                .iter()
                .find(|definition| definition.node.name.node == *name)?
                .node
                .default_value()
                .cloned()
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]
mod tests {
    use async_graphql::indexmap::IndexMap;

    use super::*;

    #[test]
    fn root_keys_follow_the_document() {
        let document = async_graphql::parser::parse_query(
            "query Q($no: Boolean = false) { a: users @include(if: $no) { y } \
             b: tags { x } ...F @skip(if: false) a: users { y } } \
             fragment F on Query { c: viewer { z } }",
        )
        .expect("a document");
        let order = RootOrder::plan(&document, None, &Variables::default());
        let mut answer = IndexMap::new();
        for key in ["a", "c", "b"] {
            answer.insert(Name::new(key), Value::Null);
        }
        let mut data = Value::Object(answer);
        order.apply(&mut data);
        let Value::Object(answer) = data else {
            panic!("an object");
        };
        let keys: Vec<&str> = answer.keys().map(Name::as_str).collect();
        assert_eq!(keys, ["b", "c", "a"]);
    }
}
