//! An operation's plan: its selections, flattened (fragments merged into their parents,
//! aliases resolved to response keys) into one tree of the fields the compiled path knows,
//! with the directives and arguments kept as written, to be read against each request's
//! variables. `None` wherever the document steps outside what the plan can say: the
//! generic path answers those.

use std::collections::HashMap;

use async_graphql::{
    Name, Positioned,
    parser::types::{
        Directive, ExecutableDocument, Field, FragmentDefinition, OperationType, Selection,
        SelectionSet, VariableDefinition,
    },
};
use async_graphql_value::Value;

/// The most fragments inside fragments the plan follows (the limits allow 8).
const FRAGMENT_DEPTH_MAX: usize = 8;

/// One query operation of a document, planned.
#[derive(Debug)]
pub struct Plan {
    /// The operation's variables, for their defaults.
    pub variables: Vec<VariableDefinition>,
    /// The root fields.
    pub root: Fields<RootField>,
    /// How many data slots the fetch fills (see [`Slot`]).
    pub slots: usize,
    /// The size of its last response, to size the next one's buffer: responses to one
    /// operation are alike, and growing a buffer of 100 KB copies it several times.
    pub last_size: std::sync::atomic::AtomicUsize,
}

/// Where the rows of one field of the plan are kept while the response is written: every
/// list field is fetched once for all of its parents, like a DataLoader batch.
pub type Slot = usize;

/// A field's arguments as written (literals, variables), read per request.
pub type Arguments = Vec<(Name, Value)>;

/// A selection set: the fields in response order, each once.
#[derive(Debug)]
pub struct Fields<K>(pub Vec<PlannedField<K>>);

/// One field of a selection set.
#[derive(Debug)]
pub struct PlannedField<K> {
    /// `"key":`, ready to write.
    pub key: Box<str>,
    /// Its `@include`/`@skip` directives and those of the fragments around it: all must let
    /// it through.
    pub conditions: Vec<Condition>,
    /// What it is.
    pub kind: K,
}

/// `@include(if:)` (true) or `@skip(if:)` (false), with its argument as written.
#[derive(Debug, Clone)]
pub struct Condition {
    /// Whether the field is included when the argument is true.
    pub include: bool,
    /// The `if:` argument.
    pub value: Value,
}

/// A field of `Query`.
#[derive(Debug)]
pub enum RootField {
    /// `__typename`.
    Typename,
    /// `users(first, after, last, before, search)`.
    Users {
        /// Its arguments.
        arguments: Arguments,
        /// Where its page is kept.
        slot: Slot,
        /// Its selection.
        connection: Connection<UserField>,
    },
    /// `user(username:)`.
    User {
        /// Its arguments.
        arguments: Arguments,
        /// Where its row is kept.
        slot: Slot,
        /// Its selection.
        fields: Fields<UserField>,
    },
    /// `tag(name:)`.
    Tag {
        /// Its arguments.
        arguments: Arguments,
        /// Where its row is kept.
        slot: Slot,
        /// Its selection.
        fields: Fields<TagField>,
    },
    /// `todos(...)`.
    Todos(TodoList),
}

/// A todo connection field: `Query.todos`, `User.todos`, `Tag.todos`.
#[derive(Debug)]
pub struct TodoList {
    /// Its arguments.
    pub arguments: Arguments,
    /// Where its pages are kept.
    pub slot: Slot,
    /// Its selection.
    pub connection: Connection<TodoField>,
}

/// The selection of a connection whose nodes are selected with `N`.
pub type Connection<N> = Fields<ConnectionField<N>>;

/// A field of a connection.
#[derive(Debug)]
pub enum ConnectionField<N> {
    /// `__typename`.
    Typename,
    /// `nodes`.
    Nodes(Fields<N>),
    /// `edges`.
    Edges(Fields<EdgeField<N>>),
    /// `pageInfo`.
    PageInfo(Fields<PageInfoField>),
}

/// A field of an edge.
#[derive(Debug)]
pub enum EdgeField<N> {
    /// `__typename`.
    Typename,
    /// `cursor`.
    Cursor,
    /// `node`.
    Node(Fields<N>),
}

/// A field of `PageInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageInfoField {
    /// `__typename`.
    Typename,
    /// `hasNextPage`.
    HasNextPage,
    /// `hasPreviousPage`.
    HasPreviousPage,
    /// `startCursor`.
    StartCursor,
    /// `endCursor`.
    EndCursor,
}

/// A field of `User`.
#[derive(Debug)]
pub enum UserField {
    /// `__typename`.
    Typename,
    /// A field read from the user's row.
    Column(UserColumn),
    /// `todos(...)`: only on users of the root fields.
    Todos(TodoList),
}

/// The fields of `User` read from its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserColumn {
    /// `id`.
    Id,
    /// `username`.
    Username,
    /// `email` (private).
    Email,
    /// `avatarUrl`.
    AvatarUrl,
    /// `bio`.
    Bio,
    /// `isActive`.
    IsActive,
    /// `role`.
    Role,
    /// `lastLoginAt` (private).
    LastLoginAt,
    /// `createdAt`.
    CreatedAt,
    /// `updatedAt`.
    UpdatedAt,
}

/// A field of `Todo`.
#[derive(Debug)]
pub enum TodoField {
    /// `__typename`.
    Typename,
    /// A field read from the todo's row.
    Column(TodoColumn),
    /// `owner { ... }`, without lists.
    Owner {
        /// Where the owners are kept.
        slot: Slot,
        /// Its selection.
        fields: Fields<UserField>,
    },
    /// `tags { ... }`, without lists.
    Tags {
        /// Where the tags are kept.
        slot: Slot,
        /// Its selection.
        fields: Fields<TagField>,
    },
}

/// The fields of `Todo` read from its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TodoColumn {
    /// `id`.
    Id,
    /// `title`.
    Title,
    /// `description`.
    Description,
    /// `priority`.
    Priority,
    /// `completed`.
    Completed,
    /// `dueDate`.
    DueDate,
    /// `completedAt`.
    CompletedAt,
    /// `deletedAt`.
    DeletedAt,
    /// `createdAt`.
    CreatedAt,
    /// `updatedAt`.
    UpdatedAt,
    /// `version`.
    Version,
}

/// A field of `Tag`.
#[derive(Debug)]
pub enum TagField {
    /// `__typename`.
    Typename,
    /// A field read from the tag's row.
    Column(TagColumn),
    /// `todos(...)`: only on the tag of `Query.tag`.
    Todos(TodoList),
}

/// The fields of `Tag` read from its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagColumn {
    /// `id`.
    Id,
    /// `name`.
    Name,
    /// `color`.
    Color,
    /// `createdAt`.
    CreatedAt,
}

/// Plans the operation `name` of `document` (its only one when `None`); `None` when it
/// is not a query the compiled path can answer.
pub fn plan(document: &ExecutableDocument, name: Option<&str>) -> Option<Plan> {
    let operation = crate::execution::operation::selected(document, name)?;
    if operation.ty != OperationType::Query || !operation.directives.is_empty() {
        return None;
    }
    let mut planner = Planner {
        fragments: document,
        slots: 0,
    };
    let root = planner.fields(
        &operation.selection_set.node,
        "Query",
        &mut |planner, field| planner.root_field(field),
    )?;
    Some(Plan {
        variables: operation
            .variable_definitions
            .iter()
            .map(|definition| definition.node.clone())
            .collect(),
        root,
        slots: planner.slots,
        last_size: std::sync::atomic::AtomicUsize::new(4096),
    })
}

/// A field of the selection set being planned, with the conditions around it.
struct Occurrence<'a> {
    field: &'a Field,
    conditions: Vec<Condition>,
}

struct Planner<'a> {
    fragments: &'a ExecutableDocument,
    slots: usize,
}

impl<'a> Planner<'a> {
    fn slot(&mut self) -> Slot {
        self.slots += 1;
        self.slots - 1
    }

    /// The fields of `set` on type `on`, each planned by `plan_field`; `None` if any field
    /// cannot be, or a response key is selected twice other than as the same plain field
    /// without conditions (merging them is the generic path's business).
    fn fields<K>(
        &mut self,
        set: &'a SelectionSet,
        on: &str,
        plan_field: &mut dyn FnMut(&mut Self, &'a Field) -> Option<K>,
    ) -> Option<Fields<K>> {
        let mut occurrences = Vec::new();
        self.collect(set, on, &[], 0, &mut occurrences)?;
        let mut fields: Vec<PlannedField<K>> = Vec::with_capacity(occurrences.len());
        let mut seen: HashMap<&str, (&Field, bool)> = HashMap::new();
        for Occurrence { field, conditions } in occurrences {
            let key = field.response_key().node.as_str();
            if let Some((first, unconditional)) = seen.get(key) {
                if *unconditional && conditions.is_empty() && same_plain_field(first, field) {
                    continue;
                }
                return None;
            }
            seen.insert(key, (field, conditions.is_empty()));
            fields.push(PlannedField {
                key: format!("\"{key}\":").into_boxed_str(),
                kind: plan_field(self, field)?,
                conditions,
            });
        }
        Some(Fields(fields))
    }

    /// Flattens `set`'s fragments on `on` into `out`, with their conditions.
    fn collect(
        &self,
        set: &'a SelectionSet,
        on: &str,
        around: &[Condition],
        depth: usize,
        out: &mut Vec<Occurrence<'a>>,
    ) -> Option<()> {
        if depth > FRAGMENT_DEPTH_MAX {
            return None;
        }
        for selection in &set.items {
            // A fragment's selections, and the directives on the fragment where it is used.
            let (inner, directives) = match &selection.node {
                Selection::Field(field) => {
                    let conditions = with_conditions(around, &field.node.directives)?;
                    out.push(Occurrence {
                        field: &field.node,
                        conditions,
                    });
                    continue;
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    if fragment
                        .type_condition
                        .as_ref()
                        .is_some_and(|condition| condition.node.on.node.as_str() != on)
                    {
                        return None;
                    }
                    (&fragment.selection_set.node, &fragment.directives)
                }
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node;
                    let fragment = self.fragment(&spread.fragment_name.node)?;
                    if fragment.type_condition.node.on.node.as_str() != on
                        || !fragment.directives.is_empty()
                    {
                        return None;
                    }
                    (&fragment.selection_set.node, &spread.directives)
                }
            };
            let conditions = with_conditions(around, directives)?;
            self.collect(inner, on, &conditions, depth + 1, out)?;
        }
        Some(())
    }

    fn fragment(&self, name: &Name) -> Option<&'a FragmentDefinition> {
        self.fragments
            .fragments
            .get(name)
            .map(|fragment| &fragment.node)
    }

    fn root_field(&mut self, field: &'a Field) -> Option<RootField> {
        let arguments = arguments(field);
        Some(match field.name.node.as_str() {
            "__typename" => leaf(field, RootField::Typename)?,
            "users" => RootField::Users {
                arguments,
                slot: self.slot(),
                connection: self.connection(
                    field,
                    "UserConnection",
                    "UserEdge",
                    "User",
                    &mut |planner, field| planner.user_field(field, true),
                )?,
            },
            "user" => RootField::User {
                arguments,
                slot: self.slot(),
                fields: self.fields(&field.selection_set.node, "User", &mut |planner, field| {
                    planner.user_field(field, true)
                })?,
            },
            "tag" => RootField::Tag {
                arguments,
                slot: self.slot(),
                fields: self.fields(&field.selection_set.node, "Tag", &mut |planner, field| {
                    planner.tag_field(field, true)
                })?,
            },
            "todos" => RootField::Todos(self.todo_list(field)?),
            _ => return None,
        })
    }

    fn todo_list(&mut self, field: &'a Field) -> Option<TodoList> {
        Some(TodoList {
            arguments: arguments(field),
            slot: self.slot(),
            connection: self.connection(
                field,
                "TodoConnection",
                "TodoEdge",
                "Todo",
                &mut |planner, field| planner.todo_field(field),
            )?,
        })
    }

    fn connection<N>(
        &mut self,
        field: &'a Field,
        connection: &str,
        edge: &str,
        node: &str,
        plan_node: &mut dyn FnMut(&mut Self, &'a Field) -> Option<N>,
    ) -> Option<Connection<N>> {
        self.fields(
            &field.selection_set.node,
            connection,
            &mut |planner, field| {
                Some(match field.name.node.as_str() {
                    "__typename" => leaf(field, ConnectionField::Typename)?,
                    "nodes" => ConnectionField::Nodes(planner.fields(
                        &field.selection_set.node,
                        node,
                        &mut *plan_node,
                    )?),
                    "edges" => ConnectionField::Edges(planner.fields(
                        &field.selection_set.node,
                        edge,
                        &mut |planner, field| {
                            Some(match field.name.node.as_str() {
                                "__typename" => leaf(field, EdgeField::Typename)?,
                                "cursor" => leaf(field, EdgeField::Cursor)?,
                                "node" => EdgeField::Node(planner.fields(
                                    &field.selection_set.node,
                                    node,
                                    &mut *plan_node,
                                )?),
                                _ => return None,
                            })
                        },
                    )?),
                    "pageInfo" => ConnectionField::PageInfo(planner.fields(
                        &field.selection_set.node,
                        "PageInfo",
                        &mut |_, field| {
                            leaf(
                                field,
                                match field.name.node.as_str() {
                                    "__typename" => PageInfoField::Typename,
                                    "hasNextPage" => PageInfoField::HasNextPage,
                                    "hasPreviousPage" => PageInfoField::HasPreviousPage,
                                    "startCursor" => PageInfoField::StartCursor,
                                    "endCursor" => PageInfoField::EndCursor,
                                    _ => return None,
                                },
                            )
                        },
                    )?),
                    _ => return None,
                })
            },
        )
    }

    /// A field of `User`; `with_lists`: whether its `todos` may be planned (users of the
    /// root fields, not owners of todos).
    fn user_field(&mut self, field: &'a Field, with_lists: bool) -> Option<UserField> {
        let column = match field.name.node.as_str() {
            "__typename" => return leaf(field, UserField::Typename),
            "todos" if with_lists => return Some(UserField::Todos(self.todo_list(field)?)),
            "id" => UserColumn::Id,
            "username" => UserColumn::Username,
            "email" => UserColumn::Email,
            "avatarUrl" => UserColumn::AvatarUrl,
            "bio" => UserColumn::Bio,
            "isActive" => UserColumn::IsActive,
            "role" => UserColumn::Role,
            "lastLoginAt" => UserColumn::LastLoginAt,
            "createdAt" => UserColumn::CreatedAt,
            "updatedAt" => UserColumn::UpdatedAt,
            _ => return None,
        };
        leaf(field, UserField::Column(column))
    }

    fn todo_field(&mut self, field: &'a Field) -> Option<TodoField> {
        let column = match field.name.node.as_str() {
            "__typename" => return leaf(field, TodoField::Typename),
            "owner" if field.arguments.is_empty() => {
                return Some(TodoField::Owner {
                    slot: self.slot(),
                    fields: self.fields(
                        &field.selection_set.node,
                        "User",
                        &mut |planner, field| planner.user_field(field, false),
                    )?,
                });
            }
            "tags" if field.arguments.is_empty() => {
                return Some(TodoField::Tags {
                    slot: self.slot(),
                    fields: self.fields(
                        &field.selection_set.node,
                        "Tag",
                        &mut |planner, field| planner.tag_field(field, false),
                    )?,
                });
            }
            "id" => TodoColumn::Id,
            "title" => TodoColumn::Title,
            "description" => TodoColumn::Description,
            "priority" => TodoColumn::Priority,
            "completed" => TodoColumn::Completed,
            "dueDate" => TodoColumn::DueDate,
            "completedAt" => TodoColumn::CompletedAt,
            "deletedAt" => TodoColumn::DeletedAt,
            "createdAt" => TodoColumn::CreatedAt,
            "updatedAt" => TodoColumn::UpdatedAt,
            "version" => TodoColumn::Version,
            _ => return None,
        };
        leaf(field, TodoField::Column(column))
    }

    /// A field of `Tag`; `with_lists` as for [`Self::user_field`].
    fn tag_field(&mut self, field: &'a Field, with_lists: bool) -> Option<TagField> {
        let column = match field.name.node.as_str() {
            "__typename" => return leaf(field, TagField::Typename),
            "todos" if with_lists => return Some(TagField::Todos(self.todo_list(field)?)),
            "id" => TagColumn::Id,
            "name" => TagColumn::Name,
            "color" => TagColumn::Color,
            "createdAt" => TagColumn::CreatedAt,
            _ => return None,
        };
        leaf(field, TagField::Column(column))
    }
}

/// `kind`, if `field` is a leaf as written: no arguments, no selection.
fn leaf<K>(field: &Field, kind: K) -> Option<K> {
    (field.arguments.is_empty() && field.selection_set.node.items.is_empty()).then_some(kind)
}

/// Two occurrences of one response key that are the same leaf field, so that the second
/// adds nothing.
fn same_plain_field(a: &Field, b: &Field) -> bool {
    a.name.node == b.name.node
        && a.arguments.is_empty()
        && b.arguments.is_empty()
        && a.selection_set.node.items.is_empty()
        && b.selection_set.node.items.is_empty()
}

fn arguments(field: &Field) -> Arguments {
    field
        .arguments
        .iter()
        .map(|(name, value)| (name.node.clone(), value.node.clone()))
        .collect()
}

/// `around` and the `@include`/`@skip` of `directives`; `None` for any other directive.
fn with_conditions(
    around: &[Condition],
    directives: &[Positioned<Directive>],
) -> Option<Vec<Condition>> {
    let mut conditions = around.to_vec();
    for directive in directives {
        let directive = &directive.node;
        let include = match directive.name.node.as_str() {
            "include" => true,
            "skip" => false,
            _ => return None,
        };
        let value = directive.get_argument("if")?.node.clone();
        conditions.push(Condition { include, value });
    }
    Some(conditions)
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]
mod tests {
    use super::*;

    fn plans(document: &str) -> bool {
        let document = async_graphql::parser::parse_query(document).expect("a document");
        plan(&document, None).is_some()
    }

    #[test]
    fn the_benchmark_queries_are_planned() {
        for document in [
            include_str!("../../../../tests/bench/q1_nested.graphql"),
            include_str!("../../../../tests/bench/q2_detail.graphql"),
            include_str!("../../../../tests/bench/q3_reverse.graphql"),
            include_str!("../../../../tests/bench/q4_search.graphql"),
        ] {
            assert!(plans(document), "{document}");
        }
    }

    #[test]
    fn fragments_on_the_type_and_conditions_are_planned() {
        assert!(plans(
            "query($s: Boolean!) { users { nodes { ...U ... on User @skip(if: $s) { bio } \
             ... @include(if: true) { role } } } } fragment U on User { id username id }"
        ));
    }

    #[test]
    fn what_the_plan_cannot_say_is_left_to_the_generic_path() {
        for document in [
            "mutation { logOut }",
            "{ users { totalCount } }",
            "{ viewer { id } }",
            "{ user(username: \"a\") { preferences { theme } } }",
            "{ todos { nodes { history { nodes { id } } } } }",
            // The owner's own lists are not planned.
            "{ todos { nodes { owner { todos { nodes { id } } } } } }",
            // One key, two fields; one key under a condition.
            "{ users { nodes { id: username id } } }",
            "{ users { nodes { id id @include(if: true) } } }",
            "{ users { nodes { ... on Tag { id } } } }",
            "{ users { nodes { id @deprecated } } }",
            "{ __schema { types { name } } }",
        ] {
            assert!(!plans(document), "{document}");
        }
    }
}
