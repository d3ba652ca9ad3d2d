//! Generated arguments: how each is passed, user and tag lookups, and the page, filter and
//! order arguments of the lists.

use proptest::{
    collection::vec,
    prelude::*,
    sample::{Index, select},
};

use super::case::{Arg, Input, Passing, arg};

/// Usernames `user(username:)` looks up: seeded ones, one in another case, and nobody.
pub(super) const USERNAMES: &[&str] =
    &["ann", "bob", "root", "carol", "Zoe.Upper", "ANN", "nobody"];
/// Tag names `tag(name:)` and `filter.tags` use: seeded ones (one without todos), one in
/// another case, and none.
pub(super) const TAG_NAMES: &[&str] = &[
    "work",
    "Home",
    "home",
    "URGENT",
    "errands",
    "lonely",
    "MixedCase",
    "Colorful",
    "ünï-tag",
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

/// Mostly literals, often variables, now and then a defaulted or an unsent variable.
fn passing() -> impl Strategy<Value = Passing> {
    prop_oneof![
        8 => Just(Passing::Literal),
        5 => Just(Passing::Variable),
        1 => Just(Passing::Default),
        1 => Just(Passing::Unsent),
    ]
}

/// `username:`/`name:` from `values` (a required String, so never left unsent).
pub(super) fn lookup(
    name: &'static str,
    values: &'static [&'static str],
) -> BoxedStrategy<Vec<Arg>> {
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

/// Pages; with `odd`, also those the server refuses.
fn page(odd: bool) -> impl Strategy<Value = Page> {
    let size = select(vec![0i64, 1, 2, 3, 5]);
    prop_oneof![
        2 => Just(Page::Default),
        4 => size.clone().prop_map(Page::First),
        2 => (1i64..4).prop_map(Page::Last),
        3 => size.prop_map(Page::FirstAfter),
        2 => (1i64..4).prop_map(Page::LastBefore),
        1 => Just(Page::AfterAlone),
        u32::from(odd) * 2 => (0u8..3).prop_map(Page::Refused),
    ]
}

/// The page arguments of `page`, cursors taken from `ordering`'s (or, now and then, from a
/// tag list's: a cursor the list refuses).
fn page_args(
    page: Page,
    ordering: &'static str,
    pick: Index,
    foreign: bool,
    p: &[Passing],
) -> Vec<Arg> {
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

/// `users(...)`: a page, and maybe a search; with `odd`, sometimes a refused one.
pub(super) fn user_list_args(odd: bool) -> BoxedStrategy<Vec<Arg>> {
    let search =
        prop_oneof![3 => Just(None), 1 => select(vec!["a", "AN", "o", "", "zzz"]).prop_map(Some)];
    let foreign = prop::bool::weighted(if odd { 0.15 } else { 0.0 });
    (
        page(odd),
        search,
        any::<Index>(),
        foreign,
        vec(passing(), 4),
    )
        .prop_map(|(page, search, pick, foreign, p)| {
            let mut args = page_args(page, "user:username", pick, foreign, &p);
            if let Some(search) = search {
                args.push(arg("search", "String", Input::Str(search), p[3]));
            }
            args
        })
        .boxed()
}

/// `todos(...)`: a page, maybe a filter and an order, in any argument order; with `odd`,
/// sometimes a refused page.
pub(super) fn todo_list_args(odd: bool) -> BoxedStrategy<Vec<Arg>> {
    let order = prop_oneof![2 => Just(None), 1 => todo_order().prop_map(Some)];
    let filter = prop_oneof![1 => Just(None), 1 => todo_filter().prop_map(Some)];
    let foreign = prop::bool::weighted(if odd { 0.15 } else { 0.0 });
    (
        page(odd),
        order,
        filter,
        any::<Index>(),
        foreign,
        vec(passing(), 4),
        any::<bool>(),
    )
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
        .prop_map(
            |(completed, priority, search, overdue, before, after, tags, deleted)| {
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
            },
        )
}
