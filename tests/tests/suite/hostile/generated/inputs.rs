//! Generators of hostile input: strings that break naive SQL, LIKE patterns, encodings and
//! renderers; numbers outside every range; IDs and cursors that are malformed, forged, of
//! the wrong type or someone else's; JSON of any shape.

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use proptest::{
    collection::vec,
    prelude::*,
    sample::{Index, select},
};
use serde_json::{Value, json};

use tests::cursors::ORDERINGS;

use super::arena::gid;

/// Strings known to hurt somewhere: SQL and LIKE metacharacters, NUL and other control
/// characters, bidirectional overrides, combining marks, astral characters, look-alikes.
const NASTY: &[&str] = &[
    "'",
    "\"",
    ";",
    "--",
    "%",
    "_",
    "\\",
    "\\%",
    "%_%",
    "' OR '1'='1",
    "'; DROP TABLE todos; --",
    "\" OR 1=1 --",
    "SELECT * FROM users",
    "1; DELETE FROM todos WHERE 1=1",
    "\0",
    "a\0b",
    "\r\n\t\u{b}\u{c}",
    "\u{1}\u{1f}\u{7f}\u{80}\u{9f}",
    "\u{202e}gnp.exe",
    "\u{200f}\u{05e9}\u{05dc}\u{05d5}\u{05dd}\u{200e}",
    "\u{0627}\u{0644}\u{0639}\u{0631}\u{0628}\u{064a}\u{0629}",
    "e\u{301}\u{301}\u{301}\u{301}",
    "Z\u{36b}\u{343}\u{36a}\u{302}\u{36b}",
    "\u{1f600}\u{1f469}\u{200d}\u{1f469}\u{200d}\u{1f467}",
    "\u{1d573}\u{1d58a}\u{1d591}\u{1d591}\u{1d594}",
    "\u{10ffff}\u{e000}\u{fffd}\u{feff}",
    "\u{130}\u{131}\u{df}\u{1e9e}",
    "",
    " ",
    "\u{a0}\u{3000}",
    "null",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "Work",
    "HOME",
    "victim",
    "mallory",
];

fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range('\0', '\u{1f}'),
        select(
            &[
                '\'', '"', ';', '-', '%', '_', '\\', '\u{7f}', '\u{200b}', '\u{202e}'
            ][..]
        ),
        proptest::char::range('\u{300}', '\u{36f}'),
        proptest::char::range('\u{590}', '\u{6ff}'),
        proptest::char::range('\u{1f300}', '\u{1faff}'),
        proptest::char::range('\u{10000}', '\u{10ffff}'),
        proptest::char::range('a', 'z'),
        any::<char>(),
    ]
}

/// A hostile string: a known-bad one, generated characters, both, a long run (past every
/// length limit), or one with a NUL inside (which PostgreSQL's text cannot hold).
pub fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(NASTY).prop_map(str::to_owned),
        3 => vec(nasty_char(), 0..24).prop_map(String::from_iter),
        2 => (select(NASTY), vec(nasty_char(), 0..8), select(NASTY))
            .prop_map(|(a, b, c)| format!("{a}{}{c}", String::from_iter(b))),
        1 => (nasty_char(), 0usize..1200).prop_map(|(c, n)| c.to_string().repeat(n)),
        2 => (vec(nasty_char(), 0..6), vec(nasty_char(), 0..6))
            .prop_map(|(a, b)| format!("{}\0{}", String::from_iter(a), String::from_iter(b))),
    ]
}

/// A few hostile strings (tag lists).
pub fn strings() -> impl Strategy<Value = Vec<String>> {
    vec(string(), 0..4)
}

/// A JSON number: boundaries of i32 and i64, negatives, fractions, huge magnitudes.
pub fn number() -> impl Strategy<Value = Value> {
    let edges: Vec<i64> = vec![
        0,
        1,
        -1,
        100,
        101,
        i64::from(i32::MAX),
        i64::from(i32::MIN),
        i64::from(i32::MAX) + 1,
        i64::from(i32::MIN) - 1,
        i64::MAX,
        i64::MIN,
    ];
    prop_oneof![
        3 => select(edges).prop_map(Value::from),
        3 => (-3i64..120).prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => Just(json!(u64::MAX)),
        1 => select(vec![1.5, -0.0, 1e300, -1e300, 2147483647.5]).prop_map(Value::from),
    ]
}

/// A DateTime argument: extreme, impossible and malformed instants, or any string.
pub fn datetime() -> impl Strategy<Value = Value> {
    let odd = vec![
        "2026-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "-0001-01-01T00:00:00Z",
        "+262143-12-31T23:59:59Z",
        "2026-02-30T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2016-12-31T23:59:60Z",
        "2026-01-01T00:00:00.1234567890123Z",
        "2026-01-01T00:00:00+99:99",
        "2026-01-01",
        "2026-01-01T00:00:00",
        "1e10",
    ];
    prop_oneof![
        3 => select(odd).prop_map(Value::from),
        1 => string().prop_map(Value::from),
        1 => number(),
    ]
}

/// What goes after `Type:` inside an ID.
fn id_text() -> impl Strategy<Value = String> {
    let odd = vec![
        "",
        "abc",
        "1:2",
        " 1",
        "1 ",
        "01",
        "+1",
        "-0",
        "1e3",
        "0x10",
        "\u{661}",
        "NaN",
        "99999999999999999999",
    ];
    prop_oneof![
        2 => number().prop_map(|n| n.to_string()),
        2 => select(odd).prop_map(str::to_owned),
        1 => string(),
    ]
}

/// A global ID: a real one (anyone's, any type), one forged from a type name and an id,
/// base64 of garbage (both alphabets), a real one with junk appended, or any string.
pub fn id(known: Vec<String>) -> impl Strategy<Value = String> {
    let types = vec![
        "Todo",
        "User",
        "Tag",
        "TodoHistoryEntry",
        "Node",
        "todo",
        "",
        "Todo ",
        "PageInfo",
    ];
    prop_oneof![
        4 => select(known.clone()),
        3 => (select(types), id_text()).prop_map(|(t, n)| gid(t, n)),
        1 => vec(any::<u8>(), 0..32).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        1 => vec(any::<u8>(), 0..32).prop_map(|b| STANDARD.encode(b)),
        1 => (select(known), string()).prop_map(|(k, s)| k + &s),
        1 => string(),
    ]
}

/// A cursor's sort key as serialized: the right kind for its ordering or not.
fn sort_key() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => datetime().prop_map(|t| json!({ "t": t })),
        2 => string().prop_map(|s| json!({ "s": s })),
        2 => number().prop_map(|n| json!({ "n": n })),
        1 => Just(json!("z")),
        1 => any_json(),
    ]
}

/// A cursor forged for `ordering` (the list's own one, so that it gets past the ordering
/// check and its key reaches the SQL), with a key of any kind and any id.
pub fn forged_cursor(ordering: &'static str) -> impl Strategy<Value = String> {
    (
        prop_oneof![4 => Just(ordering), 1 => select(ORDERINGS)],
        sort_key(),
        number(),
    )
        .prop_map(|(o, k, i)| URL_SAFE_NO_PAD.encode(json!({ "o": o, "k": k, "i": i }).to_string()))
}

/// A cursor: real (of any list), forged, base64 of garbage or of other JSON, truncated, or
/// any string.
pub fn cursor(known: Vec<String>, ordering: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(known.clone()),
        4 => forged_cursor(ordering),
        1 => vec(any::<u8>(), 0..48).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        1 => any_json().prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
        1 => (select(known), any::<Index>()).prop_map(|(k, i)| k[..i.index(k.len())].to_owned()),
        1 => string(),
    ]
}

/// Any JSON value, nested a little: for variables of the wrong type.
pub fn any_json() -> impl Strategy<Value = Value> {
    let leaf = || {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            number(),
            string().prop_map(Value::from),
        ]
    };
    let keys = || select(vec!["id", "title", "first", "__proto__", "a"]);
    prop_oneof![
        4 => leaf(),
        1 => vec(leaf(), 0..3).prop_map(Value::from),
        1 => vec(vec(leaf(), 0..2).prop_map(Value::from), 0..2).prop_map(Value::from),
        1 => vec((keys(), leaf()), 0..3).prop_map(|fields| {
            Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        }),
    ]
}

/// An enum value: usually a valid one (so the request executes), sometimes not.
pub fn enum_value(valid: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => select(valid).prop_map(Value::from),
        1 => string().prop_map(Value::from),
        1 => any_json(),
    ]
}
