//! Prepared documents: each document text is parsed once, and a request that sends the same
//! text again (real clients send the same few documents over and over; with trusted
//! documents they send nothing else) gets a copy of the parsed document instead of a parse.
//! Parsing is the costliest step before execution: 140–165 µs for the benchmark's Q1 and
//! Q2 on this machine, where copying the parsed document takes about 2 µs.
//!
//! Keyed by the text alone: the parse does not depend on the operation name or the
//! variables. What does is checked again on every request, on the copy: the recursion
//! check, the limits and the cost (`first: $n` costs what `$n` says), the input bounds and
//! async-graphql's validation (which also checks the variables' values). The text's own
//! scan (length, tokens, nesting) runs before the cache is asked, as for any document.
//!
//! Bounded by entries and by bytes. A parsed document takes far more memory than its text,
//! and how much more depends on its shape (22–25 times for the benchmark's documents, 137
//! times for `{ a a a … }`), but never more than [`BYTES_PER_TOKEN`] per token of the text:
//! that is what an entry is counted as, with its text (kept as the key).

use std::{
    any::TypeId,
    sync::{Arc, Mutex},
};

use async_graphql::{Request, ServerError, parser::types::ExecutableDocument};

use super::recent::Recent;

/// The most memory a parsed document takes per token of its text: measured at most 275
/// bytes (a field per token, `{ a a a … }`), with some room.
pub const BYTES_PER_TOKEN: usize = 320;

/// Marks a request whose document [`PreparedDocuments::parse`] has set, so that a second
/// call (HTTP parses before the limits do) does nothing.
struct Parsed;

/// The parsed documents most recently used; shared behind an `Arc`.
pub struct PreparedDocuments {
    cache: Option<Mutex<Recent<Arc<ExecutableDocument>>>>,
}

impl PreparedDocuments {
    /// A cache of at most `capacity` documents and `max_bytes` (see [`BYTES_PER_TOKEN`]);
    /// none when either is 0.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            cache: (capacity > 0 && max_bytes > 0)
                .then(|| Mutex::new(Recent::new(capacity, max_bytes))),
        }
    }

    /// Gives `request` its parsed document, from the cache when its text is there, else by
    /// parsing it (and keeping the result); nothing when it has been given one. `tokens`
    /// is the text's token count from its scan, which must come first. A parse error is
    /// the request's.
    pub fn parse(&self, request: &mut Request, tokens: usize) -> Result<(), ServerError> {
        if request.data.contains_key(&TypeId::of::<Parsed>()) {
            return Ok(());
        }
        self.parse_again(request, tokens)?;
        request.data.insert(Parsed);
        Ok(())
    }

    fn parse_again(&self, request: &mut Request, tokens: usize) -> Result<(), ServerError> {
        let Some(cache) = &self.cache else {
            return request.parsed_query().map(|_| ());
        };
        // A poisoned lock only means another request panicked while it held it; the cache
        // is still a valid cache.
        let lock = || {
            cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(document) = lock().get(&request.query) {
            // A copy: async-graphql strips the `@skip`ped selections out of the document it
            // runs, which depend on each request's variables.
            request.set_parsed_query(ExecutableDocument::clone(&document));
            crate::metrics::prepared_document(true);
            return Ok(());
        }
        let document = Arc::new(request.parsed_query()?.clone());
        crate::metrics::prepared_document(false);
        let bytes = request
            .query
            .len()
            .saturating_add(tokens.saturating_mul(BYTES_PER_TOKEN));
        lock().insert(request.query.as_str().into(), document, bytes);
        Ok(())
    }

    /// The parsed document of `text`, if it is kept.
    pub fn document(&self, text: &str) -> Option<Arc<ExecutableDocument>> {
        self.cache
            .as_ref()?
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(text)
    }

    /// How many documents it holds, and what they are counted as weighing.
    pub fn size(&self) -> (usize, usize) {
        self.cache.as_ref().map_or((0, 0), |cache| {
            cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .size()
        })
    }
}
