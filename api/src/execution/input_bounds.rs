//! The most every input may hold, checked on the document and its variables before
//! validation, so that no list or string past its maximum is ever copied, validated or
//! parsed into arguments.
//!
//! Every list in an argument or input field has a maximum number of items, and every string
//! (`String`, `ID`, `DateTime`) a maximum number of characters, listed in [`bound_of`] and
//! written in the schema's descriptions (a test holds the two together). One over is
//! BAD_USER_INPUT with `extensions.field` naming the argument or input field. The services
//! still apply their own rules (a title of 1 to 200 characters after trimming, at most 20
//! distinct tags per todo, ...); this check only makes sure that what they are handed is
//! small, before any of it is copied.
//!
//! The walk reads values where they are, in the document or in the request's variables
//! (a variable used many times is read, never cloned), and follows the schema's input
//! types, never the value's own nesting: a value nested deeper than its type is left to
//! validation.

use std::collections::HashSet;

use async_graphql::{
    Name, ServerError, Variables,
    indexmap::IndexMap,
    parser::types::{ExecutableDocument, Field, OperationDefinition, OperationType, Selection},
    registry::{MetaInputValue, MetaType, MetaTypeName, Registry},
};

use async_graphql_value::{ConstValue, Value};

use super::{cost::select_operation, error_codes::server_error};
use crate::{error::Error, service::validate as v};

/// What an input may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// The name the error gives in `extensions.field`.
    pub field: &'static str,
    /// Most items of a list.
    pub items: Option<usize>,
    /// Most characters of a string (of each item, for a list of strings).
    pub chars: Option<usize>,
    /// Whether the characters are counted after trimming, as the service counts them.
    pub trimmed: bool,
}

impl Bound {
    const fn text(field: &'static str, chars: usize, trimmed: bool) -> Self {
        Self {
            field,
            items: None,
            chars: Some(chars),
            trimmed,
        }
    }

    const fn list(field: &'static str, items: usize, chars: Option<usize>) -> Self {
        Self {
            field,
            items: Some(items),
            chars,
            trimmed: true,
        }
    }
}

/// The bound of argument or input field `name` of `owner` (an input type, or
/// `Type.field` for an argument); `max_ids` is the most IDs `nodes` takes.
pub fn bound_of(owner: &str, name: &str, max_ids: usize) -> Option<Bound> {
    use Bound as B;
    let tag_names = B::list("tags", v::TAG_NAMES_MAX, Some(v::TAG_NAME_MAX_CHARS));
    Some(match (owner, name) {
        (_, "after") => B::text("after", v::CURSOR_MAX_CHARS, false),
        (_, "before") => B::text("before", v::CURSOR_MAX_CHARS, false),
        (_, "id") => B::text("id", v::ID_MAX_CHARS, false),
        (_, "toUserId") => B::text("toUserId", v::ID_MAX_CHARS, false),
        (_, "dueDate") => B::text("dueDate", v::DATE_TIME_MAX_CHARS, false),
        (_, "dueBefore") => B::text("dueBefore", v::DATE_TIME_MAX_CHARS, false),
        (_, "dueAfter") => B::text("dueAfter", v::DATE_TIME_MAX_CHARS, false),
        ("Query.nodes", "ids") => B::list("ids", max_ids, Some(v::ID_MAX_CHARS)),
        ("Query.users" | "Query.tags" | "TodoFilter", "search") => {
            B::text("search", v::SEARCH_MAX_CHARS, false)
        }
        ("Query.user", "username") => B::text("username", v::USERNAME_CHARS_MAX, true),
        ("Query.tag", "name") => B::text("name", v::TAG_NAME_MAX_CHARS, true),
        ("Mutation.createTodos", "input") => B::list("input", v::TODOS_PER_CALL_MAX, None),
        ("Mutation.setTodoTags" | "CreateTodoInput", "tags") => tag_names,
        ("CreateTodoInput" | "UpdateTodoInput", "title") => {
            B::text("title", v::TITLE_MAX_CHARS, true)
        }
        ("CreateTodoInput" | "UpdateTodoInput", "description") => {
            B::text("description", v::DESCRIPTION_MAX_CHARS, false)
        }
        ("TodoFilter", "priority") => B::list("priority", v::FILTER_PRIORITIES_MAX, None),
        ("TodoFilter", "tags") => B::list("tags", v::FILTER_TAGS_MAX, Some(v::TAG_NAME_MAX_CHARS)),
        ("CreateTagInput" | "UpdateTagInput", "name") => {
            B::text("name", v::TAG_NAME_MAX_CHARS, true)
        }
        ("CreateTagInput" | "UpdateTagInput", "color") => {
            B::text("color", v::COLOR_MAX_CHARS, true)
        }
        ("SignUpInput", "email") => B::text("email", v::EMAIL_MAX_CHARS, true),
        ("SignUpInput" | "UpdateProfileInput", "username") => {
            B::text("username", v::USERNAME_CHARS_MAX, true)
        }
        ("SignUpInput" | "LogInInput", "password") => {
            B::text("password", v::PASSWORD_MAX_CHARS, false)
        }
        ("LogInInput", "login") => B::text("login", v::LOGIN_MAX_CHARS, true),
        ("UpdateProfileInput", "avatarUrl") => B::text("avatarUrl", v::URL_MAX_CHARS, true),
        ("UpdateProfileInput", "bio") => B::text("bio", v::BIO_MAX_CHARS, true),
        _ => return None,
    })
}

/// Checks every argument of the operation that `operation_name` selects against its
/// bound; nothing to check when no operation can be chosen (validation says why). The
/// document's selection sets must already be known to nest at most a few dozen levels
/// (the admission's recursion check).
pub fn check(
    registry: &Registry,
    max_ids: usize,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Result<(), ServerError> {
    let Some(operation) = select_operation(document, operation_name) else {
        return Ok(());
    };
    let root = match operation.ty {
        OperationType::Query => Some(registry.query_type.as_str()),
        OperationType::Mutation => registry.mutation_type.as_deref(),
        OperationType::Subscription => registry.subscription_type.as_deref(),
    };
    let Some(root) = root else {
        return Ok(());
    };
    let mut walk = Walk {
        registry,
        max_ids,
        document,
        operation,
        variables,
        fragments: HashSet::new(),
    };
    walk.selection_set(&operation.selection_set.node, root)
        .map_err(|error| server_error(&error))
}

struct Walk<'a> {
    registry: &'a Registry,
    max_ids: usize,
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    variables: &'a Variables,
    /// Fragments already checked: each is checked once, however often it is spread.
    fragments: HashSet<&'a Name>,
}

/// Input types nest at most this deep in our schema (a filter in a list in an input...);
/// deeper values are not ours to check.
const INPUT_DEPTH: usize = 8;

impl<'a> Walk<'a> {
    fn selection_set(
        &mut self,
        set: &'a async_graphql::parser::types::SelectionSet,
        parent: &str,
    ) -> Result<(), Error> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => self.field(&field.node, parent)?,
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let on = fragment
                        .type_condition
                        .as_ref()
                        .map_or(parent, |condition| condition.node.on.node.as_str());
                    self.selection_set(&fragment.selection_set.node, on)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if !self.fragments.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name) {
                        let fragment = &fragment.node;
                        let on = fragment.type_condition.node.on.node.as_str();
                        self.selection_set(&fragment.selection_set.node, on)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn field(&mut self, field: &'a Field, parent: &str) -> Result<(), Error> {
        let name = field.name.node.as_str();
        // Unknown fields and arguments fail validation; introspection's are not priced.
        let Some(meta) = self
            .registry
            .types
            .get(parent)
            .and_then(|ty| ty.field_by_name(name))
        else {
            return Ok(());
        };
        if !field.arguments.is_empty() {
            let owner = format!("{parent}.{name}");
            for (argument, value) in &field.arguments {
                let argument = argument.node.as_str();
                if let Some(input) = meta.args.get(argument) {
                    let bound = bound_of(&owner, argument, self.max_ids);
                    self.value(Input::Doc(&value.node), &input.ty, bound, 0)?;
                }
            }
        }
        if !field.selection_set.node.items.is_empty() {
            let ty = MetaTypeName::concrete_typename(&meta.ty);
            self.selection_set(&field.selection_set.node, ty)?;
        }
        Ok(())
    }

    /// Checks `value`, of GraphQL type `ty`, against `bound` and, for input objects, each of
    /// its fields against theirs.
    fn value(
        &self,
        value: Input<'a>,
        ty: &str,
        bound: Option<Bound>,
        depth: usize,
    ) -> Result<(), Error> {
        let Some(value) = self.resolve(value) else {
            return Ok(());
        };
        match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => self.value(value, inner, bound, depth),
            MetaTypeName::List(item_type) => {
                let Some(items) = value.items() else {
                    // A single value where a list is expected stands for a list of one.
                    return self.value(value, item_type, bound, depth);
                };
                if let Some(Bound {
                    field,
                    items: Some(max),
                    ..
                }) = bound
                    && items.len() > max
                {
                    return Err(Error::invalid(
                        field,
                        format!(
                            "{field} takes at most {max} items; {} were given.",
                            items.len()
                        ),
                    ));
                }
                let item_bound = bound.map(|bound| Bound {
                    items: None,
                    ..bound
                });
                for item in items.iter() {
                    self.value(item, item_type, item_bound, depth)?;
                }
                Ok(())
            }
            MetaTypeName::Named(name) => match self.registry.types.get(name) {
                Some(MetaType::InputObject { input_fields, .. }) if depth < INPUT_DEPTH => {
                    self.object(value, name, input_fields, depth + 1)
                }
                Some(MetaType::Scalar { .. }) => match (value.as_str(), bound) {
                    (
                        Some(text),
                        Some(Bound {
                            field,
                            chars: Some(max),
                            trimmed,
                            ..
                        }),
                    ) => {
                        let text = if trimmed { text.trim() } else { text };
                        // Characters never outnumber bytes: most strings need no count.
                        if text.len() > max && text.chars().count() > max {
                            return Err(Error::invalid(
                                field,
                                format!("{field} has at most {max} characters."),
                            ));
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                },
                _ => Ok(()),
            },
        }
    }

    fn object(
        &self,
        value: Input<'a>,
        type_name: &str,
        input_fields: &IndexMap<String, MetaInputValue>,
        depth: usize,
    ) -> Result<(), Error> {
        match value {
            Input::Doc(Value::Object(fields)) => {
                for (name, value) in fields {
                    if let Some(meta) = input_fields.get(name.as_str()) {
                        let bound = bound_of(type_name, name, self.max_ids);
                        self.value(Input::Doc(value), &meta.ty, bound, depth)?;
                    }
                }
                Ok(())
            }
            Input::Const(ConstValue::Object(fields)) => {
                for (name, value) in fields {
                    if let Some(meta) = input_fields.get(name.as_str()) {
                        let bound = bound_of(type_name, name, self.max_ids);
                        self.value(Input::Const(value), &meta.ty, bound, depth)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A variable's value (the request's, else its default); `None` for an absent one.
    fn resolve(&self, value: Input<'a>) -> Option<Input<'a>> {
        let Input::Doc(Value::Variable(name)) = value else {
            return Some(value);
        };
        if let Some(value) = self.variables.get(name) {
            return Some(Input::Const(value));
        }
        self.operation
            .variable_definitions
            .iter()
            .find(|definition| &definition.node.name.node == name)
            .and_then(|definition| definition.node.default_value.as_ref())
            .map(|default| Input::Const(&default.node))
    }
}

/// An input value where it is: in the document (possibly a variable) or in the variables.
#[derive(Clone, Copy)]
enum Input<'a> {
    Doc(&'a Value),
    Const(&'a ConstValue),
}

/// The items of a list value, wherever it is.
enum Items<'a> {
    Doc(&'a [Value]),
    Const(&'a [ConstValue]),
}

impl<'a> Items<'a> {
    fn len(&self) -> usize {
        match self {
            Self::Doc(items) => items.len(),
            Self::Const(items) => items.len(),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = Input<'a>> + 'a> {
        match *self {
            Self::Doc(items) => Box::new(items.iter().map(Input::Doc)),
            Self::Const(items) => Box::new(items.iter().map(Input::Const)),
        }
    }
}

impl<'a> Input<'a> {
    fn items(self) -> Option<Items<'a>> {
        match self {
            Self::Doc(Value::List(items)) => Some(Items::Doc(items)),
            Self::Const(ConstValue::List(items)) => Some(Items::Const(items)),
            _ => None,
        }
    }

    fn as_str(self) -> Option<&'a str> {
        match self {
            Self::Doc(Value::String(text)) => Some(text),
            Self::Const(ConstValue::String(text)) => Some(text),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]
mod tests {
    use super::*;

    /// The server's own schema: these tests hold its inputs to the bounds.
    fn pricing_registry() -> Registry {
        crate::schema::pricing_registry()
    }

    /// `10000` as the schema's descriptions write it: `10,000`.
    fn thousands(n: usize) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(digit);
        }
        out
    }

    /// Whether `ty` is (a list of) a string-like scalar, and whether it is a list.
    fn shape(ty: &str) -> (bool, bool) {
        match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => shape(inner),
            MetaTypeName::List(inner) => (shape(inner).0, true),
            MetaTypeName::Named(name) => (matches!(name, "String" | "ID" | "DateTime"), false),
        }
    }

    /// The types clients reach from the roots (the registry also holds the parts that the
    /// roots are merged from).
    fn reachable(registry: &Registry) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        let mut queue: Vec<String> = [
            Some(registry.query_type.clone()),
            registry.mutation_type.clone(),
            registry.subscription_type.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        while let Some(name) = queue.pop() {
            if name.starts_with("__") || seen.contains(&name) {
                continue;
            }
            let Some(ty) = registry.types.get(&name) else {
                continue;
            };
            seen.push(name);
            let mut next: Vec<&str> = Vec::new();
            for field in ty.fields().into_iter().flatten().map(|(_, field)| field) {
                next.push(MetaTypeName::concrete_typename(&field.ty));
                for argument in field.args.values() {
                    next.push(MetaTypeName::concrete_typename(&argument.ty));
                }
            }
            match ty {
                MetaType::InputObject { input_fields, .. } => {
                    for input in input_fields.values() {
                        next.push(MetaTypeName::concrete_typename(&input.ty));
                    }
                }
                MetaType::Interface { possible_types, .. }
                | MetaType::Union { possible_types, .. } => {
                    next.extend(possible_types.iter().map(String::as_str));
                }
                _ => {}
            }
            queue.extend(next.into_iter().map(str::to_owned));
        }
        seen
    }

    /// Every list and every string a client can send has a bound, and the schema says what
    /// it is where the client reads (IDs, cursors and dates excepted: the `Node`, edge
    /// `cursor` and `DateTime` descriptions say theirs once for all).
    #[test]
    fn every_list_and_string_input_is_bounded_and_documented() {
        let registry = pricing_registry();
        let mut inputs = Vec::new();
        for type_name in reachable(&registry) {
            let Some(ty) = registry.types.get(&type_name) else {
                continue;
            };
            if let MetaType::InputObject { input_fields, .. } = ty {
                for (name, input) in input_fields {
                    inputs.push((type_name.clone(), name.clone(), input, None));
                }
            }
            for (field_name, field) in ty.fields().into_iter().flatten() {
                if field_name.starts_with("__") {
                    continue;
                }
                for (name, input) in &field.args {
                    let owner = format!("{type_name}.{field_name}");
                    inputs.push((owner, name.clone(), input, field.description.clone()));
                }
            }
        }
        let mut unbounded = Vec::new();
        for (owner, name, input, field_doc) in inputs {
            let (stringy, list) = shape(&input.ty);
            if !stringy && !list {
                continue;
            }
            let Some(bound) = bound_of(&owner, &name, 100) else {
                unbounded.push(format!("{owner}.{name}"));
                continue;
            };
            assert!(
                !list || bound.items.is_some(),
                "{owner}.{name}: no item count"
            );
            assert!(
                !stringy || bound.chars.is_some(),
                "{owner}.{name}: no length"
            );
            let said_elsewhere = matches!(name.as_str(), "after" | "before" | "ids")
                || MetaTypeName::concrete_typename(&input.ty) != "String" && !list;
            if said_elsewhere {
                continue;
            }
            let doc = format!(
                "{} {}",
                input.description.as_deref().unwrap_or_default(),
                field_doc.as_deref().unwrap_or_default()
            );
            for number in [bound.items, bound.chars].into_iter().flatten() {
                assert!(
                    doc.contains(&thousands(number)),
                    "{owner}.{name}: its description does not say {}: {doc:?}",
                    thousands(number)
                );
            }
        }
        assert!(unbounded.is_empty(), "no bound for {unbounded:?}");
    }

    fn checked(query: &str, variables: serde_json::Value) -> Result<(), ServerError> {
        let registry = pricing_registry();
        let document = async_graphql::parser::parse_query(query).expect("a valid document");
        let variables = Variables::from_json(variables);
        check(&registry, 100, &document, None, &variables)
    }

    fn field_of(result: Result<(), ServerError>) -> Option<String> {
        let error = result.err()?;
        let extensions = error.extensions?;
        match extensions.get("field") {
            Some(ConstValue::String(field)) => Some(field.clone()),
            _ => None,
        }
    }

    #[test]
    fn lists_and_strings_past_their_bound_are_refused_from_literals_and_variables() {
        let tags = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
        let create = "mutation($i: CreateTodoInput!) { createTodo(input: $i) { id } }";
        assert!(
            checked(
                create,
                serde_json::json!({ "i": { "title": "x", "tags": tags(100) } })
            )
            .is_ok()
        );
        assert_eq!(
            field_of(checked(
                create,
                serde_json::json!({ "i": { "title": "x", "tags": tags(101) } })
            )),
            Some("tags".into())
        );
        let search = "x".repeat(201);
        let literal = format!(r#"{{ todos(filter: {{ search: "{search}" }}) {{ totalCount }} }}"#);
        assert_eq!(
            field_of(checked(&literal, serde_json::json!({}))),
            Some("search".into())
        );
        // Through a fragment, a default value and a variable inside a literal list.
        let nested = "query($t: String = \"".to_owned()
            + &"y".repeat(51)
            + "\") { ...F } fragment F on Query { todos(filter: { tags: [\"a\", $t] }) { totalCount } }";
        assert_eq!(
            field_of(checked(&nested, serde_json::json!({}))),
            Some("tags".into())
        );
        // Trimmed where the service trims.
        let padded = format!("  {}  ", "z".repeat(200));
        assert!(checked(create, serde_json::json!({ "i": { "title": padded } })).is_ok());
    }
}
