//! What a request must pass before anything parses its document: the linear scan of its
//! text (`scan.rs`: length, tokens, nesting) and the memory budget of its variables, as
//! TOO_COMPLEX errors. Called wherever a document's text arrives: `params::prepare` (HTTP),
//! `QueryLimits::admit` (every transport), APQ registration and the trusted-documents
//! manifest at start.

use async_graphql::{Name, Pos, ServerError, Value, Variables};

use super::{
    error_codes::too_complex,
    scan::{Exceeded, Scan, ScanLimits, scan},
};
use crate::config::LimitsConfig;

/// The limits of the scan of a document's text.
pub fn scan_limits(limits: &LimitsConfig) -> ScanLimits {
    ScanLimits {
        max_bytes: limits.max_query_length,
        max_tokens: limits.max_query_tokens,
        max_nesting: limits.max_query_nesting,
    }
}

/// Checks a document's text before anything parses it: its length, tokens and nesting
/// (TOO_COMPLEX). Linear in the text and free of recursion, so it is safe on any input.
pub fn screen_text<'a>(limits: &LimitsConfig, query: &'a str) -> Result<Scan<'a>, ServerError> {
    scan(query, &scan_limits(limits)).map_err(|exceeded| match exceeded {
        Exceeded::Bytes { length, limit } => too_complex(
            format!("the query is longer than {limit} bytes"),
            [("length", length as u64), ("limit", limit as u64)],
        ),
        Exceeded::Tokens { limit } => too_complex(
            format!("the query has more than {limit} tokens"),
            [("limit", limit as u64)],
        ),
        Exceeded::Nesting {
            limit,
            line,
            column,
        } => {
            let mut error = too_complex(
                format!(
                    "the query nests brackets, braces and parentheses deeper than {limit} \
                     levels"
                ),
                [("nesting", limit as u64 + 1), ("limit", limit as u64)],
            );
            error.locations = vec![Pos { line, column }];
            error
        }
    })
}

/// [`screen_text`], then the memory budget of the variables: each one's size in memory
/// times how often the document uses it (async-graphql copies a variable at each use, in
/// validation and again when the argument is read), at most `max_variable_bytes`
/// (TOO_COMPLEX). Everything a request must pass before it is parsed. Returns the text's
/// token count.
pub fn screen(
    limits: &LimitsConfig,
    query: &str,
    variables: &Variables,
) -> Result<usize, ServerError> {
    let scan = screen_text(limits, query)?;
    let mut total = 0u64;
    let mut heaviest: Option<(&str, u64, u64)> = None;
    for (&name, &uses) in &scan.variable_uses {
        let Some(value) = variables.get(name) else {
            continue;
        };
        let bytes = value_bytes(value);
        let weight = bytes.saturating_mul(uses);
        total = total.saturating_add(weight);
        if heaviest.is_none_or(|(_, bytes, uses)| bytes.saturating_mul(uses) < weight) {
            heaviest = Some((name, bytes, uses));
        }
    }
    let limit = limits.max_variable_bytes;
    match heaviest {
        Some((name, bytes, uses)) if total > limit => Err(too_complex(
            format!(
                "the variables would take {total} bytes once copied to every place the \
                 document uses them (${name}: {bytes} bytes, used {uses} times); the limit \
                 is {limit}: use each large variable once"
            ),
            [("variableBytes", total), ("limit", limit)],
        )),
        _ => Ok(scan.tokens),
    }
}

/// The bytes `value` takes in memory, as a copy of it allocates them: a slot per value
/// and per object entry, plus each string's text. A loop over a stack of its parts, not
/// a recursion: variables may nest as deeply as their JSON decoder lets them.
fn value_bytes(value: &Value) -> u64 {
    const SLOT: u64 = std::mem::size_of::<Value>() as u64;
    const ENTRY: u64 = (std::mem::size_of::<Name>() + 2 * std::mem::size_of::<usize>()) as u64;
    let mut bytes = 0u64;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        bytes = bytes.saturating_add(SLOT);
        match value {
            Value::String(text) => bytes = bytes.saturating_add(text.len() as u64),
            Value::List(items) => stack.extend(items),
            Value::Object(fields) => {
                bytes = bytes.saturating_add(ENTRY.saturating_mul(fields.len() as u64));
                stack.extend(fields.values());
            }
            // Numbers and booleans live in their slot; names and binary data are shared
            // (reference-counted), not copied.
            Value::Null
            | Value::Number(_)
            | Value::Boolean(_)
            | Value::Enum(_)
            | Value::Binary(_) => {}
        }
    }
    bytes
}
