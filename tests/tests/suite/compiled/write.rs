//! How a generated case is written as a GraphQL request, and in which order the fields of
//! its answer must come.
//!
//! Writing a case decides the rest: which arguments go in as literals and which as
//! variables (with or without a default, sent or not), which fragments become named
//! fragment definitions, and which real cursor an `after`/`before` takes (picked by index,
//! so that it shrinks too).

use async_graphql::{Name, Value as Answer, indexmap::IndexMap};
use proptest::sample::Index;
use serde_json::{Map, Value, json};

use super::{
    case::{Arg, Case, Cond, Form, Input, Naming, Passing, Sel},
    seed::Cursors,
};

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

/// Writes cases out as requests.
pub struct Writer<'a> {
    /// Real cursors, for `after`/`before`.
    cursors: &'a Cursors,
    definitions: Vec<String>,
    values: Map<String, Value>,
    fragments: Vec<String>,
}

impl<'a> Writer<'a> {
    /// Writes `case` with cursors from `cursors`.
    pub fn write(cursors: &'a Cursors, case: &Case) -> Request {
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

/// The answer `body` with every object under its `data` in the order `root` answers its
/// fields (GraphQL's CollectFields, see [`collect`]) and its errors sorted, serialized again
/// as the server serializes (serde_json, keys in order); `None` when it is not JSON. With
/// `root` `None`, `data` keeps its order.
pub fn canonical(body: &[u8], root: Option<&[Sel]>) -> Option<Vec<u8>> {
    let mut answer: Answer = serde_json::from_slice(body).ok()?;
    if let Answer::Object(top) = &mut answer {
        if let (Some(root), Some(data)) = (root, top.get_mut("data")) {
            let unordered = std::mem::replace(data, Answer::Null);
            *data = in_order(unordered, &root.iter().collect::<Vec<_>>());
        }
        if let Some(Answer::List(errors)) = top.get_mut("errors") {
            errors.sort_by_cached_key(|error| serde_json::to_string(error).unwrap_or_default());
        }
    }
    serde_json::to_vec(&answer).ok()
}

/// `value` with each object's keys in the order `sels` answers them; keys the selection
/// does not know stay, at the end (so that the comparison shows them).
fn in_order(value: Answer, sels: &[&Sel]) -> Answer {
    match value {
        Answer::Object(mut unordered) => {
            let mut fields = Vec::new();
            collect(sels.iter().copied(), &mut fields);
            let mut ordered = IndexMap::new();
            for (key, subs) in fields {
                if let Some(value) = unordered.shift_remove(key) {
                    ordered.insert(Name::new(key), in_order(value, &subs));
                }
            }
            ordered.extend(unordered);
            Answer::Object(ordered)
        }
        Answer::List(items) => Answer::List(items.into_iter().map(|i| in_order(i, sels)).collect()),
        other => other,
    }
}

/// The response keys `sels` answer, in the order the spec's CollectFields gives: where each
/// key first appears, with fragments flattened where they stand and what `@include`/`@skip`
/// leaves out left out; each with the selections of all its occurrences, merged. Every
/// fragment here applies (its type condition is the type it is in, or an interface of it).
fn collect<'s>(sels: impl IntoIterator<Item = &'s Sel>, out: &mut Vec<(&'s str, Vec<&'s Sel>)>) {
    for sel in sels {
        match sel {
            Sel::Field {
                alias,
                name,
                cond,
                sub,
                ..
            } => {
                if !Cond::lets_through(cond.as_ref()) {
                    continue;
                }
                let key = alias.as_deref().unwrap_or(name);
                match out.iter_mut().find(|(seen, _)| *seen == key) {
                    Some((_, subs)) => subs.extend(sub),
                    None => out.push((key, sub.iter().collect())),
                }
            }
            Sel::Fragment { cond, sub, .. } => {
                if Cond::lets_through(cond.as_ref()) {
                    collect(sub, out);
                }
            }
        }
    }
}
