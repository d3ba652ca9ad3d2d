//! Arbitrary requests through the whole request path (`fuzz::Harness`: the real router over
//! SQLite, in process): admission, parsing, validation, limits and execution. Whatever comes
//! in, the answer is JSON, never INTERNAL, never a 5xx but 503, and the process survives.
//!
//! An input that starts like JSON and unlike a document (`[`, or `{` then `"` or `}`) is
//! sent as the body itself (anonymous), for the body's decoding. Otherwise it is `document \0 variables \0 operationName` (the variables
//! as JSON when they parse, left out when they do not), signed in when it starts with `!`;
//! the request's JSON is written by serde_json, so that the document reaches the parser.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let harness = fuzz::harness();
    if is_json_body(data) {
        fuzz::check(&harness.post(data.to_vec(), None));
        return;
    }
    let (signed_in, rest) = match data {
        [b'!', rest @ ..] => (true, rest),
        _ => (false, data),
    };
    let mut parts = rest.splitn(3, |byte| *byte == 0);
    let document = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let mut request = Map::new();
    request.insert("query".into(), Value::String(document.into_owned()));
    if let Some(variables) = parts.next() {
        if let Ok(variables) = serde_json::from_slice::<Value>(variables) {
            request.insert("variables".into(), variables);
        }
    }
    if let Some(name) = parts.next() {
        let name = String::from_utf8_lossy(name).into_owned();
        request.insert("operationName".into(), Value::String(name));
    }
    let body = Value::Object(request).to_string().into_bytes();
    let token = signed_in.then_some(harness.token.as_str());
    fuzz::check(&harness.post(body, token));
});

fn is_json_body(data: &[u8]) -> bool {
    let mut bytes = data.iter().filter(|b| !b.is_ascii_whitespace());
    match bytes.next() {
        Some(b'[') => true,
        Some(b'{') => matches!(bytes.next(), Some(b'"' | b'}')),
        _ => false,
    }
}
