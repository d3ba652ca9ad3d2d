//! Resolving the plain fields of the types that lists return by the hundred (todos, tags)
//! without a future each.
//!
//! async-graphql resolves every field of an object as a boxed future: it clones the context,
//! matches the field's name against each field of the type in turn, and resolves the
//! returned value through `OutputType`. For the nested user → todos → tags query that is
//! some 5,000 futures per response and most of the server's CPU (BENCHMARKS.md). A
//! [`Plain`] object reads the fields that need nothing but its own row (`title`, `id`, ...)
//! straight into the response, and hands every other field (those with arguments, loaders
//! or errors) to the type's generated resolver, one after the other as `#[Object(serial)]`
//! would. Any selection this does not cover exactly (fragments, custom directives, a
//! response key selected twice, extensions installed) goes the generic way, so the answer
//! is always the one async-graphql would give.

use std::borrow::Cow;

use async_graphql::{
    ContainerType, ContextSelectionSet, OutputType, Positioned, ServerResult, Value,
    indexmap::IndexMap, parser::types::Field, parser::types::Selection, registry::Registry,
};

/// A type whose argument-free fields can be read without a resolver.
pub trait PlainFields: ContainerType {
    /// The value of field `name` if it needs nothing but `self`: no arguments, no loader,
    /// no way to fail; `None` sends the field to the generated resolver.
    fn plain_field(&self, name: &str) -> Option<Value>;
}

/// `T` as lists return it: the same GraphQL type, its plain fields read directly.
pub struct Plain<T>(pub T);

impl<T: PlainFields> OutputType for Plain<T> {
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
        if !is_plain(ctx) {
            return self.0.resolve(ctx, field).await;
        }
        let mut object = IndexMap::with_capacity(ctx.item.node.items.len());
        for selection in &ctx.item.node.items {
            let Selection::Field(field) = &selection.node else {
                continue; // is_plain admits fields only
            };
            let key = field.node.response_key().node.clone();
            let name = field.node.name.node.as_str();
            let value = if name == "__typename" {
                Value::String(self.0.introspection_type_name().into_owned())
            } else if let Some(value) = self.0.plain_field(name) {
                value
            } else {
                // Boxed: the generated resolver's future is as large as its largest field's,
                // and a list moves each item's future around while it joins them.
                let ctx_field = ctx.with_field(field);
                match Box::pin(self.0.resolve_field(&ctx_field)).await {
                    Ok(value) => value.unwrap_or_default(),
                    // As async-graphql does: the error is recorded, the key left out.
                    Err(error) => {
                        ctx.add_error(error);
                        continue;
                    }
                }
            };
            object.insert(key, value);
        }
        Ok(if object.is_empty() {
            Value::Null
        } else {
            Value::Object(object)
        })
    }
}

/// Whether the selection is fields only, each under its own response key, with no custom
/// directive to run around them (`@skip`/`@include` are gone by now: async-graphql removes
/// skipped selections before execution).
fn is_plain(ctx: &ContextSelectionSet<'_>) -> bool {
    let items = &ctx.item.node.items;
    items.iter().enumerate().all(|(i, selection)| {
        let Selection::Field(field) = &selection.node else {
            return false;
        };
        let key = field.node.response_key().node.as_str();
        field.node.directives.is_empty()
            && items[..i].iter().all(|earlier| match &earlier.node {
                Selection::Field(earlier) => earlier.node.response_key().node.as_str() != key,
                _ => false,
            })
    })
}
