//! Who is asking: the signed-in user of a request, and what they may see.

use std::collections::HashMap;

use entity::{
    session,
    user::{self, Role},
};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::Result;

/// The signed-in user of one request, resolved from its bearer token.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The user's id.
    pub user_id: i32,
    /// The user's role.
    pub role: Role,
    /// The session the token belongs to; logOut ends it.
    pub session_id: i32,
    /// When that session expires; long-lived subscriptions end then.
    pub session_expires_at: chrono::DateTime<chrono::Utc>,
}

impl Viewer {
    /// Admins see everyone's todos and emails.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the viewer may see `user_id`'s private data (email, todos).
    pub fn can_see_private_data_of(&self, user_id: i32) -> bool {
        self.user_id == user_id || self.is_admin()
    }

    /// Whether this viewer still stands as resolved: the session exists and has not
    /// expired, and its user is active with the same role. One statement: a WebSocket
    /// asks before each operation, as HTTP authenticates each request.
    pub async fn is_current(&self, db: &impl ConnectionTrait) -> Result<bool> {
        let live = live_sessions(db, &[self.session_id]).await?;
        Ok(live.get(&self.session_id) == Some(&self.role))
    }
}

/// Statements stay well under both databases' bind-parameter limits.
const CHUNK: usize = 500;

/// Of `session_ids`, those still valid (existing, not expired, their user active), each
/// with its user's current role.
pub async fn live_sessions(
    db: &impl ConnectionTrait,
    session_ids: &[i32],
) -> Result<HashMap<i32, Role>> {
    let now = super::now();
    let mut live = HashMap::new();
    for chunk in session_ids.chunks(CHUNK) {
        let rows: Vec<(i32, Role)> = session::Entity::find()
            .select_only()
            .column(session::Column::Id)
            .column(user::Column::Role)
            .inner_join(user::Entity)
            .filter(session::COLUMN.id.is_in(chunk.iter().copied()))
            .filter(session::COLUMN.expires_at.gt(now))
            .filter(user::COLUMN.is_active.eq(true))
            .into_tuple()
            .all(db)
            .await?;
        live.extend(rows);
    }
    Ok(live)
}
