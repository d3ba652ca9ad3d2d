//! The `AuthPayload` of a new session; `signUp`, `logIn` and `logOut` are in [`auth_mutations`](super::auth_mutations).

use async_graphql::SimpleObject;

use super::{scalars::DateTime, user::User};
use crate::service::auth::NewSession;

/// A new session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Bearer token for the Authorization header.
    token: String,
    /// When the token stops working.
    expires_at: DateTime,
    /// The signed-in user.
    user: User,
}

impl From<NewSession> for AuthPayload {
    fn from(session: NewSession) -> Self {
        Self {
            token: session.token,
            expires_at: DateTime(session.expires_at),
            user: User::session_owner(session.user),
        }
    }
}
