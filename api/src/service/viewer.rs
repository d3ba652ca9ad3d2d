//! Who is asking: the signed-in user of a request, and what they may see.

use entity::user::Role;

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
}
