//! Generated read documents over users, todos and tags (proptest strategies that shrink),
//! and how a generated case is written as a GraphQL request.
//!
//! A case is a tree of selections; writing it out decides the rest: which arguments go in as
//! literals and which as variables (with or without a default, sent or not), which
//! fragments become named fragment definitions, and which cursor an `after`/`before` takes
//! from the real cursors of the seeded data (picked by index, so that it shrinks too).

use std::collections::HashMap;

use proptest::{
    collection::vec,
    prelude::*,
    sample::{Index, select},
    strategy::Union,
};
use serde_json::{Map, Value, json};

/// Usernames `user(username:)` looks up: seeded ones, one in another case, and nobody.
const USERNAMES: &[&str] = &["ann", "bob", "root", "carol", "Zoe.Upper", "ANN", "nobody"];
/// Tag names `tag(name:)` and `filter.tags` use: seeded ones (one without todos), one in
/// another case, and none.
const TAG_NAMES: &[&str] = &[
    "work", "Home", "home", "URGENT", "errands", "lonely", "MixedCase", "Colorful", "ünï-tag",
    "nope",
];
/// Searches: common words, LIKE metacharacters (which match themselves), case, no match.
const SEARCHES: &[&str] = &["the", "THE", "a", "%", "_", "Ü", "same", "", "zzz"];
/// Instants for dueBefore/dueAfter, far from today so that the two servers agree.
const INSTANTS: &[&str] = &[
    "2026-01-15T00:00:00Z",
    "2026-02-01T00:00:00+02:00",
    "2031-01-01T00:00:00Z",
];
const PRIORITIES: &[&str] = &["LOW", "MEDIUM", "HIGH"];
const ORDER_FIELDS: &[&str] = &["CREATED_AT", "UPDATED_AT", "DUE_DATE", "PRIORITY", "TITLE"];
const ALIASES: &[&str] = &["a", "b", "c", "x_1"];

const USER_LEAVES: &[&str] = &[
    "id",
    "username",
    "email",
    "avatarUrl",
    "bio",
    "isActive",
    "role",
    "lastLoginAt",
    "createdAt",
    "updatedAt",
    "__typename",
];
const TODO_LEAVES: &[&str] = &[
    "id",
    "title",
    "description",
    "priority",
    "completed",
    "dueDate",
    "completedAt",
    "deletedAt",
    "createdAt",
    "updatedAt",
    "version",
    "__typename",
];
const TAG_LEAVES: &[&str] = &["id", "name", "color", "createdAt", "__typename"];
const PAGE_INFO_LEAVES: &[&str] = &[
    "hasNextPage",
    "hasPreviousPage",
    "startCursor",
    "endCursor",
    "__typename",
];

/// A GraphQL input value.
#[derive(Debug, Clone)]
pub enum Input {
    /// An Int.
    Int(i64),
    /// A String.
    Str(&'static str),
    /// A Boolean.
    Bool(bool),
    /// An enum value.
    Enum(&'static str),
    /// A list.
    List(Vec<Input>),
    /// An input object.
    Object(Vec<(&'static str, Input)>),
    /// A real cursor of the ordering named, picked when the case is written.
    Cursor(&'static str, Index),
}

/// How an argument (or a directive's `if`) reaches the server.
#[derive(Debug, Clone, Copy)]
pub enum Passing {
    /// Written into the document.
    Literal,
    /// A variable, sent.
    Variable,
    /// A variable with the value as its default, not sent.
    Default,
    /// A nullable variable not sent (nor defaulted): the argument counts as absent.
    Unsent,
}

/// One argument.
#[derive(Debug, Clone)]
pub struct Arg {
    name: &'static str,
    /// The variable type that passes it.
    ty: &'static str,
    value: Input,
    passing: Passing,
}

/// `@include(if:)` (or `@skip(if:)` when `skip`).
#[derive(Debug, Clone)]
pub struct Cond {
    skip: bool,
    value: bool,
    variable: bool,
}

/// How a fragment is written.
#[derive(Debug, Clone, Copy)]
pub enum Form {
    /// `... { }`.
    Bare,
    /// `... on Type { }`.
    Inline,
    /// `...Name` with `fragment Name on Type { }`.
    Named,
}

/// One selection.
#[derive(Debug, Clone)]
pub enum Sel {
    /// A field.
    Field {
        /// Its alias.
        alias: Option<&'static str>,
        /// Its name.
        name: &'static str,
        /// Its arguments.
        args: Vec<Arg>,
        /// Its directive.
        cond: Option<Cond>,
        /// Its selection (empty for a leaf).
        sub: Vec<Sel>,
    },
    /// A fragment.
    Fragment {
        /// How it is written.
        form: Form,
        /// Its type condition.
        on: &'static str,
        /// Its directive.
        cond: Option<Cond>,
        /// Its selection.
        sub: Vec<Sel>,
    },
}

/// How the operation is named and picked.
#[derive(Debug, Clone, Copy)]
pub enum Naming {
    /// Anonymous (the `{ }` shorthand when it has no variables).
    Anonymous,
    /// `query Q`, with or without `operationName`.
    Named(bool),
    /// `query Q` beside another operation (before it or after it), picked by name.
    BesideOther(bool),
}

/// A generated request.
#[derive(Debug, Clone)]
pub struct Case {
    /// Index into the viewers (anonymous, users, admin).
    pub viewer: usize,
    /// Ask for `application/graphql-response+json` (errors answer 4xx) instead of JSON.
    pub strict: bool,
    /// How the operation is named.
    pub naming: Naming,
    /// The operation's selection on Query.
    pub root: Vec<Sel>,
}

/// A case written out: the request body's parts.
pub struct Request {
    /// The document.
    pub document: String,
    /// The variables (an object).
    pub variables: Value,
    /// The operationName, if sent.
    pub operation_name: Option<&'static str>,
}

impl Request {
    /// The JSON body POSTed.
    pub fn body(&self) -> String {
        let mut body = json!({ "query": self.document });
        if self.variables.as_object().is_some_and(|v| !v.is_empty()) {
            body["variables"] = self.variables.clone();
        }
        if let Some(name) = self.operation_name {
            body["operationName"] = json!(name);
        }
        body.to_string()
    }
}

/// The types a selection is generated for; the flags say which nested lists the fast path
/// supports there (elsewhere they are generated rarely, to exercise the fallback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ty {
    Query,
    Connection(Item),
    Edge(Item),
    PageInfo,
    /// `todos` supported (a user of the root `users`/`user`).
    User(bool),
    /// `owner`/`tags` generated.
    Todo(bool),
    /// `todos` supported (the root `tag`).
    Tag(bool),
}

/// What a connection lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Item {
    User,
    Todo,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Self::Query => "Query",
            Self::Connection(Item::User) => "UserConnection",
            Self::Connection(Item::Todo) => "TodoConnection",
            Self::Edge(Item::User) => "UserEdge",
            Self::Edge(Item::Todo) => "TodoEdge",
            Self::PageInfo => "PageInfo",
            Self::User(_) => "User",
            Self::Todo(_) => "Todo",
            Self::Tag(_) => "Tag",
        }
    }
}

/// The strategy for whole cases.
pub fn case() -> impl Strategy<Value = Case> {
    let naming = prop_oneof![
        2 => Just(Naming::Anonymous),
        2 => any::<bool>().prop_map(Naming::Named),
        1 => any::<bool>().prop_map(Naming::BesideOther),
    ];
    let root = Builder::default().selection(Ty::Query, true);
    (0..4usize, prop::bool::weighted(0.2), naming, root).prop_map(
        |(viewer, strict, naming, root)| Case {
            viewer,
            strict,
            naming,
            root,
        },
    )
}

/// Builds each type's selection strategy once (they are shared, not rebuilt per use).
#[derive(Default)]
struct Builder {
    memo: HashMap<(Ty, bool), BoxedStrategy<Vec<Sel>>>,
}

impl Builder {
    /// One to four selections on `ty`; fragments among them when `fragments` (their
    /// contents hold none at their own level).
    fn selection(&mut self, ty: Ty, fragments: bool) -> BoxedStrategy<Vec<Sel>> {
        if let Some(done) = self.memo.get(&(ty, fragments)) {
            return done.clone();
        }
        let mut options = self.fields(ty);
        if fragments {
            let inner = self.selection(ty, false);
            let form = prop_oneof![Just(Form::Bare), Just(Form::Inline), Just(Form::Named)];
            let on = ty.name();
            let fragment = (form, cond(), inner)
                .prop_map(move |(form, cond, sub)| Sel::Fragment {
                    form,
                    on,
                    cond,
                    sub,
                })
                .boxed();
            options.push((3, fragment));
            if matches!(ty, Ty::User(_) | Ty::Todo(_) | Ty::Tag(_)) {
                // An interface as the type condition: valid, but not the fast path's.
                let form = prop_oneof![Just(Form::Inline), Just(Form::Named)];
                let node = (form, select(vec!["id", "__typename"])).prop_map(|(form, name)| {
                    Sel::Fragment {
                        form,
                        on: "Node",
                        cond: None,
                        sub: vec![leaf_field(name, vec![])],
                    }
                });
                options.push((1, node.boxed()));
            }
        }
        let strategy = vec(Union::new_weighted(options), 1..=4).boxed();
        self.memo.insert((ty, fragments), strategy.clone());
        strategy
    }

    /// The fields of `ty`, weighted.
    fn fields(&mut self, ty: Ty) -> Vec<(u32, BoxedStrategy<Sel>)> {
        let mut fields = Vec::new();
        let leaves: &[&'static str] = match ty {
            Ty::Query | Ty::Connection(_) | Ty::Edge(_) => &["__typename"],
            Ty::PageInfo => PAGE_INFO_LEAVES,
            Ty::User(_) => USER_LEAVES,
            Ty::Todo(_) => TODO_LEAVES,
            Ty::Tag(_) => TAG_LEAVES,
        };
        for leaf in leaves {
            fields.push((2, field(leaf, Just(Vec::new()), Just(Vec::new()).boxed())));
        }
        match ty {
            Ty::Query => {
                let users = self.connection(Item::User);
                let todos = self.connection(Item::Todo);
                let user = self.selection(Ty::User(true), true);
                let tag = self.selection(Ty::Tag(true), true);
                let viewer = self.selection(Ty::User(false), false);
                fields.push((6, field("users", user_list_args(), users)));
                fields.push((6, field("todos", todo_list_args(), todos)));
                fields.push((5, field("user", lookup("username", USERNAMES), user)));
                fields.push((4, field("tag", lookup("name", TAG_NAMES), tag)));
                // Not the fast path's: the viewer, and the tag list.
                fields.push((1, field("viewer", Just(Vec::new()), viewer)));
                let tags = Just(vec![leaf_field("nodes", vec![leaf_field("name", vec![])])]);
                fields.push((1, field("tags", Just(Vec::new()), tags.boxed())));
            }
            Ty::Connection(item) => {
                let node = self.node(item);
                let edge = self.selection(Ty::Edge(item), true);
                let page_info = self.selection(Ty::PageInfo, true);
                fields.push((8, field("nodes", Just(Vec::new()), node)));
                fields.push((5, field("edges", Just(Vec::new()), edge)));
                fields.push((4, field("pageInfo", Just(Vec::new()), page_info)));
                // Not the fast path's.
                fields.push((1, field("totalCount", Just(Vec::new()), Just(vec![]).boxed())));
            }
            Ty::Edge(item) => {
                let node = self.node(item);
                fields.push((4, field("cursor", Just(Vec::new()), Just(vec![]).boxed())));
                fields.push((6, field("node", Just(Vec::new()), node)));
            }
            Ty::PageInfo => {}
            Ty::User(todos) => {
                let list = if todos {
                    self.connection(Item::Todo)
                } else {
                    // Todos of a todo's owner are not the fast path's: plain and rare (and
                    // not recursive: the strategies are built ahead).
                    let ids = vec![leaf_field("nodes", vec![leaf_field("title", vec![])])];
                    Just(ids).boxed()
                };
                fields.push((if todos { 6 } else { 1 }, field("todos", todo_list_args(), list)));
                let theme = Just(vec![leaf_field("theme", vec![])]).boxed();
                fields.push((1, field("preferences", Just(Vec::new()), theme)));
            }
            Ty::Todo(nested) => {
                if nested {
                    let owner = self.selection(Ty::User(false), true);
                    let tags = self.selection(Ty::Tag(false), true);
                    fields.push((5, field("owner", Just(Vec::new()), owner)));
                    fields.push((5, field("tags", Just(Vec::new()), tags)));
                }
                let action = vec![leaf_field("nodes", vec![leaf_field("action", vec![])])];
                let history = Just(action).boxed();
                let first = Just(vec![arg("first", "Int", Input::Int(2), Passing::Literal)]);
                fields.push((1, field("history", first, history)));
            }
            Ty::Tag(todos) => {
                let list = if todos {
                    self.connection(Item::Todo)
                } else {
                    // Todos of a todo's tag are not the fast path's: plain and rare.
                    let ids = vec![leaf_field("nodes", vec![leaf_field("id", vec![])])];
                    Just(ids).boxed()
                };
                fields.push((if todos { 6 } else { 1 }, field("todos", todo_list_args(), list)));
            }
        }
        fields
    }

    fn connection(&mut self, item: Item) -> BoxedStrategy<Vec<Sel>> {
        self.selection(Ty::Connection(item), true)
    }

    fn node(&mut self, item: Item) -> BoxedStrategy<Vec<Sel>> {
        match item {
            Item::User => self.selection(Ty::User(true), true),
            Item::Todo => self.selection(Ty::Todo(true), true),
        }
    }
}

/// A field with arguments from `args`, its selection from `sub`, and maybe an alias and a
/// directive.
fn field(
    name: &'static str,
    args: impl Strategy<Value = Vec<Arg>> + 'static,
    sub: BoxedStrategy<Vec<Sel>>,
) -> BoxedStrategy<Sel> {
    let alias = prop_oneof![5 => Just(None), 1 => select(ALIASES).prop_map(Some)];
    (alias, args, cond(), sub)
        .prop_map(move |(alias, args, cond, sub)| Sel::Field {
            alias,
            name,
            args,
            cond,
            sub,
        })
        .boxed()
}

/// A field without alias, arguments or directive.
fn leaf_field(name: &'static str, sub: Vec<Sel>) -> Sel {
    Sel::Field {
        alias: None,
        name,
        args: Vec::new(),
        cond: None,
        sub,
    }
}

fn arg(name: &'static str, ty: &'static str, value: Input, passing: Passing) -> Arg {
    Arg {
        name,
        ty,
        value,
        passing,
    }
}

/// Mostly no directive; else `@include`/`@skip` with a literal or a Boolean variable.
fn cond() -> impl Strategy<Value = Option<Cond>> {
    let some = (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(skip, value, variable)| {
        Some(Cond {
            skip,
            value,
            variable,
        })
    });
    prop_oneof![6 => Just(None), 1 => some]
}

fn passing() -> impl Strategy<Value = Passing> {
    prop_oneof![
        8 => Just(Passing::Literal),
        5 => Just(Passing::Variable),
        1 => Just(Passing::Default),
        1 => Just(Passing::Unsent),
    ]
}

/// `username:`/`name:` from `values` (a required String, so never left unsent).
fn lookup(name: &'static str, values: &'static [&'static str]) -> BoxedStrategy<Vec<Arg>> {
    let passing = passing().prop_map(|p| match p {
        Passing::Unsent => Passing::Variable,
        other => other,
    });
    (select(values), passing)
        .prop_map(move |(value, passing)| vec![arg(name, "String!", Input::Str(value), passing)])
        .boxed()
}

/// A page request: sizes 0, 1, small, the default, backwards, from a real cursor; now and
/// then one the server refuses (both directions at once, too large, negative).
#[derive(Debug, Clone, Copy)]
enum Page {
    Default,
    First(i64),
    Last(i64),
    FirstAfter(i64),
    LastBefore(i64),
    AfterAlone,
    Refused(u8),
}

fn page() -> impl Strategy<Value = Page> {
    let size = select(vec![0i64, 1, 2, 3, 5]);
    prop_oneof![
        3 => Just(Page::Default),
        4 => size.clone().prop_map(Page::First),
        2 => (1i64..4).prop_map(Page::Last),
        3 => size.prop_map(Page::FirstAfter),
        2 => (1i64..4).prop_map(Page::LastBefore),
        1 => Just(Page::AfterAlone),
        1 => (0u8..3).prop_map(Page::Refused),
    ]
}

/// The page arguments of `page`, cursors taken from `ordering`'s (or, now and then, from a
/// tag list's: a cursor the list refuses).
fn page_args(page: Page, ordering: &'static str, pick: Index, foreign: bool, p: &[Passing]) -> Vec<Arg> {
    let cursor = Input::Cursor(if foreign { "tag:name" } else { ordering }, pick);
    let int = |name, n| arg(name, "Int", Input::Int(n), p[0]);
    let string = |name, value| arg(name, "String", value, p[1]);
    match page {
        Page::Default => vec![],
        Page::First(n) => vec![int("first", n)],
        Page::Last(n) => vec![int("last", n)],
        Page::FirstAfter(n) => vec![int("first", n), string("after", cursor)],
        Page::LastBefore(n) => vec![string("before", cursor), int("last", n)],
        Page::AfterAlone => vec![string("after", cursor)],
        Page::Refused(0) => vec![int("first", 2), arg("last", "Int", Input::Int(1), p[2])],
        Page::Refused(1) => vec![int("first", 101)],
        Page::Refused(_) => vec![int("last", -1)],
    }
}

/// `users(...)`: a page, and maybe a search.
fn user_list_args() -> BoxedStrategy<Vec<Arg>> {
    let search = prop_oneof![3 => Just(None), 1 => select(vec!["a", "AN", "o", "", "zzz"]).prop_map(Some)];
    let foreign = prop::bool::weighted(0.08);
    (page(), search, any::<Index>(), foreign, vec(passing(), 4))
        .prop_map(|(page, search, pick, foreign, p)| {
            let mut args = page_args(page, "user:username", pick, foreign, &p);
            if let Some(search) = search {
                args.push(arg("search", "String", Input::Str(search), p[3]));
            }
            args
        })
        .boxed()
}

/// `todos(...)`: a page, maybe a filter and an order, in any argument order.
fn todo_list_args() -> BoxedStrategy<Vec<Arg>> {
    let order = prop_oneof![2 => Just(None), 1 => todo_order().prop_map(Some)];
    let filter = prop_oneof![1 => Just(None), 1 => todo_filter().prop_map(Some)];
    let foreign = prop::bool::weighted(0.08);
    (page(), order, filter, any::<Index>(), foreign, vec(passing(), 4), any::<bool>())
        .prop_map(|(page, order, filter, pick, foreign, p, filter_first)| {
            let ordering = match &order {
                Some((field, _)) => ordering_of(field),
                None => "todo:created_at",
            };
            let mut args = page_args(page, ordering, pick, foreign, &p);
            if let Some((_, input)) = order {
                args.push(arg("orderBy", "TodoOrder", input, p[2]));
            }
            if let Some(filter) = filter {
                let filter = arg("filter", "TodoFilter", filter, p[3]);
                if filter_first {
                    args.insert(0, filter);
                } else {
                    args.push(filter);
                }
            }
            args
        })
        .boxed()
}

/// The cursor ordering a `TodoOrderField` sorts by.
pub fn ordering_of(field: &str) -> &'static str {
    match field {
        "UPDATED_AT" => "todo:updated_at",
        "DUE_DATE" => "todo:due_date",
        "PRIORITY" => "todo:priority",
        "TITLE" => "todo:title",
        _ => "todo:created_at",
    }
}

/// A `TodoOrder`, with its sort field (CREATED_AT when left to the default).
fn todo_order() -> impl Strategy<Value = (&'static str, Input)> {
    let field = prop_oneof![1 => Just(None), 4 => select(ORDER_FIELDS).prop_map(Some)];
    let direction = prop_oneof![1 => Just(None), 2 => select(vec!["ASC", "DESC"]).prop_map(Some)];
    (field, direction).prop_map(|(field, direction)| {
        let mut object = Vec::new();
        if let Some(field) = field {
            object.push(("field", Input::Enum(field)));
        }
        if let Some(direction) = direction {
            object.push(("direction", Input::Enum(direction)));
        }
        (field.unwrap_or("CREATED_AT"), Input::Object(object))
    })
}

/// A `TodoFilter` with some of its conditions.
fn todo_filter() -> impl Strategy<Value = Input> {
    fn maybe<S: Strategy<Value: Clone>>(s: S) -> impl Strategy<Value = Option<S::Value>> {
        prop_oneof![3 => Just(None), 1 => s.prop_map(Some)]
    }
    let enums = |values: &'static [&'static str], n| vec(select(values).prop_map(Input::Enum), n);
    let names = vec(select(TAG_NAMES).prop_map(Input::Str), 0..3);
    (
        maybe(any::<bool>().prop_map(Input::Bool)),
        maybe(enums(PRIORITIES, 0..=3).prop_map(Input::List)),
        maybe(select(SEARCHES).prop_map(Input::Str)),
        maybe(any::<bool>().prop_map(Input::Bool)),
        maybe(select(INSTANTS).prop_map(Input::Str)),
        maybe(select(INSTANTS).prop_map(Input::Str)),
        maybe(names.prop_map(Input::List)),
        maybe(prop::bool::weighted(0.7).prop_map(Input::Bool)),
    )
        .prop_map(|(completed, priority, search, overdue, before, after, tags, deleted)| {
            let fields = [
                ("completed", completed),
                ("priority", priority),
                ("search", search),
                ("overdue", overdue),
                ("dueBefore", before),
                ("dueAfter", after),
                ("tags", tags),
                ("deleted", deleted),
            ];
            let set = fields.into_iter().filter_map(|(k, v)| Some((k, v?)));
            Input::Object(set.collect())
        })
}

/// Writes cases out as requests.
pub struct Writer<'a> {
    /// Real cursors by ordering name (`todo:title`, `user:username`, `tag:name`, ...).
    pub cursors: &'a HashMap<&'static str, Vec<String>>,
    definitions: Vec<String>,
    values: Map<String, Value>,
    fragments: Vec<String>,
}

impl<'a> Writer<'a> {
    /// Writes `case` with cursors from `cursors`.
    pub fn write(cursors: &'a HashMap<&'static str, Vec<String>>, case: &Case) -> Request {
        let mut writer = Self {
            cursors,
            definitions: Vec::new(),
            values: Map::new(),
            fragments: Vec::new(),
        };
        let mut body = String::new();
        writer.selection(&case.root, &mut body);
        let variables = if writer.definitions.is_empty() {
            String::new()
        } else {
            format!("({})", writer.definitions.join(", "))
        };
        let (operation, operation_name) = match case.naming {
            Naming::Anonymous if variables.is_empty() => (body, None),
            Naming::Anonymous => (format!("query{variables} {body}"), None),
            Naming::Named(send) => (format!("query Q{variables} {body}"), send.then_some("Q")),
            Naming::BesideOther(_) => (format!("query Q{variables} {body}"), Some("Q")),
        };
        let mut document = match case.naming {
            Naming::BesideOther(true) => format!("query Other {{ __typename }}\n{operation}"),
            Naming::BesideOther(false) => {
                format!("{operation}\nquery Other {{ viewer {{ id }} }}")
            }
            _ => operation,
        };
        for fragment in &writer.fragments {
            document.push('\n');
            document.push_str(fragment);
        }
        Request {
            document,
            variables: Value::Object(writer.values),
            operation_name,
        }
    }

    fn selection(&mut self, sels: &[Sel], out: &mut String) {
        out.push_str("{ ");
        for sel in sels {
            match sel {
                Sel::Field {
                    alias,
                    name,
                    args,
                    cond,
                    sub,
                } => {
                    if let Some(alias) = alias {
                        out.push_str(&format!("{alias}: "));
                    }
                    out.push_str(name);
                    if !args.is_empty() {
                        let args: Vec<String> = args
                            .iter()
                            .map(|a| format!("{}: {}", a.name, self.argument(a)))
                            .collect();
                        out.push_str(&format!("({})", args.join(", ")));
                    }
                    self.directive(cond.as_ref(), out);
                    if !sub.is_empty() {
                        out.push(' ');
                        self.selection(sub, out);
                    }
                }
                Sel::Fragment {
                    form,
                    on: condition,
                    cond,
                    sub,
                } => {
                    let mut inner = String::new();
                    self.selection(sub, &mut inner);
                    match form {
                        Form::Bare => out.push_str("..."),
                        Form::Inline => out.push_str(&format!("... on {condition}")),
                        Form::Named => {
                            let name = format!("F{}", self.fragments.len());
                            out.push_str(&format!("...{name}"));
                            self.fragments
                                .push(format!("fragment {name} on {condition} {inner}"));
                        }
                    }
                    self.directive(cond.as_ref(), out);
                    if !matches!(form, Form::Named) {
                        out.push(' ');
                        out.push_str(&inner);
                    }
                }
            }
            out.push(' ');
        }
        out.push('}');
    }

    fn directive(&mut self, cond: Option<&Cond>, out: &mut String) {
        let Some(cond) = cond else { return };
        let name = if cond.skip { "skip" } else { "include" };
        let value = if cond.variable {
            self.variable("Boolean!", &Input::Bool(cond.value), Passing::Variable)
        } else {
            cond.value.to_string()
        };
        out.push_str(&format!(" @{name}(if: {value})"));
    }

    /// The argument as written: a literal, or a new variable defined for it.
    fn argument(&mut self, arg: &Arg) -> String {
        match arg.passing {
            Passing::Literal => self.literal(&arg.value),
            passing => {
                // An unsent variable must be nullable; a defaulted one may be either.
                let ty = match passing {
                    Passing::Unsent => arg.ty.trim_end_matches('!'),
                    _ => arg.ty,
                };
                self.variable(ty, &arg.value, passing)
            }
        }
    }

    /// Defines a new variable of type `ty` for `value`, sending it or not as `passing`
    /// says; returns its use (`$vN`).
    fn variable(&mut self, ty: &str, value: &Input, passing: Passing) -> String {
        let name = format!("v{}", self.definitions.len());
        match passing {
            Passing::Default => {
                let default = self.literal(value);
                self.definitions.push(format!("${name}: {ty} = {default}"));
            }
            Passing::Unsent => self.definitions.push(format!("${name}: {ty}")),
            Passing::Literal | Passing::Variable => {
                self.definitions.push(format!("${name}: {ty}"));
                let json = self.json(value);
                self.values.insert(name.clone(), json);
            }
        }
        format!("${name}")
    }

    fn cursor(&self, ordering: &str, pick: &Index) -> String {
        match self.cursors.get(ordering) {
            Some(cursors) if !cursors.is_empty() => pick.get(cursors).clone(),
            _ => "bm8gY3Vyc29y".to_owned(),
        }
    }

    fn literal(&self, input: &Input) -> String {
        match input {
            Input::Int(n) => n.to_string(),
            Input::Str(s) => Value::from(*s).to_string(),
            Input::Bool(b) => b.to_string(),
            Input::Enum(e) => (*e).to_owned(),
            Input::List(items) => {
                let items: Vec<String> = items.iter().map(|i| self.literal(i)).collect();
                format!("[{}]", items.join(", "))
            }
            Input::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", self.literal(v)))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
            Input::Cursor(ordering, pick) => Value::from(self.cursor(ordering, pick)).to_string(),
        }
    }

    fn json(&self, input: &Input) -> Value {
        match input {
            Input::Int(n) => json!(n),
            Input::Str(s) => json!(s),
            Input::Bool(b) => json!(b),
            Input::Enum(e) => json!(e),
            Input::List(items) => items.iter().map(|i| self.json(i)).collect(),
            Input::Object(fields) => fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), self.json(v)))
                .collect::<Map<_, _>>()
                .into(),
            Input::Cursor(ordering, pick) => json!(self.cursor(ordering, pick)),
        }
    }
}
