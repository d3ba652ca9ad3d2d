//! What an operation asks for, measured on its document before anything runs: nesting
//! depth, aliases, directives, fragment nesting, and its cost.
//!
//! The cost is the number of nodes the operation may return, as GitHub and Shopify count
//! it: a connection field costs its page size (`first` or `last`, else the default page)
//! times the page sizes of the connections above it; other fields pass on what their
//! selection costs, and scalars cost nothing. Every other list is priced by its bound: a
//! list sized by a list argument (`nodes(ids:)`, `createTodos(input:)`) returns one item
//! per item of it, each a node like a page's, so it costs that many times one plus what
//! its items select; a list sized by the data repeats its items' selection as often as it
//! may hold items (`Todo.tags`: the 20 a todo may have; any other: a default page), its
//! items themselves costing nothing, as they come with their parent. A list of nodes that
//! an argument sizes under a cap of its own (`TodoStats.topTags(first:)`, at most 100)
//! costs that size times one plus what its items select, as a page does. An aggregate
//! (`todoStats`) is one node: one plus what it selects. A mutation field
//! costs a fixed amount on top of its selection. So `users(first: 50) { nodes {
//! todos(first: 10) { ... } } }` costs 50 + 50 × 10 = 550, `nodes(ids: [100 ids]) { ... on
//! User { todos(first: 99) { ... } } }` 100 × (1 + 99) = 10,000, and `createTodos(input:
//! [1,000 todos]) { owner { todos(first: 100) { ... } } }` 1,000 × (1 + 100) + 10.
//!
//! Cost counts nodes, not bytes: the response's size is capped while it is built
//! (`response_budget`).
//!
//! Fragments are measured once each and counted where they are used, so a document that
//! spreads fragments into each other is measured in time linear in its size, and the
//! counts are those of the expanded operation the executor would run.

use std::collections::HashMap;

use async_graphql::{
    Name, Number, Variables,
    parser::types::{
        DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType,
        Selection, SelectionSet,
    },
    registry::{MetaField, MetaTypeName, Registry},
};

use async_graphql_value::{ConstValue, Value};

use crate::service::{
    todo::stats::{TOP_TAGS_DEFAULT, TOP_TAGS_MAX},
    validate::TAGS_PER_TODO_MAX,
};

/// Type names ending in this are Relay connections: they cost their page size.
const CONNECTION_SUFFIX: &str = "Connection";

/// Objects of these types are aggregates computed by the database: one node each.
const AGGREGATES: &[&str] = &["TodoStats"];

/// How an operation measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    /// Deepest nesting of fields (introspection's own types not counted: their depth is
    /// bounded by the schema).
    pub depth: usize,
    /// Aliased fields.
    pub aliases: usize,
    /// Directives on the operation, its fields and its fragments.
    pub directives: usize,
    /// Deepest nesting of fragment spreads.
    pub fragment_depth: usize,
    /// Fields selected, fragments counted where they are spread.
    pub fields: usize,
    /// Nodes the operation may return (see the module docs).
    pub cost: u64,
    /// Whether it asks for the schema (`__schema` or `__type`).
    pub introspection: bool,
}

/// What the cost of a document depends on besides the document.
pub struct Pricing<'a> {
    /// The schema's types, to tell connections from other fields.
    pub registry: &'a Registry,
    /// The request's variables, for page sizes given as variables.
    pub variables: &'a Variables,
    /// Page size of a connection with neither `first` nor `last`.
    pub default_page: u64,
    /// What each mutation field costs on top of its selection.
    pub mutation_cost: u64,
}

/// Measures the operation that `operation_name` selects; `None` when no operation can be
/// chosen (async-graphql then reports why).
pub fn measure(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    pricing: &Pricing<'_>,
) -> Option<Measure> {
    let operation = select_operation(document, operation_name)?;
    let registry = pricing.registry;
    let root_type = match operation.ty {
        OperationType::Query => Some(registry.query_type.as_str()),
        OperationType::Mutation => registry.mutation_type.as_deref(),
        OperationType::Subscription => registry.subscription_type.as_deref(),
    }?;
    let mut walker = Walker {
        document,
        operation,
        pricing,
        fragments: HashMap::new(),
        visiting: Vec::new(),
    };
    let mut measure = walker.selection_set(
        &operation.selection_set.node,
        root_type,
        operation.ty == OperationType::Mutation,
    );
    measure.directives = measure
        .directives
        .saturating_add(operation.directives.len());
    Some(measure)
}

/// The operation `operation_name` selects, as async-graphql selects it.
pub fn select_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), None) => Some(&operation.node),
        (DocumentOperations::Single(operation), Some(_)) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        _ => None,
    }
}

struct Walker<'a> {
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    pricing: &'a Pricing<'a>,
    /// Each fragment measured once (its type condition fixes its parent type).
    fragments: HashMap<&'a Name, Measure>,
    /// Fragments being measured: a spread of one of them is a cycle, which validation
    /// refuses; it measures as nothing here.
    visiting: Vec<&'a Name>,
}

impl<'a> Walker<'a> {
    /// The fields of `set` on `parent_type`, summed; `is_mutation_root` prices the fields
    /// of a mutation's root.
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        parent_type: &str,
        is_mutation_root: bool,
    ) -> Measure {
        let mut total = Measure::default();
        for selection in &set.items {
            let part = match &selection.node {
                Selection::Field(field) => self.field(&field.node, parent_type, is_mutation_root),
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let ty = fragment
                        .type_condition
                        .as_ref()
                        .map_or(parent_type, |condition| condition.node.on.node.as_str());
                    let mut part =
                        self.selection_set(&fragment.selection_set.node, ty, is_mutation_root);
                    part.directives = part.directives.saturating_add(fragment.directives.len());
                    part
                }
                Selection::FragmentSpread(spread) => {
                    let mut part = self.fragment(&spread.node.fragment_name.node);
                    part.fragment_depth = part.fragment_depth.saturating_add(1);
                    part.directives = part.directives.saturating_add(spread.node.directives.len());
                    part
                }
            };
            total = total.beside(part);
        }
        total
    }

    fn fragment(&mut self, name: &'a Name) -> Measure {
        if let Some(measured) = self.fragments.get(name) {
            return *measured;
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Measure::default();
        };
        if self.visiting.contains(&name) {
            return Measure::default();
        }
        self.visiting.push(name);
        let fragment = &fragment.node;
        let on = fragment.type_condition.node.on.node.as_str();
        // Only the mutation root has the Mutation type: a fragment on it holds root fields,
        // each priced as a mutation.
        let on_mutation_root = self.pricing.registry.mutation_type.as_deref() == Some(on);
        let mut measured = self.selection_set(&fragment.selection_set.node, on, on_mutation_root);
        measured.directives = measured
            .directives
            .saturating_add(fragment.directives.len());
        self.visiting.pop();
        self.fragments.insert(name, measured);
        measured
    }

    fn field(&mut self, field: &'a Field, parent_type: &str, is_mutation_root: bool) -> Measure {
        let name = field.name.node.as_str();
        let meta_field = self
            .pricing
            .registry
            .types
            .get(parent_type)
            .and_then(|ty| ty.field_by_name(name));
        // Unknown fields fail validation; introspection's types are not in the pricing.
        let field_type = meta_field.map(|meta| MetaTypeName::concrete_typename(&meta.ty));
        let mut measure = match field_type {
            Some(ty) if !field.selection_set.node.items.is_empty() => {
                self.selection_set(&field.selection_set.node, ty, false)
            }
            _ => Measure::default(),
        };
        measure.introspection |= matches!(name, "__schema" | "__type");
        let introspection = name.starts_with("__") || parent_type.starts_with("__");
        if !field.selection_set.node.items.is_empty() && !introspection {
            measure.depth = measure.depth.saturating_add(1);
        } else if !introspection {
            measure.depth = measure.depth.max(1);
        }
        measure.fields = measure.fields.saturating_add(1);
        if field.alias.is_some() {
            measure.aliases = measure.aliases.saturating_add(1);
        }
        measure.directives = measure.directives.saturating_add(field.directives.len());
        if field_type.is_some_and(|ty| ty.ends_with(CONNECTION_SUFFIX)) {
            let page = self.page_size(field);
            measure.cost = page.saturating_mul(measure.cost.saturating_add(1));
        } else if let Some((default, max)) = sized_list(parent_type, name) {
            let size = self
                .argument_size(field, "first")
                .unwrap_or(default)
                .min(max);
            measure.cost = size.saturating_mul(measure.cost.saturating_add(1));
        } else if let Some(meta) = meta_field.filter(|meta| is_list(&meta.ty))
            && !parent_type.ends_with(CONNECTION_SUFFIX)
        {
            // A connection's `edges` and `nodes` are its page, priced above.
            measure.cost = match self.list_length(field, meta) {
                Some(items) => items.saturating_mul(measure.cost.saturating_add(1)),
                None => list_cap(parent_type, name)
                    .unwrap_or(self.pricing.default_page)
                    .saturating_mul(measure.cost),
            };
        }
        if field_type.is_some_and(|ty| AGGREGATES.contains(&ty)) {
            measure.cost = measure.cost.saturating_add(1);
        }
        if is_mutation_root {
            measure.cost = measure.cost.saturating_add(self.pricing.mutation_cost);
        }
        measure
    }

    /// The page a connection field asks for: `first`, else `last`, else the default.
    /// Negative sizes are refused by the resolver; here they cost nothing.
    fn page_size(&self, field: &Field) -> u64 {
        ["first", "last"]
            .iter()
            .find_map(|name| self.argument_size(field, name))
            .unwrap_or(self.pricing.default_page)
    }

    /// The size an argument asks for, written or in a variable; `None` when absent or not
    /// a number.
    fn argument_size(&self, field: &Field, name: &str) -> Option<u64> {
        match &field.get_argument(name)?.node {
            Value::Number(number) => Some(number_as_page(number)),
            Value::Variable(variable) => match self.variable(variable)? {
                ConstValue::Number(number) => Some(number_as_page(number)),
                _ => None,
            },
            _ => None,
        }
    }

    /// How many items a list field sized by a list argument returns: one per item of the
    /// argument (a single value stands for a list of one); the default page when the
    /// argument's variable is missing (validation then refuses it). `None` for a list
    /// sized by the data.
    fn list_length(&self, field: &Field, meta: &MetaField) -> Option<u64> {
        let (_, value) = field.arguments.iter().find(|(name, _)| {
            meta.args
                .get(name.node.as_str())
                .is_some_and(|argument| is_list(&argument.ty))
        })?;
        let length = match &value.node {
            Value::List(items) => items.len(),
            Value::Variable(variable) => match self.variable(variable) {
                Some(ConstValue::List(items)) => items.len(),
                Some(_) => 1,
                None => return Some(self.pricing.default_page),
            },
            _ => 1,
        };
        Some(u64::try_from(length).unwrap_or(u64::MAX))
    }

    /// A variable's value, read where it is (never copied: one may be used thousands of
    /// times): the request's, else the operation's default.
    fn variable(&self, name: &Name) -> Option<&'a ConstValue> {
        self.pricing.variables.get(name).or_else(|| {
            self.operation
                .variable_definitions
                .iter()
                .find(|definition| &definition.node.name.node == name)
                .and_then(|definition| definition.node.default_value.as_ref())
                .map(|default| &default.node)
        })
    }
}

/// The most items a list sized by the data may hold, where it has a cap of its own.
fn list_cap(parent_type: &str, field: &str) -> Option<u64> {
    match (parent_type, field) {
        ("Todo", "tags") => u64::try_from(TAGS_PER_TODO_MAX).ok(),
        // One entry per priority.
        ("TodoStats", "byPriority") => Some(3),
        _ => None,
    }
}

/// The lists of nodes that `first` sizes outside connections: their default size and cap
/// (a larger `first` is refused by the resolver; here it costs the cap).
fn sized_list(parent_type: &str, field: &str) -> Option<(u64, u64)> {
    match (parent_type, field) {
        ("TodoStats", "topTags") => Some((
            u64::try_from(TOP_TAGS_DEFAULT).ok()?,
            u64::try_from(TOP_TAGS_MAX).ok()?,
        )),
        _ => None,
    }
}

/// Whether a field's type (`[Todo!]!`, `[Node]`) is a list.
fn is_list(ty: &str) -> bool {
    match MetaTypeName::create(ty) {
        MetaTypeName::NonNull(inner) => is_list(inner),
        MetaTypeName::List(_) => true,
        MetaTypeName::Named(_) => false,
    }
}

fn number_as_page(number: &Number) -> u64 {
    number
        .as_u64()
        .or_else(|| number.as_f64().map(|float| float.max(0.0) as u64))
        .unwrap_or(0)
}

impl Measure {
    /// Two sibling selections: their costs add up, the rest is the deeper or the sum.
    fn beside(self, other: Self) -> Self {
        Self {
            depth: self.depth.max(other.depth),
            aliases: self.aliases.saturating_add(other.aliases),
            directives: self.directives.saturating_add(other.directives),
            fragment_depth: self.fragment_depth.max(other.fragment_depth),
            fields: self.fields.saturating_add(other.fields),
            cost: self.cost.saturating_add(other.cost),
            introspection: self.introspection || other.introspection,
        }
    }
}
