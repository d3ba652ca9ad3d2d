//! `updateProfile`.

use async_graphql::{Context, InputObject, MaybeUndefined, Object};

use super::user::User;
use crate::{
    schema::context::ContextExt,
    service::{self, user::ProfileChanges},
};

/// Changes to the viewer's profile. Absent fields keep their value.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// New username: 3 to 32 letters, digits, '_', '-' or '.'; unique.
    username: Option<String>,
    /// New avatar URL (http or https, at most 2,048 characters); null removes it.
    avatar_url: MaybeUndefined<String>,
    /// New bio, up to 1,000 characters; null empties it.
    bio: MaybeUndefined<String>,
}

/// Profile mutations.
#[derive(Default)]
pub struct UserMutation;

/// Mutations of the viewer's profile.
#[Object]
impl UserMutation {
    /// Changes the viewer's own profile and returns it.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateProfileInput,
    ) -> async_graphql::Result<User> {
        let viewer = ctx.require_viewer()?;
        let changes = ProfileChanges {
            username: input.username,
            // Absent → None (keep); null → Some(None) (clear); a value → Some(Some(v)).
            avatar_url: input.avatar_url.into(),
            bio: input.bio.into(),
        };
        let user = service::user::update_profile(ctx.db()?, viewer, changes).await?;
        Ok(user.into())
    }
}
