//! One pass over a GraphQL document's text, before anything parses it: its length, its
//! tokens and how deeply its brackets, braces and parentheses nest (outside strings,
//! block strings and comments), and how often each variable is used.
//!
//! async-graphql's parser and validator recurse once per level of nesting, so a few
//! kilobytes of `[[[[…` overflow a thread's stack, whatever the stack's size. This scan is
//! a loop over bytes with a counter, never a recursion, so the documents that reach the
//! parser are shallow enough for it by construction.
//!
//! The lexing follows async-graphql's grammar (`graphql.pest`) wherever it decides what is
//! inside a string, so that no bracket the parser sees is hidden from the count. Anything
//! else it only needs to approximate: a document it miscounts is one the parser refuses.

use std::collections::HashMap;

/// How much of a document the scan lets through.
#[derive(Debug, Clone, Copy)]
pub struct ScanLimits {
    /// Most bytes.
    pub max_bytes: usize,
    /// Most tokens (names, numbers, strings, punctuators; commas and comments are not
    /// tokens, as in the GraphQL spec).
    pub max_tokens: usize,
    /// Deepest nesting of `[]`, `{}` and `()` together.
    pub max_nesting: usize,
}

/// What the scan found in a document within its limits.
#[derive(Debug, Default)]
pub struct Scan<'a> {
    /// Tokens counted.
    pub tokens: usize,
    /// Deepest nesting reached.
    pub nesting: usize,
    /// How often each variable is used (its definitions, `$name:`, are not uses), across
    /// all the document's operations and fragments.
    pub variable_uses: HashMap<&'a str, u64>,
}

/// Why the scan stopped: the first limit the document went over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exceeded {
    /// Longer than `max_bytes`.
    Bytes {
        /// The document's length.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// More than `max_tokens` tokens; the scan stopped at the first one over.
    Tokens {
        /// The limit.
        limit: usize,
    },
    /// Nested deeper than `max_nesting`.
    Nesting {
        /// The limit.
        limit: usize,
        /// Line (from 1) of the bracket that went over it.
        line: usize,
        /// Column (from 1, in characters) of that bracket.
        column: usize,
    },
}

/// Scans `text` against `limits` in one pass: time linear in its length, memory bounded by
/// its distinct variable names, no recursion.
pub fn scan<'a>(text: &'a str, limits: &ScanLimits) -> Result<Scan<'a>, Exceeded> {
    if text.len() > limits.max_bytes {
        return Err(Exceeded::Bytes {
            length: text.len(),
            limit: limits.max_bytes,
        });
    }
    let bytes = text.as_bytes();
    let mut scan = Scan::default();
    let mut depth = 0usize;
    // A variable just read, until the next token tells a use from a definition (`$t:`).
    let mut pending: Option<&'a str> = None;
    // Where a search for the end of a block string found none.
    let mut unterminated_after: Option<usize> = None;
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let byte = bytes[at];
        match byte {
            b' ' | b'\t' | b',' | b'\n' | b'\r' => {
                at += 1;
                continue;
            }
            b'#' => {
                while at < bytes.len() && !matches!(bytes[at], b'\n' | b'\r') {
                    at += 1;
                }
                continue;
            }
            // The byte order mark, U+FEFF, is white space too.
            0xEF if bytes[at..].starts_with("\u{feff}".as_bytes()) => {
                at += 3;
                continue;
            }
            _ => {}
        }
        scan.tokens += 1;
        if scan.tokens > limits.max_tokens {
            return Err(Exceeded::Tokens {
                limit: limits.max_tokens,
            });
        }
        if let Some(name) = pending.take()
            && byte != b':'
        {
            let uses = scan.variable_uses.entry(name).or_default();
            *uses = uses.saturating_add(1);
        }
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limits.max_nesting {
                    let (line, column) = line_and_column(text, at);
                    return Err(Exceeded::Nesting {
                        limit: limits.max_nesting,
                        line,
                        column,
                    });
                }
                scan.nesting = scan.nesting.max(depth);
                at += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                // Unterminated, the parser takes `"""` for `""` and a string opening at the
                // third quote (its grammar backtracks), and reads on: so does the scan. No
                // later block string can end either, so the text is searched once.
                let end = match unterminated_after {
                    Some(from) if at + 3 >= from => None,
                    _ => after_block_string(bytes, at + 3),
                };
                if end.is_none() {
                    unterminated_after = Some(at + 3);
                }
                at = end.unwrap_or(at + 2);
            }
            b'"' => at = after_string(bytes, at + 1),
            b'$' => {
                at += 1;
                let name_start = at;
                at = after_name(bytes, at);
                if at > name_start {
                    // The name is ASCII, so these are character boundaries.
                    pending = text.get(name_start..at);
                    scan.tokens += 1;
                }
            }
            b'.' if bytes[at..].starts_with(b"...") => at += 3,
            b'_' | b'A'..=b'Z' | b'a'..=b'z' => at = after_name(bytes, at),
            b'-' | b'0'..=b'9' => at = after_number(bytes, at + 1),
            _ => at += 1,
        }
        debug_assert!(at > start);
    }
    if let Some(name) = pending {
        let uses = scan.variable_uses.entry(name).or_default();
        *uses = uses.saturating_add(1);
    }
    if scan.tokens > limits.max_tokens {
        return Err(Exceeded::Tokens {
            limit: limits.max_tokens,
        });
    }
    Ok(scan)
}

/// Where a name (`[_A-Za-z][_0-9A-Za-z]*`, or its tail) starting at `at` ends.
fn after_name(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && matches!(bytes[at], b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z') {
        at += 1;
    }
    at
}

/// Where a number whose first byte is before `at` ends: digits, letters (a name right after
/// a number is the parser's error), `.`, and a sign after an exponent's `e`.
fn after_number(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'_' | b'.' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => at += 1,
            b'+' | b'-' if matches!(bytes[at - 1], b'e' | b'E') => at += 1,
            _ => break,
        }
    }
    at
}

/// Where a string whose opening quote is before `at` ends. As the parser reads it: a
/// backslash escapes the next character, and a line break ends the string (unterminated:
/// the parser refuses the document there, so what follows is scanned as text, which can
/// only overcount).
fn after_string(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'"' => return at + 1,
            b'\\' => at += 2,
            b'\n' | b'\r' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Where a block string whose opening `"""` is before `at` ends: after the first `"""`
/// that is not escaped as `\"""`; `None` when there is none.
fn after_block_string(bytes: &[u8], mut at: usize) -> Option<usize> {
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.starts_with(b"\\\"\"\"") {
            at += 4;
        } else if rest.starts_with(b"\"\"\"") {
            return Some(at + 3);
        } else {
            at += 1;
        }
    }
    None
}

/// The line and column (both from 1; columns in characters) of byte `at` of `text`.
fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line_start = before.rfind(['\n', '\r']).map_or(0, |index| index + 1);
    let line = 1 + before.matches('\n').count() + before.matches('\r').count()
        - before.matches("\r\n").count();
    let column = 1 + before
        .get(line_start..)
        .map_or(0, |line| line.chars().count());
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ScanLimits = ScanLimits {
        max_bytes: 1 << 20,
        max_tokens: 100_000,
        max_nesting: 8,
    };

    fn nesting(text: &str) -> usize {
        match scan(text, &LIMITS) {
            Ok(scan) => scan.nesting,
            Err(exceeded) => panic!("{text}: {exceeded:?}"),
        }
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_nest() {
        assert_eq!(nesting(r#"{ a(b: "[[[[[[[[[[") }"#), 2);
        assert_eq!(nesting(r#"{ a(b: "\"[[[[[[[[[[[") }"#), 2);
        assert_eq!(
            nesting("{ a(b: \"\"\" \" \"\" [[[[[[[[[[[ \\\"\"\" [[[[[[[[ \"\"\") }"),
            2
        );
        assert_eq!(nesting("{ a # [[[[[[[[[[[[[[[\n b }"), 1);
        assert_eq!(nesting(r#"{ a(b: "") c(d: [[{ e: 1 }]]) }"#), 5);
        // Unterminated, `"""x" [[` is `""`, `"x"` and two brackets to the parser.
        assert_eq!(nesting(r#"{ a(b: """x" [[ 1 ]] "#), 4);
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_where_it_happens() {
        let deep = format!("{{\n  a(b: {}1{}) }}", "[".repeat(10), "]".repeat(10));
        assert_eq!(
            scan(&deep, &LIMITS).map(|scan| scan.nesting),
            Err(Exceeded::Nesting {
                limit: 8,
                line: 2,
                column: 14
            })
        );
        // An escaped quote does not end the string, a line break does: the brackets after
        // it are outside.
        let broken = format!("{{ a(b: \"x\n{}) }}", "[".repeat(10));
        assert!(matches!(
            scan(&broken, &LIMITS),
            Err(Exceeded::Nesting { .. })
        ));
    }

    #[test]
    fn a_hundred_thousand_levels_are_refused_without_recursion() {
        let deep = format!(
            "{{ nodes(ids: {}\"x\"{}) {{ id }} }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(matches!(
            scan(&deep, &LIMITS),
            Err(Exceeded::Nesting { limit: 8, .. })
        ));
    }

    #[test]
    fn tokens_and_bytes_are_limited() {
        let limits = ScanLimits {
            max_tokens: 5,
            ..LIMITS
        };
        // `{`, `a`, `b`, `c`, `}`: commas and comments are not tokens.
        assert!(scan("{ a, b, c } # d e f", &limits).is_ok());
        assert_eq!(
            scan("{ a b c d }", &limits).map(|scan| scan.tokens),
            Err(Exceeded::Tokens { limit: 5 })
        );
        let limits = ScanLimits {
            max_bytes: 10,
            ..LIMITS
        };
        assert_eq!(
            scan("{ __typename }", &limits).map(|scan| scan.tokens),
            Err(Exceeded::Bytes {
                length: 14,
                limit: 10
            })
        );
    }

    #[test]
    fn variable_uses_are_counted_without_their_definitions() {
        let text = r#"query($t: String!, $u: [Int!] = [1]) {
            a(x: [$t, $t, $t], y: $u, z: "$t") @include(if: $v) { ...F }
        }
        fragment F on Query { b(x: $t) }"#;
        let Ok(scan) = scan(text, &LIMITS) else {
            panic!("scans");
        };
        assert_eq!(scan.variable_uses.get("t"), Some(&4));
        assert_eq!(scan.variable_uses.get("u"), Some(&1));
        assert_eq!(scan.variable_uses.get("v"), Some(&1));
        assert_eq!(scan.variable_uses.len(), 3);
    }
}
