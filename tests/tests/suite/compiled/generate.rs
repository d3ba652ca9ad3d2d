//! Generated read documents over users, todos and tags: proptest strategies (which shrink)
//! for [`Case`]s. Every field the fast path knows comes up, at every level it knows it, in
//! any order and number, aliased or not, under fragments and directives, with every kind of
//! page, filter and order; and, less often, what it does not know, for its fallback.

use std::collections::HashMap;

use proptest::{
    collection::vec,
    prelude::*,
    sample::{Index, select},
    strategy::Union,
};

use super::{
    arguments::{TAG_NAMES, USERNAMES, lookup, todo_list_args, user_list_args},
    case::{Arg, Case, Cond, Form, Input, Naming, Passing, Sel, arg, leaf_field},
};

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

/// The types a selection is generated for; the flags say which nested lists the fast path
/// supports there (elsewhere they are generated only among the odd cases).
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

/// The strategy for whole cases: four in five within what the fast path supports, one in
/// five odd (see [`Builder::odd`]).
pub fn case() -> impl Strategy<Value = Case> {
    let naming = prop_oneof![
        2 => Just(Naming::Anonymous),
        2 => any::<bool>().prop_map(Naming::Named),
        1 => any::<bool>().prop_map(Naming::BesideOther),
    ];
    let root = prop_oneof![
        4 => Builder::new(false).selection(Ty::Query, true).prop_map(|root| (false, root)),
        1 => Builder::new(true).selection(Ty::Query, true).prop_map(|root| (true, root)),
    ];
    (
        0..4usize,
        prop::bool::weighted(0.2),
        naming,
        root,
        vec(any::<Index>(), 8),
    )
        .prop_map(|(viewer, strict, naming, (odd, mut root), variant)| {
            distinct_keys(vec![root.as_mut_slice()], odd, &mut 0);
            Case {
                viewer,
                strict,
                naming,
                root,
                variant,
            }
        })
}

/// Builds each type's selection strategy once (they are shared, not rebuilt per use).
struct Builder {
    /// Also what the fast path does not support (totalCount, preferences, history, the
    /// viewer, the tag list, lists under a todo's owner or tags, fragments on Node) and page
    /// arguments the server refuses: the fallback's cases.
    odd: bool,
    memo: HashMap<(Ty, bool), BoxedStrategy<Vec<Sel>>>,
}

impl Builder {
    fn new(odd: bool) -> Self {
        Self {
            odd,
            memo: HashMap::new(),
        }
    }

    /// One to three selections on `ty`; fragments among them when `fragments` (their
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
            if self.odd && matches!(ty, Ty::User(_) | Ty::Todo(_) | Ty::Tag(_)) {
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
                options.push((2, node.boxed()));
            }
        }
        let strategy = vec(Union::new_weighted(options), 1..=3).boxed();
        self.memo.insert((ty, fragments), strategy.clone());
        strategy
    }

    /// The fields of `ty`, weighted.
    fn fields(&mut self, ty: Ty) -> Vec<(u32, BoxedStrategy<Sel>)> {
        let odd = self.odd;
        let no_args = || Just(Vec::<Arg>::new());
        let no_sub = || Just(Vec::<Sel>::new()).boxed();
        let mut fields = Vec::new();
        let leaves: &[&'static str] = match ty {
            Ty::Query | Ty::Connection(_) | Ty::Edge(_) => &["__typename"],
            Ty::PageInfo => PAGE_INFO_LEAVES,
            Ty::User(_) => USER_LEAVES,
            Ty::Todo(_) => TODO_LEAVES,
            Ty::Tag(_) => TAG_LEAVES,
        };
        for leaf in leaves {
            fields.push((2, field(leaf, no_args(), no_sub())));
        }
        // What the fast path does not support, plain (the strategies are built ahead, so
        // they must not recurse into types being built).
        let plain = |outer: &'static str, inner: &'static str| {
            Just(vec![leaf_field(outer, vec![leaf_field(inner, vec![])])]).boxed()
        };
        match ty {
            Ty::Query => {
                let users = self.connection(Item::User);
                let todos = self.connection(Item::Todo);
                let user = self.selection(Ty::User(true), true);
                let tag = self.selection(Ty::Tag(true), true);
                fields.push((6, field("users", user_list_args(odd), users)));
                fields.push((6, field("todos", todo_list_args(odd), todos)));
                fields.push((5, field("user", lookup("username", USERNAMES), user)));
                fields.push((4, field("tag", lookup("name", TAG_NAMES), tag)));
                if odd {
                    let viewer = Just(vec![leaf_field("username", vec![])]).boxed();
                    fields.push((2, field("viewer", no_args(), viewer)));
                    fields.push((2, field("tags", no_args(), plain("nodes", "name"))));
                }
            }
            Ty::Connection(item) => {
                let node = self.node(item);
                let edge = self.selection(Ty::Edge(item), true);
                let page_info = self.selection(Ty::PageInfo, true);
                fields.push((8, field("nodes", no_args(), node)));
                fields.push((5, field("edges", no_args(), edge)));
                fields.push((4, field("pageInfo", no_args(), page_info)));
                if odd {
                    fields.push((2, field("totalCount", no_args(), no_sub())));
                }
            }
            Ty::Edge(item) => {
                let node = self.node(item);
                fields.push((4, field("cursor", no_args(), no_sub())));
                fields.push((6, field("node", no_args(), node)));
            }
            Ty::PageInfo => {}
            Ty::User(todos) => {
                if todos {
                    let list = self.connection(Item::Todo);
                    fields.push((6, field("todos", todo_list_args(odd), list)));
                } else if odd {
                    fields.push((
                        2,
                        field("todos", todo_list_args(odd), plain("nodes", "title")),
                    ));
                }
                if odd {
                    fields.push((
                        2,
                        field("preferences", no_args(), plain("layout", "compact")),
                    ));
                }
            }
            Ty::Todo(nested) => {
                if nested {
                    let owner = self.selection(Ty::User(false), true);
                    let tags = self.selection(Ty::Tag(false), true);
                    fields.push((5, field("owner", no_args(), owner)));
                    fields.push((5, field("tags", no_args(), tags)));
                }
                if odd {
                    let first = Just(vec![arg("first", "Int", Input::Int(2), Passing::Literal)]);
                    fields.push((2, field("history", first, plain("nodes", "action"))));
                }
            }
            Ty::Tag(todos) => {
                if todos {
                    let list = self.connection(Item::Todo);
                    fields.push((6, field("todos", todo_list_args(odd), list)));
                } else if odd {
                    fields.push((2, field("todos", todo_list_args(odd), plain("nodes", "id"))));
                }
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

/// Gives a fresh alias to every field that would share its response key with a different
/// field (another name, other arguments) in `sets`, which answer into one object, then does
/// the same for the merged selections of each key: the spec refuses such a document
/// (async-graphql refuses most; the rest it runs both ways and merges in a racing order).
/// With `merge`, fields with the same name and the same literal arguments keep their key,
/// so merged selections come up (a fallback of the fast path's); without, only plain
/// leaves without directives (in or around them) do, which the fast path takes. Variables
/// count as different arguments, since each use has its own.
fn distinct_keys(sets: Vec<&mut [Sel]>, merge: bool, fresh: &mut usize) {
    fn fields<'a>(set: &'a mut [Sel], around: bool, out: &mut Vec<(&'a mut Sel, bool)>) {
        for sel in set.iter_mut() {
            match sel {
                Sel::Fragment { sub, cond, .. } => {
                    let conditional = around || cond.is_some();
                    fields(sub, conditional, out);
                }
                field => out.push((field, around)),
            }
        }
    }
    let mut all = Vec::new();
    for set in sets {
        fields(set, false, &mut all);
    }
    let mut groups: Vec<(String, String, Vec<&mut [Sel]>)> = Vec::new();
    for (field, around) in all {
        let Sel::Field {
            alias,
            name,
            args,
            cond,
            sub,
        } = field
        else {
            continue;
        };
        let literal = args.iter().all(|a| matches!(a.passing, Passing::Literal));
        let plain = args.is_empty() && sub.is_empty() && cond.is_none() && !around;
        let signature = if (merge && literal) || plain {
            format!("{name}{args:?}")
        } else {
            *fresh += 1;
            format!("#{fresh}")
        };
        let key = alias.as_deref().unwrap_or(name);
        match groups.iter_mut().find(|(k, _, _)| k == key) {
            Some((_, seen, subs)) if *seen == signature => subs.push(sub.as_mut_slice()),
            Some(_) => {
                *fresh += 1;
                let new = format!("k{fresh}");
                *alias = Some(new.clone());
                groups.push((new, signature, vec![sub.as_mut_slice()]));
            }
            None => groups.push((key.to_owned(), signature, vec![sub.as_mut_slice()])),
        }
    }
    for (_, _, subs) in groups {
        distinct_keys(subs, merge, fresh);
    }
}

/// A field with arguments from `args`, its selection from `sub`, and maybe an alias and a
/// directive.
fn field(
    name: &'static str,
    args: impl Strategy<Value = Vec<Arg>> + 'static,
    sub: BoxedStrategy<Vec<Sel>>,
) -> BoxedStrategy<Sel> {
    let alias = prop_oneof![7 => Just(None), 1 => select(ALIASES).prop_map(|a| Some(a.to_owned()))];
    (alias, args, cond(), sub)
        .prop_map(move |(alias, args, mut cond, sub)| {
            if name == "__typename" {
                // async-graphql's validation does not see a variable used only by a
                // directive on __typename, and refuses the operation for not using it.
                if let Some(cond) = &mut cond {
                    cond.variable = false;
                }
            }
            Sel::Field {
                alias,
                name,
                args,
                cond,
                sub,
            }
        })
        .boxed()
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
    prop_oneof![8 => Just(None), 1 => some]
}
