//! A cap on the bytes of one response (`--max-response-bytes`), charged while the response
//! is built, so that an operation whose answer would grow past it ends with an error
//! instead of holding the whole answer in memory.
//!
//! Cost bounds how many nodes an operation returns, not their size: a node's strings run to
//! 10,000 characters (a description), so 10,000 nodes within the cost limit could still be
//! hundreds of megabytes. A static worst case (every description full) would refuse
//! ordinary queries over short todos, so the bytes are counted as they are produced
//! instead. Lists are where a response grows (everything outside them is bounded by the
//! document), so every list of objects (connection `edges` and `nodes`, `Todo.tags`,
//! `nodes(ids:)`, `createTodos`) and `deletedIds` hand out their items as [`Item`]s: each
//! item, once resolved, is charged what it adds to the JSON (its fields, nested objects
//! included, but not the items of lists nested in it, which charge themselves). Once the
//! budget is spent, every item still to come fails at once with TOO_COMPLEX (the spent
//! bytes and the limit in its extensions), the error propagates to the nearest nullable
//! field as GraphQL says, and the rest of the answer is never built.

use std::{
    borrow::Cow,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use async_graphql::{
    ContextSelectionSet, OutputType, Pos, Positioned, ServerError, ServerResult, Value,
    parser::types::Field, registry::Registry, resolver_utils::resolve_list,
};

/// The bytes one response may still take; one per request (and per subscription event),
/// in the request's data.
#[derive(Clone)]
pub struct ResponseBudget(Arc<Spent>);

struct Spent {
    limit: usize,
    bytes: AtomicUsize,
}

impl ResponseBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self(Arc::new(Spent {
            limit,
            bytes: AtomicUsize::new(0),
        }))
    }

    /// Starts over: a subscription's events are answers of their own.
    pub fn reset(&self) {
        self.0.bytes.store(0, Ordering::Relaxed);
    }

    /// Bytes charged so far.
    pub fn spent(&self) -> usize {
        self.0.bytes.load(Ordering::Relaxed)
    }

    /// An error once the budget is spent.
    fn check(&self, pos: Pos) -> ServerResult<()> {
        let spent = self.spent();
        if spent > self.0.limit {
            return Err(self.exceeded(spent, pos));
        }
        Ok(())
    }

    /// Charges `bytes`; an error if that spends the budget.
    fn charge(&self, bytes: usize, pos: Pos) -> ServerResult<()> {
        let spent = self
            .0
            .bytes
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes);
        if spent > self.0.limit {
            return Err(self.exceeded(spent, pos));
        }
        Ok(())
    }

    fn exceeded(&self, spent: usize, pos: Pos) -> ServerError {
        let limit = self.0.limit;
        let mut error = super::error_codes::too_complex(
            format!(
                "the response would be larger than {limit} bytes: ask for less (smaller \
                 pages, fewer fields)"
            ),
            [
                ("responseBytes", u64::try_from(spent).unwrap_or(u64::MAX)),
                ("limit", u64::try_from(limit).unwrap_or(u64::MAX)),
            ],
        );
        error.locations = vec![pos];
        error
    }
}

/// An item of a list, charged to the response's budget as it resolves. The same GraphQL
/// type as `T`.
pub struct Item<T>(pub T);

impl<T: OutputType> OutputType for Item<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let Some(budget) = ctx.data_opt::<ResponseBudget>() else {
            return self.0.resolve(ctx, field).await;
        };
        budget.check(field.pos)?;
        let value = self.0.resolve(ctx, field).await?;
        budget.charge(json_bytes(&value), field.pos)?;
        Ok(value)
    }
}

/// A shared list whose items are [`Item`]s: `[T!]!`.
pub struct Items<T>(pub Arc<[T]>);

impl<T: OutputType> OutputType for Items<T> {
    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("[{}]", T::qualified_type_name()))
    }

    fn qualified_type_name() -> String {
        format!("[{}]!", T::qualified_type_name())
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry);
        Self::qualified_type_name()
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        resolve_list(ctx, field, self.0.iter().map(Item), Some(self.0.len())).await
    }
}

/// What `value` adds to the response's JSON, but for the items of the lists of objects in
/// it: those are [`Item`]s, charged on their own. An estimate that never falls short of
/// `serde_json`'s compact output.
pub fn json_bytes(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Boolean(_) => 5,
        Value::Number(number) => number_bytes(number),
        Value::String(text) => string_bytes(text),
        Value::Enum(name) => name.len() + 2,
        // Base64 in a string, or an array of numbers: at most four bytes a byte.
        Value::Binary(bytes) => bytes.len().saturating_mul(4) + 2,
        Value::List(items) => {
            if items.iter().any(|item| matches!(item, Value::Object(_))) {
                2
            } else {
                items.iter().fold(2, |sum, item| sum + json_bytes(item) + 1)
            }
        }
        Value::Object(fields) => fields.iter().fold(2, |sum, (key, value)| {
            sum + string_bytes(key) + 2 + json_bytes(value)
        }),
    }
}

/// A JSON string's bytes: quotes, and escapes at their longest (`\u0001`).
fn string_bytes(text: &str) -> usize {
    let escaped: usize = text
        .bytes()
        .map(|byte| match byte {
            b'"' | b'\\' => 1,
            0..0x20 => 5,
            _ => 0,
        })
        .sum();
    text.len() + escaped + 2
}

fn number_bytes(number: &async_graphql::Number) -> usize {
    match number.as_i64() {
        Some(n) => {
            n.unsigned_abs()
                .checked_ilog10()
                .map_or(1, |digits| digits as usize + 1)
                + 1
        }
        // Floats and the largest unsigned: as long as Rust's shortest round trip can be.
        None => 24,
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]
mod tests {
    use super::*;

    #[test]
    fn estimates_never_fall_short_of_the_json() {
        let json = serde_json::json!({
            "id": "VG9kbzox",
            "title": "quote \" backslash \\ newline \n bell \u{7} é 😀",
            "version": -12345,
            "big": u64::MAX,
            "ratio": 0.1,
            "completed": false,
            "dueDate": null,
            "owner": { "username": "ann" },
            "ids": ["a", "b"],
        });
        let value = Value::from_json(json.clone()).expect("a value");
        let exact = serde_json::to_vec(&json).expect("JSON").len();
        let estimate = json_bytes(&value);
        assert!(estimate >= exact, "{estimate} < {exact}");
        assert!(estimate < exact + 40, "{estimate} far above {exact}");
        // The items of a list of objects are charged by themselves.
        let list =
            Value::from_json(serde_json::json!({ "tags": [{ "name": "x" }] })).expect("a value");
        assert_eq!(json_bytes(&list), 2 + 6 + 2 + 2);
    }
}
