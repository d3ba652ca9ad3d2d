//! Relay Global Object Identification: opaque, type-checked IDs and `node` / `nodes`.
//!
//! An ID is the URL-safe base64 of `<Type>:<database id>`. Clients must treat it as opaque;
//! the server checks the type, so a Tag's ID given where a Todo's is expected is
//! BAD_USER_INPUT rather than a lookup of the wrong table.

use async_graphql::{Context, ID, Interface, Object};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::{context::ContextExt, history::TodoHistoryEntry, tag::Tag, todo::Todo, user::User};
use crate::{
    error::{Error, Result},
    execution::response_budget::Item,
    service::page::PageLimits,
};

/// The types that implement Node, as named in IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// A `User`.
    User,
    /// A `Todo`.
    Todo,
    /// A `Tag`.
    Tag,
    /// A `TodoHistoryEntry`.
    TodoHistoryEntry,
}

impl NodeType {
    fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Todo => "Todo",
            Self::Tag => "Tag",
            Self::TodoHistoryEntry => "TodoHistoryEntry",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "User" => Some(Self::User),
            "Todo" => Some(Self::Todo),
            "Tag" => Some(Self::Tag),
            "TodoHistoryEntry" => Some(Self::TodoHistoryEntry),
            _ => None,
        }
    }
}

/// The global ID of the `node_type` row with database id `id`.
pub fn global_id(node_type: NodeType, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", node_type.name())))
}

/// Appends [`global_id`]'s text to `out` without allocating: the compiled path writes one
/// per node of a response.
pub fn push_global_id(out: &mut Vec<u8>, node_type: NodeType, id: i32) {
    use std::io::Write;
    // "TodoHistoryEntry:-2147483648" is 28 bytes, its base64 38.
    let mut raw = [0u8; 32];
    let length = {
        let mut rest = &mut raw[..];
        write!(rest, "{}:{id}", node_type.name())
            .ok()
            .map(|()| 32 - rest.len())
    };
    let mut encoded = [0u8; 48];
    let written = length.and_then(|length| {
        URL_SAFE_NO_PAD
            .encode_slice(&raw[..length], &mut encoded)
            .ok()
    });
    match written {
        Some(written) => out.extend_from_slice(&encoded[..written]),
        // Cannot happen (the buffers hold any id); the allocating form is right anyway.
        None => out.extend_from_slice(global_id(node_type, id).as_bytes()),
    }
}

/// The type and database id inside a global ID; BAD_USER_INPUT if it is not one of ours.
pub fn decode(id: &ID, field: &'static str) -> Result<(NodeType, i32)> {
    if id.len() > crate::service::validate::ID_MAX_CHARS {
        return Err(Error::invalid(field, "That is not a valid ID."));
    }
    let malformed = || Error::invalid(field, format!("{:?} is not a valid ID.", id.as_str()));
    let bytes = URL_SAFE_NO_PAD
        .decode(id.as_str())
        .map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    let (name, raw_id) = text.split_once(':').ok_or_else(malformed)?;
    let node_type = NodeType::from_name(name).ok_or_else(malformed)?;
    let id = raw_id.parse().map_err(|_| malformed())?;
    Ok((node_type, id))
}

/// The database id inside a global ID that must be of type `expected`.
pub fn decode_as(id: &ID, expected: NodeType, field: &'static str) -> Result<i32> {
    match decode(id, field)? {
        (node_type, id) if node_type == expected => Ok(id),
        (node_type, _) => Err(Error::invalid(
            field,
            format!(
                "Expected a {} ID, got a {} ID.",
                expected.name(),
                node_type.name()
            ),
        )),
    }
}

/// An object with a global ID. IDs given as input are at most 64 characters long.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque, type-checked global ID."))]
pub enum Node {
    /// A user.
    User(User),
    /// A todo.
    Todo(Todo),
    /// A tag.
    Tag(Tag),
    /// An audit trail entry.
    TodoHistoryEntry(TodoHistoryEntry),
}

/// `node` and `nodes`.
#[derive(Default)]
pub struct NodeQuery;

/// Relay's refetch entry points.
#[Object]
impl NodeQuery {
    /// The object with this global ID. One that does not exist or that the viewer may not
    /// see is NOT_FOUND (the two look the same); a malformed ID is BAD_USER_INPUT.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let mut found = load(ctx, std::slice::from_ref(&id)).await?;
        match found.pop().flatten() {
            Some(node) => Ok(Some(node)),
            None => Err(Error::NotFound("node").into()),
        }
    }

    /// The objects with these global IDs, in the same order; null where one does not exist
    /// or the viewer may not see it. One statement per type, however many IDs; at most as
    /// many IDs as a page may hold (100 by default).
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Item<Option<Node>>>> {
        let max = ctx.app_data::<PageLimits>()?.max;
        if u64::try_from(ids.len()).unwrap_or(u64::MAX) > max {
            return Err(Error::invalid("ids", format!("At most {max} IDs per call.")).into());
        }
        Ok(load(ctx, &ids).await?.into_iter().map(Item).collect())
    }
}

async fn load(ctx: &Context<'_>, ids: &[ID]) -> Result<Vec<Option<Node>>> {
    let decoded = ids
        .iter()
        .map(|id| decode(id, "id"))
        .collect::<Result<Vec<_>>>()?;
    let of_type = |wanted: NodeType| -> Vec<i32> {
        decoded
            .iter()
            .filter(|(t, _)| *t == wanted)
            .map(|(_, id)| *id)
            .collect()
    };
    let loaders = ctx.loaders()?;
    // Keep the cause for the log; the client still sees only "internal error".
    let shared = |err: std::sync::Arc<Error>| Error::Internal(format!("{err:?}"));
    let users = loaders
        .user_by_id()
        .load_many(of_type(NodeType::User))
        .await
        .map_err(shared)?;
    let todos = loaders
        .todo_by_id()
        .load_many(of_type(NodeType::Todo))
        .await
        .map_err(shared)?;
    let entries = loaders
        .history_entry_by_id()
        .load_many(of_type(NodeType::TodoHistoryEntry))
        .await
        .map_err(shared)?;
    let tags = loaders
        .tag_by_id()
        .load_many(of_type(NodeType::Tag))
        .await
        .map_err(shared)?;
    Ok(decoded
        .iter()
        .map(|(node_type, id)| match node_type {
            NodeType::User => users.get(id).cloned().map(|u| Node::User(u.into())),
            NodeType::Todo => todos.get(id).cloned().map(|t| Node::Todo(Todo::from(t))),
            NodeType::Tag => tags.get(id).cloned().map(|t| Node::Tag(Tag(t))),
            NodeType::TodoHistoryEntry => entries
                .get(id)
                .cloned()
                .map(|e| Node::TodoHistoryEntry(TodoHistoryEntry(e))),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_ids_are_the_ids() {
        for (node_type, id) in [
            (NodeType::User, 1),
            (NodeType::Todo, 2_147_483_647),
            (NodeType::Tag, -7),
            (NodeType::TodoHistoryEntry, i32::MIN),
        ] {
            let mut out = b"x".to_vec();
            push_global_id(&mut out, node_type, id);
            assert_eq!(out[1..], *global_id(node_type, id).as_bytes());
        }
    }
}
