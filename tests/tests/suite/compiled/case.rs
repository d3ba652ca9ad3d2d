//! What a generated case is: a viewer and a tree of selections on Query, with arguments
//! passed as literals or variables, fragments and directives; and its variant, the same
//! document with another viewer and other variables.

use proptest::sample::Index;

use super::arguments::{TAG_NAMES, USERNAMES};

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
    /// Its name.
    pub name: &'static str,
    /// The variable type that passes it.
    pub ty: &'static str,
    /// Its value.
    pub value: Input,
    /// How it is passed.
    pub passing: Passing,
}

/// `@include(if:)` (or `@skip(if:)` when `skip`).
#[derive(Debug, Clone)]
pub struct Cond {
    /// `@skip` rather than `@include`.
    pub skip: bool,
    /// Its `if`.
    pub value: bool,
    /// `if` passed as a variable.
    pub variable: bool,
}

impl Cond {
    /// Whether the field or fragment under `cond` is answered.
    pub fn lets_through(cond: Option<&Self>) -> bool {
        cond.is_none_or(|cond| cond.value != cond.skip)
    }
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
        alias: Option<String>,
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
    /// Picks for [`Case::variant`].
    pub variant: Vec<Index>,
}

/// Values a variable-passed Int takes in a variant: page sizes, and two the server refuses.
const VARIANT_INTS: &[i64] = &[0, 1, 2, 3, 5, 101, -1];

impl Case {
    /// The same document with another viewer and other variables: Boolean variables of
    /// directives flipped, other page sizes (some refused), cursors, usernames and tag
    /// names; `None` when nothing changes. Sent after the case, when the server has the
    /// document's plan, it checks that the plan reads each request's viewer and variables
    /// (not those it was planned with), and gives refused ones back to the generic path.
    pub fn variant(&self) -> Option<Self> {
        if self.variant.is_empty() {
            return None;
        }
        let mut variant = self.clone();
        let mut picks = self.variant.iter().cycle();
        let mut changed = false;
        variant.viewer = picks.next()?.index(4);
        changed |= variant.viewer != self.viewer;
        walk(&mut variant.root, &mut picks, &mut changed);
        changed.then_some(variant)
    }
}

/// Changes what [`Case::variant`] changes in `sels`, taking a pick for each.
fn walk<'p>(sels: &mut [Sel], picks: &mut impl Iterator<Item = &'p Index>, changed: &mut bool) {
    for sel in sels {
        let (cond, sub) = match sel {
            Sel::Field {
                args, cond, sub, ..
            } => {
                for arg in args
                    .iter_mut()
                    .filter(|a| matches!(a.passing, Passing::Variable))
                {
                    let Some(pick) = picks.next() else { return };
                    let new = match (&arg.value, arg.name) {
                        (Input::Int(_), _) => Input::Int(*pick.get(VARIANT_INTS)),
                        (Input::Cursor(ordering, _), _) => Input::Cursor(ordering, *pick),
                        (Input::Str(_), "username") => Input::Str(pick.get::<&str>(USERNAMES)),
                        (Input::Str(_), "name") => Input::Str(pick.get::<&str>(TAG_NAMES)),
                        _ => continue,
                    };
                    *changed |= format!("{new:?}") != format!("{:?}", arg.value);
                    arg.value = new;
                }
                (cond, sub)
            }
            Sel::Fragment { cond, sub, .. } => (cond, sub),
        };
        if let Some(cond) = cond.as_mut().filter(|c| c.variable) {
            let Some(pick) = picks.next() else { return };
            let flip = pick.index(2) == 1;
            *changed |= flip;
            cond.value ^= flip;
        }
        walk(sub, picks, changed);
    }
}

/// A field without alias, arguments or directive.
pub fn leaf_field(name: &'static str, sub: Vec<Sel>) -> Sel {
    Sel::Field {
        alias: None,
        name,
        args: Vec::new(),
        cond: None,
        sub,
    }
}

/// An argument.
pub fn arg(name: &'static str, ty: &'static str, value: Input, passing: Passing) -> Arg {
    Arg {
        name,
        ty,
        value,
        passing,
    }
}
