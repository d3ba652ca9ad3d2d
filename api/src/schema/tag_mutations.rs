//! `createTag`, `updateTag` and `deleteTag`.

use async_graphql::{Context, ID, Object};

use super::tag::Tag;
use crate::{
    schema::{
        context::ContextExt,
        node::{NodeType, decode_as},
    },
    service,
};

/// A new tag.
#[derive(async_graphql::InputObject)]
pub struct CreateTagInput {
    /// 1 to 50 characters after trimming; unique regardless of case.
    name: String,
    /// #rrggbb (7 characters); #3b82f6 when absent.
    color: Option<String>,
}

/// Changes to a tag; absent fields keep their value.
#[derive(async_graphql::InputObject)]
pub struct UpdateTagInput {
    /// The tag.
    id: ID,
    /// New name: 1 to 50 characters after trimming; unique regardless of case.
    name: Option<String>,
    /// New colour, #rrggbb (7 characters).
    color: Option<String>,
}

/// Tag mutations.
#[derive(Default)]
pub struct TagMutation;

/// Tag mutations. Any signed-in user may create tags; changing and deleting them is for
/// admins (FORBIDDEN otherwise).
#[Object]
impl TagMutation {
    /// Creates a tag.
    async fn create_tag(
        &self,
        ctx: &Context<'_>,
        input: CreateTagInput,
    ) -> async_graphql::Result<Tag> {
        let viewer = ctx.require_viewer()?;
        let tag =
            service::tag::create(ctx.db()?, viewer, &input.name, input.color.as_deref()).await?;
        Ok(Tag(tag))
    }

    /// Renames or recolours a tag (admins).
    async fn update_tag(
        &self,
        ctx: &Context<'_>,
        input: UpdateTagInput,
    ) -> async_graphql::Result<Tag> {
        let viewer = ctx.require_viewer()?;
        let id = decode_as(&input.id, NodeType::Tag, "id")?;
        let tag = service::tag::update(
            ctx.db()?,
            viewer,
            id,
            input.name.as_deref(),
            input.color.as_deref(),
        )
        .await?;
        Ok(Tag(tag))
    }

    /// Deletes a tag and removes it from every todo (admins). Returns the deleted tag.
    async fn delete_tag(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Tag> {
        let viewer = ctx.require_viewer()?;
        let id = decode_as(&id, NodeType::Tag, "id")?;
        Ok(Tag(service::todo::tags::delete_tag(
            ctx.db()?,
            ctx.events()?,
            viewer,
            id,
        )
        .await?))
    }
}
