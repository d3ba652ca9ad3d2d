//! Which operation of a document a request runs, as async-graphql chooses it: the one named
//! by `operationName`, or the document's only one when no name is given.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};

/// The operation `operation_name` selects in `document`; `None` where async-graphql answers
/// "Unknown operation" (a name for a document of one unnamed operation, a name it does not
/// have, no name for a document of several).
pub fn selected<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), None) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        _ => None,
    }
}
