//! The `Tag` type, `tag(name:)` and `tags`; its mutations are in [`tag_mutations`](super::tag_mutations).

use async_graphql::{Context, ID, Object};
use entity::tag;

use super::{
    connection::{TotalCount, connection_type, page_args, window},
    context::ContextExt,
    node::{NodeType, global_id},
    scalars::DateTime,
    todo_list::{TodoConnection, TodoFilter, TodoOrder, todos_of_parent},
};
use crate::{
    execution::plain_fields::{Plain, PlainFields},
    service::{self, todo::list::Parent},
};

/// A label for todos, shared by all users.
pub struct Tag(pub tag::Model);

connection_type!(TagConnection, TagEdge, Plain<Tag>, "tags");

/// A label for todos, shared by all users.
#[Object(serial)] // see User
impl Tag {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Tag, self.0.id)
    }

    /// Unique name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// #rrggbb
    async fn color(&self) -> &str {
        &self.0.color
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// Todos with this tag that the viewer may see.
    #[expect(
        clippy::too_many_arguments,
        reason = "the GraphQL arguments of a todo connection: one parameter each"
    )]
    async fn todos(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<TodoFilter>,
        order_by: Option<TodoOrder>,
    ) -> async_graphql::Result<TodoConnection> {
        todos_of_parent(
            ctx,
            Parent::Tag,
            self.0.id,
            page_args(first, after, last, before),
            filter,
            order_by,
        )
        .await
    }
}

impl PlainFields for Tag {
    fn plain_field(&self, name: &str) -> Option<async_graphql::Value> {
        use async_graphql::{ScalarType, Value};
        Some(match name {
            "id" => Value::String(global_id(NodeType::Tag, self.0.id).0),
            "name" => Value::String(self.0.name.clone()),
            "color" => Value::String(self.0.color.clone()),
            "createdAt" => DateTime(self.0.created_at).to_value(),
            _ => return None,
        })
    }
}

/// Tag queries.
#[derive(Default)]
pub struct TagQuery;

/// Tag queries.
#[Object]
impl TagQuery {
    /// The tag with this name (at most 50 characters), or null.
    async fn tag(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<Option<Tag>> {
        Ok(service::tag::by_name(ctx.db()?, &name).await?.map(Tag))
    }

    /// All tags, by name; `search` (at most 200 characters) keeps those whose name contains
    /// it (ignoring case).
    async fn tags(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        search: Option<String>,
    ) -> async_graphql::Result<TagConnection> {
        let args = page_args(first, after, last, before);
        let window = window(ctx, args, service::tag::ORDERING)?;
        let page = service::tag::page(ctx.db()?, search.as_deref(), &window).await?;
        Ok(TagConnection::new(
            page,
            |t| service::tag::cursor(t).encode(),
            |tag| Plain(Tag(tag)),
            TotalCount::Tags(search),
        ))
    }
}
