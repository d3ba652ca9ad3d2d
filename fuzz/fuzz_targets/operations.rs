//! Structure-aware: the contract's real operations (every root field, as clients send them),
//! changed the way an attacker would: a list, an input object, a selection or parentheses
//! nested thousands of levels deep, a list's first element (a variable, an input object)
//! repeated thousands of times, the root selection under thousands of aliases, fragments
//! spread into each other (in a chain, doubling, or in a cycle), a string variable blown up
//! to a megabyte. Sent through the whole request path (`fuzz::Harness`), with the same
//! assertions as the `request` target.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// Documents past this size are not made bigger: the body limit (1 MiB) already refuses
/// them, and building them costs the fuzzer time.
const MAX_DOCUMENT: usize = 1_100_000;
/// Changes applied to one operation.
const MAX_CHANGES: usize = 4;

/// One operation and the changes made to it. Decoded a byte per choice (not with the
/// derived `Arbitrary`, whose enum tags take four bytes each), so that short inputs already
/// make several changes and the fuzzer reaches the large counts in seconds.
#[derive(Debug)]
struct Input {
    operation: usize,
    signed_in: bool,
    changes: Vec<Change>,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let operation = u.arbitrary::<u8>()?.into();
        let signed_in = u.arbitrary()?;
        let mut changes = Vec::new();
        while !u.is_empty() && changes.len() < MAX_CHANGES {
            changes.push(Change::arbitrary(u)?);
        }
        Ok(Self {
            operation,
            signed_in,
            changes,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Change {
    /// The first list literal, nested this much deeper (`[[[["x"]]]]`).
    NestList(usize),
    /// A new argument holding input objects nested this deep.
    NestObject(usize),
    /// The root selection set, nested this deep with fields the schema does not have.
    NestSelection(usize),
    /// A real cycle of the schema (`todos { nodes { owner { ...`), this deep.
    NestRealSelection(usize),
    /// Parentheses nested this deep.
    NestParentheses(usize),
    /// The first list literal's first element (often a variable) repeated this many times.
    RepeatElement(usize),
    /// The root selection repeated under this many aliases.
    Aliases(usize),
    /// The root selection moved into a chain of fragments of this length.
    Fragments {
        length: usize,
        /// Each fragment spreads the next twice.
        doubling: bool,
        /// The last fragment spreads the first.
        cycle: bool,
    },
    /// The first string variable, this many bytes long.
    BigString(usize),
    /// The first list in the variables (or the first string variable), nested this deep.
    NestVariable(usize),
}

impl<'a> Arbitrary<'a> for Change {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let kind = u.arbitrary::<u8>()? % 10;
        let n = count(u)?;
        Ok(match kind {
            0 => Self::NestList(n),
            1 => Self::NestObject(n),
            2 => Self::NestSelection(n),
            3 => Self::NestRealSelection(n),
            4 => Self::NestParentheses(n),
            5 => Self::RepeatElement(n),
            6 => Self::Aliases(n),
            7 => {
                let flags = u.arbitrary::<u8>()?;
                Self::Fragments {
                    length: n,
                    doubling: flags & 1 == 1,
                    cycle: flags & 2 == 2,
                }
            }
            8 => {
                let sizes = [0, 1_000, 10_001, 100_000, 500_000, 1_000_000];
                Self::BigString(sizes[n % sizes.len()])
            }
            _ => Self::NestVariable(n),
        })
    }
}

/// A count, biased towards the sizes that matter: the limits' neighbourhoods and far past.
fn count(u: &mut Unstructured<'_>) -> arbitrary::Result<usize> {
    let pick = u.arbitrary::<u8>()?;
    Ok(match pick % 8 {
        0 => usize::from(pick / 8) % 10 + 1,
        1 => 100,
        2 => 1_000,
        3 => 2_000,
        4 => 5_000,
        5 => 10_000,
        6 => 100_000,
        _ => usize::from(u.arbitrary::<u16>()? % 4_096),
    })
}

/// The operations, with their variables, from what the harness arranged.
fn operations(h: &fuzz::Harness) -> Vec<(&'static str, Value)> {
    vec![
        (
            "query($id: ID!) { node(id: $id) { id ... on Todo { title tags { name } owner { username } } } }",
            json!({ "id": h.todo_id }),
        ),
        ("{ nodes(ids: [\"x\"]) { id } }", json!({})),
        (
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { username } ... on Tag { name } } }",
            json!({ "ids": [h.todo_id, h.user_id, h.tag_id] }),
        ),
        (
            "{ viewer { id username email todos(first: 5, filter: { completed: false, priority: [HIGH, MEDIUM] }) { totalCount nodes { title tags { name } } } preferences { theme } } }",
            json!({}),
        ),
        (
            "query($s: String) { users(first: 10, search: $s) { totalCount edges { cursor node { username } } pageInfo { hasNextPage endCursor } } }",
            json!({ "s": "fuzz" }),
        ),
        (
            "query($u: String!) { user(username: $u) { id username bio todos { totalCount } } }",
            json!({ "u": "fuzzer" }),
        ),
        (
            "query($t: String!) { todos(filter: { tags: [$t, $t], search: \"f\" }, orderBy: { field: DUE_DATE, direction: ASC }) { totalCount nodes { id title history { nodes { action } } } } }",
            json!({ "t": "home" }),
        ),
        (
            "query($n: String!) { tag(name: $n) { id name todos(first: 3) { nodes { title } } } }",
            json!({ "n": "home" }),
        ),
        (
            "{ tags(first: 10, search: \"o\") { nodes { name color } pageInfo { hasNextPage } } }",
            json!({}),
        ),
        (
            "subscription { todoEvents { kind todo { id } } }",
            json!({}),
        ),
        (
            "mutation($i: SignUpInput!) { signUp(input: $i) { token user { id } } }",
            json!({ "i": { "email": "someone@example.com", "username": "someone", "password": "password123" } }),
        ),
        (
            "mutation($l: String!) { logIn(input: { login: $l, password: \"password123\" }) { user { username } } }",
            json!({ "l": "fuzzer" }),
        ),
        ("mutation { logOut }", json!({})),
        (
            "mutation($b: String) { updateProfile(input: { bio: $b }) { bio } }",
            json!({ "b": "hello" }),
        ),
        (
            "mutation { updatePreferences(input: { theme: DARK, notifications: { email: true, frequency: DAILY }, layout: { compact: true } }) { theme } }",
            json!({}),
        ),
        (
            "mutation($t: String!, $d: String) { createTodo(input: { title: $t, description: $d, tags: [\"a\", \"b\"] }) { id tags { name } } }",
            json!({ "t": "todo", "d": "details" }),
        ),
        (
            "mutation($d: String, $t: String!) { createTodos(input: [{ title: \"a\", description: $d }, { title: \"b\", tags: [$t] }]) { id owner { todos(first: 100) { nodes { description } } } } }",
            json!({ "d": "details", "t": "home" }),
        ),
        (
            "mutation($id: ID!) { updateTodo(input: { id: $id, title: \"renamed\", expectedVersion: 1 }) { version } }",
            json!({ "id": h.todo_id }),
        ),
        (
            "mutation($id: ID!) { toggleTodo(id: $id) { completed } }",
            json!({ "id": h.todo_id }),
        ),
        (
            "mutation($id: ID!) { deleteTodo(id: $id) { deletedAt } }",
            json!({ "id": h.todo_id }),
        ),
        (
            "mutation($id: ID!) { restoreTodo(id: $id) { deletedAt } }",
            json!({ "id": h.todo_id }),
        ),
        (
            "mutation { deleteCompletedTodos { deletedCount deletedIds } }",
            json!({}),
        ),
        (
            "mutation($id: ID!, $u: ID!) { transferTodo(id: $id, toUserId: $u) { id } }",
            json!({ "id": h.todo_id, "u": h.user_id }),
        ),
        (
            "mutation($id: ID!, $t: String!) { setTodoTags(id: $id, tags: [\"x\", $t]) { tags { name } } }",
            json!({ "id": h.todo_id, "t": "home" }),
        ),
        (
            "mutation($n: String!) { createTag(input: { name: $n, color: \"#ffffff\" }) { id } }",
            json!({ "n": "new" }),
        ),
        (
            "mutation($id: ID!) { updateTag(input: { id: $id, name: \"fuzz\" }) { name } }",
            json!({ "id": h.tag_id }),
        ),
        (
            "mutation($id: ID!) { deleteTag(id: $id) { id } }",
            json!({ "id": h.tag_id }),
        ),
    ]
}

fuzz_target!(|input: Input| {
    let harness = fuzz::harness();
    let operations = operations(harness);
    let (document, mut variables) = {
        let (document, variables) = &operations[input.operation % operations.len()];
        (document.to_string(), variables.clone())
    };
    let mut document = document;
    for change in input.changes.iter().take(MAX_CHANGES) {
        if let Some(changed) = apply(*change, &document, &mut variables) {
            if changed.len() <= MAX_DOCUMENT {
                document = changed;
            }
        }
    }
    // logOut would end the session every other operation uses.
    let signed_in = input.signed_in && !document.contains("logOut");
    let body = json!({ "query": document, "variables": variables }).to_string();
    let token = signed_in.then_some(harness.token.as_str());
    let first = harness.post(body.clone().into_bytes(), token);
    fuzz::check(&first);
    // A query that ran without errors is planned for the compiled path
    // (api/src/schema/compiled.rs), which answers it when it is sent again: nothing has
    // changed in between, so the answer must be the same. As JSON values, whose objects
    // are compared regardless of key order: async-graphql resolves some sibling fields
    // concurrently (an interface's, the root's), so its own answers come in either order
    // (tests/tests/suite/compiled.rs compares the compiled path's order exactly).
    let query = document.trim_start().starts_with('{') || document.trim_start().starts_with("query");
    if query && first.status.is_success() && !first.body.windows(9).any(|w| w == b"\"errors\":") {
        let again = harness.post(body.into_bytes(), token);
        fuzz::check(&again);
        let json = |body: &[u8]| serde_json::from_slice::<Value>(body).ok();
        assert_eq!(
            json(&again.body),
            json(&first.body),
            "the same query answered differently the second time: {} then {}",
            String::from_utf8_lossy(&first.body),
            String::from_utf8_lossy(&again.body),
        );
    }
});

/// Whether `n` copies of `bytes` stay within [`MAX_DOCUMENT`]: checked before building
/// them, so that the harness itself never allocates gigabytes (libFuzzer's memory limit
/// counts the whole process, harness included).
fn fits(n: usize, bytes: usize) -> bool {
    n.checked_mul(bytes)
        .is_some_and(|total| total <= MAX_DOCUMENT)
}

/// The document with `change` made (variables are changed in place); `None` when the
/// change does not apply to this document.
fn apply(change: Change, document: &str, variables: &mut Value) -> Option<String> {
    match change {
        Change::NestList(n) => {
            let open = find(document, b'[', 0)?;
            let close = matching(document, open)?;
            Some(splice2(
                document,
                open + 1,
                &"[".repeat(n),
                close,
                &"]".repeat(n),
            ))
        }
        Change::NestObject(n) => {
            let at = find(document, b'(', 0)? + 1;
            let value = format!("nested: {}1{}, ", "{a: ".repeat(n), "}".repeat(n));
            Some(splice(document, at, &value))
        }
        Change::NestSelection(n) => {
            let at = find(document, b'{', 0)? + 1;
            Some(splice(
                document,
                at,
                &format!(" {}id{} ", "f { ".repeat(n), " }".repeat(n)),
            ))
        }
        Change::NestRealSelection(n) => {
            let at = find(document, b'{', 0)? + 1;
            let n = n.div_ceil(3);
            let (head, tail) = if document.starts_with("mutation") {
                ("createTodos(input: []) { ", " }")
            } else {
                ("viewer { ", " }")
            };
            let inner = format!(
                "{}id{}",
                "todos(first: 1) { nodes { owner { ".repeat(n),
                " } } }".repeat(n)
            );
            let inner = if head.starts_with("create") {
                format!("owner {{ {inner} }}")
            } else {
                inner
            };
            Some(splice(document, at, &format!(" {head}{inner}{tail} ")))
        }
        Change::NestParentheses(n) => {
            let at = find(document, b'(', 0).or_else(|| find(document, b'{', 0))? + 1;
            Some(splice(
                document,
                at,
                &format!("{}{}", "(".repeat(n), ")".repeat(n)),
            ))
        }
        Change::RepeatElement(n) => {
            let open = find(document, b'[', 0)?;
            let close = matching(document, open)?;
            let end = element_end(document, open + 1, close);
            let element = document[open + 1..end].trim();
            if element.is_empty() || !fits(n, element.len() + 2) {
                return None;
            }
            let list = vec![element; n].join(", ");
            Some(format!(
                "{}{list}{}",
                &document[..=open],
                &document[close..]
            ))
        }
        Change::Aliases(n) => {
            let open = find(document, b'{', 0)?;
            let close = matching(document, open)?;
            let body = document[open + 1..close].trim();
            if !fits(n, body.len() + 8) {
                return None;
            }
            let aliased: Vec<String> = (0..n).map(|i| format!("a{i}: {body}")).collect();
            Some(format!(
                "{}{}{}",
                &document[..=open],
                aliased.join(" "),
                &document[close..]
            ))
        }
        Change::Fragments {
            length,
            doubling,
            cycle,
        } => {
            let open = find(document, b'{', 0)?;
            let close = matching(document, open)?;
            let body = &document[open + 1..close];
            let on = if document.starts_with("mutation") {
                "Mutation"
            } else if document.starts_with("subscription") {
                "Subscription"
            } else {
                "Query"
            };
            let mut fragments = String::new();
            for i in 0..length {
                let next = format!("...F{}", i + 1);
                let spreads = if doubling {
                    format!("{next} {next}")
                } else {
                    next
                };
                fragments.push_str(&format!(" fragment F{i} on {on} {{ {spreads} }}"));
                if fragments.len() > MAX_DOCUMENT {
                    return None;
                }
            }
            let back = if cycle { " ...F0" } else { "" };
            fragments.push_str(&format!(" fragment F{length} on {on} {{ {body}{back} }}"));
            Some(format!(
                "{} ...F0 {}{fragments}",
                &document[..=open],
                &document[close..]
            ))
        }
        Change::BigString(bytes) => {
            let slot = first_string(variables)?;
            *slot = Value::String("x".repeat(bytes));
            None
        }
        Change::NestVariable(n) => {
            let slot = match first_array(variables) {
                Some(slot) => slot,
                None => first_string(variables)?,
            };
            let mut value = slot.take();
            // The server refuses JSON nested past 128 levels as it reads the body, so deeper
            // tests nothing more, while serializing and dropping a `Value` recurse: 100,000
            // levels overflowed this process's own stack.
            for _ in 0..n.min(1_000) {
                value = Value::Array(vec![value]);
            }
            *slot = value;
            None
        }
    }
}

/// The first `byte` at or after `from` outside string literals.
fn find(document: &str, byte: u8, from: usize) -> Option<usize> {
    scan(document, from)
        .find(|&(_, b)| b == byte)
        .map(|(i, _)| i)
}

/// The bracket closing the one at `open`, outside string literals.
fn matching(document: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in scan(document, open) {
        match b {
            b'[' | b'{' | b'(' => depth += 1,
            b']' | b'}' | b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the list element starting at `from` ends: the first `,` or the list's end at
/// nesting level 0.
fn element_end(document: &str, from: usize, close: usize) -> usize {
    let mut depth = 0usize;
    for (i, b) in scan(document, from) {
        if i >= close {
            break;
        }
        match b {
            b'[' | b'{' | b'(' => depth += 1,
            b']' | b'}' | b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => return i,
            _ => {}
        }
    }
    close
}

/// The bytes from `from` on, with their positions, skipping string literals.
fn scan(document: &str, from: usize) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut in_string = false;
    let mut escaped = false;
    document
        .bytes()
        .enumerate()
        .skip(from)
        .filter(move |&(_, b)| {
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                false
            } else if b == b'"' {
                in_string = true;
                false
            } else {
                true
            }
        })
}

fn splice(document: &str, at: usize, text: &str) -> String {
    format!("{}{text}{}", &document[..at], &document[at..])
}

fn splice2(document: &str, at: usize, text: &str, at2: usize, text2: &str) -> String {
    format!(
        "{}{text}{}{text2}{}",
        &document[..at],
        &document[at..at2],
        &document[at2..]
    )
}

fn first_string(value: &mut Value) -> Option<&mut Value> {
    match value {
        Value::String(_) => Some(value),
        Value::Array(items) => items.iter_mut().find_map(first_string),
        Value::Object(fields) => fields.values_mut().find_map(first_string),
        _ => None,
    }
}

fn first_array(value: &mut Value) -> Option<&mut Value> {
    match value {
        Value::Array(_) => Some(value),
        Value::Object(fields) => fields.values_mut().find_map(first_array),
        _ => None,
    }
}
